/**
 * ARM template expressions (`"[concat(parameters('vmName'), '/first')]"`):
 * a parser and an evaluator for the subset that run-command templates use.
 * fleetcmd imports a template without deploying it, so functions that need
 * a deployment (reference(), listKeys(), uniqueString()...) are reported as
 * unsupported rather than guessed.
 *
 * Grammar: expr := primary ('.' name | '[' expr ']')*;
 * primary := 'string with '' escapes' | integer | name '(' [expr (',' expr)*] ')'.
 */
import { closest } from './problems';

export class ArmExpressionError extends Error {
  override name = 'ArmExpressionError';
}

/** What the evaluator asks of the template and the import options. */
export interface ArmScope {
  parameter(name: string): unknown;
  variable(name: string): unknown;
  subscriptionId?: string;
  resourceGroup?: string;
  location?: string;
}

/** `[...]` is an expression; `[[...` is a literal string starting with `[`. */
export function isExpression(text: string): boolean {
  return text.startsWith('[') && text.endsWith(']') && !text.startsWith('[[');
}

/** A template string's value: the expression's result, the unescaped literal, or the string itself. */
export function evaluateTemplateString(text: string, scope: ArmScope): unknown {
  if (text.startsWith('[[')) return text.slice(1);
  if (!isExpression(text)) return text;
  return evaluate(parseExpression(text.slice(1, -1)), scope);
}

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

export type ArmExpression =
  | { kind: 'string'; value: string }
  | { kind: 'number'; value: number }
  | { kind: 'call'; name: string; args: ArmExpression[] }
  | { kind: 'property'; target: ArmExpression; name: string }
  | { kind: 'index'; target: ArmExpression; index: ArmExpression };

type Token = { kind: 'string' | 'number' | 'name' | 'punct'; text: string; at: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let value = '';
      let j = i + 1;
      for (;;) {
        if (j >= source.length) throw new ArmExpressionError(`a string starting at character ${i + 1} is never closed with '`);
        if (source[j] === "'") {
          if (source[j + 1] === "'") {
            value += "'";
            j += 2;
            continue;
          }
          break;
        }
        value += source[j++];
      }
      tokens.push({ kind: 'string', text: value, at: i });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(source[i + 1] ?? ''))) {
      const m = /^-?[0-9]+/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'number', text: m[0], at: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i)) as RegExpExecArray;
      tokens.push({ kind: 'name', text: m[0], at: i });
      i += m[0].length;
    } else if ('(),.[]'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at: i });
      i++;
    } else {
      throw new ArmExpressionError(`unexpected ${JSON.stringify(c)} at character ${i + 1}`);
    }
  }
  return tokens;
}

export function parseExpression(source: string): ArmExpression {
  const tokens = tokenize(source);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const expect = (text: string): void => {
    const t = tokens[pos];
    if (t?.kind !== 'punct' || t.text !== text) {
      throw new ArmExpressionError(t === undefined ? `expected "${text}" but the expression ends` : `expected "${text}" at character ${t.at + 1}, found ${JSON.stringify(t.text)}`);
    }
    pos++;
  };

  const primary = (): ArmExpression => {
    const t = tokens[pos++];
    if (t === undefined) throw new ArmExpressionError('the expression ends too early');
    if (t.kind === 'string') return { kind: 'string', value: t.text };
    if (t.kind === 'number') return { kind: 'number', value: Number(t.text) };
    if (t.kind === 'name') {
      expect('(');
      const args: ArmExpression[] = [];
      if (!(peek()?.kind === 'punct' && peek()?.text === ')')) {
        args.push(expression());
        while (peek()?.kind === 'punct' && peek()?.text === ',') {
          pos++;
          args.push(expression());
        }
      }
      expect(')');
      return { kind: 'call', name: t.text, args };
    }
    throw new ArmExpressionError(`unexpected ${JSON.stringify(t.text)} at character ${t.at + 1}`);
  };

  const expression = (): ArmExpression => {
    let node = primary();
    for (;;) {
      const t = peek();
      if (t?.kind === 'punct' && t.text === '.') {
        pos++;
        const name = tokens[pos++];
        if (name?.kind !== 'name') throw new ArmExpressionError('expected a property name after "."');
        node = { kind: 'property', target: node, name: name.text };
      } else if (t?.kind === 'punct' && t.text === '[') {
        pos++;
        const index = expression();
        expect(']');
        node = { kind: 'index', target: node, index };
      } else {
        return node;
      }
    }
  };

  const result = expression();
  if (pos < tokens.length) throw new ArmExpressionError(`unexpected ${JSON.stringify(tokens[pos].text)} at character ${tokens[pos].at + 1}`);
  return result;
}

// ---------------------------------------------------------------------------
// Evaluation
// ---------------------------------------------------------------------------

type ArmFunction = (args: unknown[], scope: ArmScope) => unknown;

function text(value: unknown, fn: string): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ArmExpressionError(`${fn}() takes strings, not ${Array.isArray(value) ? 'an array' : typeof value}`);
}

function arity(fn: string, args: unknown[], min: number, max = min): void {
  if (args.length < min || args.length > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min}-${max}`;
    throw new ArmExpressionError(`${fn}() takes ${want} argument${want === '1' ? '' : 's'}, not ${args.length}`);
  }
}

/**
 * `resourceId([subscriptionId], [resourceGroupName], type, name1, name2...)`,
 * as ARM builds it: the arguments before the first one with a "/" are the
 * subscription and resource group; names interleave with the type's segments.
 */
function resourceId(args: unknown[], scope: ArmScope): string {
  const strings = args.map((a) => text(a, 'resourceId'));
  const t = strings.findIndex((s) => s.includes('/'));
  if (t < 0 || t > 2) throw new ArmExpressionError('resourceId() needs a resource type like Microsoft.Compute/virtualMachines among its first three arguments');
  const [namespace, ...types] = strings[t].split('/');
  const names = strings.slice(t + 1);
  if (names.length !== types.length) {
    throw new ArmExpressionError(`resourceId('${strings[t]}', ...) needs ${types.length} name${types.length === 1 ? '' : 's'}, one per type segment, not ${names.length}`);
  }
  const subscriptionId = t === 2 ? strings[0] : (scope.subscriptionId ?? '{subscriptionId}');
  const resourceGroup = t === 2 ? strings[1] : t === 1 ? strings[0] : (scope.resourceGroup ?? '{resourceGroup}');
  const tail = types.map((type, i) => `${type}/${names[i]}`).join('/');
  return `/subscriptions/${subscriptionId}/resourceGroups/${resourceGroup}/providers/${namespace}/${tail}`;
}

/** What resourceGroup() returns; a missing member gets a message that says how to supply it. */
const DEPLOYMENT_OBJECT = Symbol('deployment object');

const FUNCTIONS: Record<string, ArmFunction> = {
  parameters: (args, scope) => {
    arity('parameters', args, 1);
    return scope.parameter(text(args[0], 'parameters'));
  },
  variables: (args, scope) => {
    arity('variables', args, 1);
    return scope.variable(text(args[0], 'variables'));
  },
  concat: (args) => {
    if (args.length > 0 && args.every(Array.isArray)) return (args as unknown[][]).flat();
    return args.map((a) => text(a, 'concat')).join('');
  },
  resourceid: resourceId,
  format: (args) => {
    if (args.length < 1) throw new ArmExpressionError('format() needs a format string');
    const [template, ...values] = args;
    return text(template, 'format').replace(/\{(\d+)(?::[^}]*)?\}/g, (whole, n: string) => {
      const value = values[Number(n)];
      if (value === undefined) throw new ArmExpressionError(`format() has no argument {${n}}`);
      return text(value, 'format');
    });
  },
  tolower: (args) => {
    arity('toLower', args, 1);
    return text(args[0], 'toLower').toLowerCase();
  },
  toupper: (args) => {
    arity('toUpper', args, 1);
    return text(args[0], 'toUpper').toUpperCase();
  },
  string: (args) => {
    arity('string', args, 1);
    return typeof args[0] === 'string' ? args[0] : JSON.stringify(args[0]);
  },
  true: (args) => (arity('true', args, 0), true),
  false: (args) => (arity('false', args, 0), false),
  resourcegroup: (args, scope) => {
    arity('resourceGroup', args, 0);
    const rg: Record<string | symbol, unknown> = { [DEPLOYMENT_OBJECT]: 'resourceGroup()' };
    if (scope.resourceGroup !== undefined) {
      rg.name = scope.resourceGroup;
      rg.id = `/subscriptions/${scope.subscriptionId ?? '{subscriptionId}'}/resourceGroups/${scope.resourceGroup}`;
    }
    if (scope.location !== undefined) rg.location = scope.location;
    return rg;
  },
  subscription: (args, scope) => {
    arity('subscription', args, 0);
    const sub: Record<string | symbol, unknown> = { [DEPLOYMENT_OBJECT]: 'subscription()' };
    if (scope.subscriptionId !== undefined) {
      sub.subscriptionId = scope.subscriptionId;
      sub.id = `/subscriptions/${scope.subscriptionId}`;
    }
    return sub;
  },
};

const FUNCTION_NAMES = ['parameters', 'variables', 'concat', 'resourceId', 'format', 'toLower', 'toUpper', 'string', 'true', 'false', 'resourceGroup', 'subscription'];

/** A member of an object, matched case-insensitively as ARM does. */
function property(target: unknown, name: string): unknown {
  if (target === null || typeof target !== 'object' || Array.isArray(target)) {
    throw new ArmExpressionError(`cannot read property "${name}" of ${Array.isArray(target) ? 'an array' : JSON.stringify(target)}`);
  }
  const record = target as Record<string | symbol, unknown>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name.toLowerCase());
  if (key !== undefined) return record[key];
  const origin = record[DEPLOYMENT_OBJECT];
  if (typeof origin === 'string') {
    const option = origin === 'subscription()' ? 'subscriptionId' : name.toLowerCase() === 'location' ? 'location' : 'resourceGroup';
    throw new ArmExpressionError(`${origin}.${name} is not known: fleetcmd imports the template without deploying it; give the ${option} in the import options`);
  }
  throw new ArmExpressionError(`the object has no property "${name}"`);
}

export function evaluate(node: ArmExpression, scope: ArmScope): unknown {
  switch (node.kind) {
    case 'string':
    case 'number':
      return node.value;
    case 'call': {
      const fn = FUNCTIONS[node.name.toLowerCase()];
      if (fn === undefined) {
        const guess = closest(node.name, FUNCTION_NAMES);
        throw new ArmExpressionError(
          guess !== undefined && guess.toLowerCase() !== node.name.toLowerCase()
            ? `unknown template function "${node.name}"; did you mean "${guess}"?`
            : `template function "${node.name}" is not supported when importing a template (fleetcmd evaluates ${FUNCTION_NAMES.map((n) => `${n}()`).join(', ')})`,
        );
      }
      return fn(
        node.args.map((a) => evaluate(a, scope)),
        scope,
      );
    }
    case 'property':
      return property(evaluate(node.target, scope), node.name);
    case 'index': {
      const target = evaluate(node.target, scope);
      const index = evaluate(node.index, scope);
      if (Array.isArray(target) && typeof index === 'number') {
        if (index < 0 || index >= target.length) throw new ArmExpressionError(`index ${index} is outside the array (length ${target.length})`);
        return target[index] as unknown;
      }
      if (typeof index === 'string') return property(target, index);
      throw new ArmExpressionError('an index needs an array and a number, or an object and a property name');
    }
  }
}
