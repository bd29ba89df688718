/**
 * The one place fleetcmd removes secrets from text it shows or keeps: the
 * logger (redactObject on every record), the error printer (redactError) and
 * the CLI (redact on everything it prints). Nothing else writes its own
 * pattern, so a new kind of secret is added here once and covered everywhere.
 *
 * Two complementary mechanisms:
 * - known values: the runbook's own secrets (protectedParameters values,
 *   runAsPassword, SAS signatures), gathered with collectSecrets() and
 *   passed in, are removed wherever they appear, even inside a script's output;
 * - shapes: SAS `sig=`, connection-string `AccountKey=`, Authorization and
 *   Bearer tokens, JWTs, JSON fields and `key=value` pairs whose name says
 *   secret, for secrets fleetcmd was never told about.
 */

export const REDACTED = 'REDACTED';

/**
 * Field names that hold secrets. A name matches when its words (camelCase,
 * snake_case, kebab-case split) contain the entry's words in order:
 * `password` covers `runAsPassword` and `admin_password`; `sig` covers `sig`
 * but not `signal`.
 */
export const SECRET_KEYS: readonly string[] = [
  'protectedParameters',
  'runAsPassword',
  'password',
  'passwd',
  'secret',
  'sas',
  'sig',
  'accountKey',
  'sharedAccessKey',
  'sharedAccessSignature',
  'apiKey',
  'privateKey',
  'token',
  'authorization',
];

export interface RedactObjectOptions {
  /** Known secret values, removed from every string in the object. */
  secrets?: readonly string[];
  /** Depth beyond which values are replaced (log records are shallow; this only stops pathological input). */
  maxDepth?: number;
}

/** Removes known secret values and secret-shaped substrings from text. */
export function redact(text: string, secrets: readonly string[] = []): string {
  let result = text;
  for (const variant of secretVariants(secrets)) result = result.split(variant).join(REDACTED);
  result = result.replace(JSON_FIELD, (match, name: string, separator: string) => (isSecretKey(name) ? `"${name}"${separator}"${REDACTED}"` : match));
  for (const [pattern, replacement] of SHAPES) {
    result = typeof replacement === 'string' ? result.replace(pattern, replacement) : result.replace(pattern, replacement);
  }
  return result;
}

/**
 * A copy of a structured value (a log record, an error's properties) with
 * every field named like a secret replaced by "REDACTED", every string passed
 * through redact(), Errors turned into plain objects, and cycles cut as
 * "[Circular]". The result has the input's shape but secret fields become
 * strings, hence the loose return type at the leaves.
 */
export function redactObject<T>(value: T, secretKeys: readonly string[] = SECRET_KEYS, options: RedactObjectOptions = {}): T {
  const isSecret = keyMatcher(secretKeys);
  const secrets = options.secrets ?? [];
  const maxDepth = options.maxDepth ?? 32;
  const ancestors = new Set<object>();

  const visit = (node: unknown, depth: number): unknown => {
    if (typeof node === 'string') return redact(node, secrets);
    if (typeof node !== 'object' || node === null) return node;
    if (ancestors.has(node)) return '[Circular]';
    if (depth > maxDepth) return '[Truncated]';
    if (ArrayBuffer.isView(node) || node instanceof ArrayBuffer) return node;
    ancestors.add(node);
    try {
      if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
      const source = node instanceof Error ? errorFields(node) : jsonView(node);
      if (source !== node && (typeof source !== 'object' || source === null)) return visit(source, depth + 1);
      const copy: Record<string, unknown> = {};
      for (const [key, field] of Object.entries(source as object)) {
        copy[key] = isSecret(key) && field !== undefined && field !== null ? REDACTED : visit(field, depth + 1);
      }
      return copy;
    } finally {
      ancestors.delete(node);
    }
  };
  return visit(value, 0) as T;
}

/**
 * An error as one line per cause (`name: message`), redacted, for printing to
 * a user. Temporal wraps failures (WorkflowFailedError -> ApplicationFailure
 * -> ...), and the useful message is usually the innermost.
 */
export function redactError(error: unknown, options: { secrets?: readonly string[]; stack?: boolean } = {}): string {
  const lines: string[] = [];
  const seen = new Set<unknown>();
  let current: unknown = error;
  while (current !== undefined && current !== null && !seen.has(current)) {
    seen.add(current);
    if (current instanceof Error) {
      lines.push(`${lines.length === 0 ? '' : 'caused by '}${current.name}: ${current.message}`);
      if (options.stack && current.stack) lines.push(current.stack.split('\n').slice(1).join('\n'));
      current = current.cause;
    } else {
      lines.push(`${lines.length === 0 ? '' : 'caused by '}${String(current)}`);
      break;
    }
  }
  return redact(lines.join('\n'), options.secrets ?? []);
}

/**
 * The secret values inside a runbook-shaped object: every string under a
 * secret-named field (protectedParameters[].value, runAsPassword, sasToken,
 * ...) and every SAS signature in any URL. Parameter `name`s under
 * protectedParameters are not secrets and are left out, since blanking a word
 * like TOKEN everywhere would garble output.
 */
export function collectSecrets(value: unknown, secretKeys: readonly string[] = SECRET_KEYS): string[] {
  const isSecret = keyMatcher(secretKeys);
  const found = new Set<string>();
  const seen = new Set<object>();

  const visit = (node: unknown, underSecret: boolean, key: string | undefined): void => {
    if (typeof node === 'string') {
      if (underSecret && key !== 'name' && node.length > 0) found.add(node);
      for (const match of node.matchAll(SIG_VALUE)) {
        found.add(match[1]);
        const decoded = safeDecode(match[1]);
        if (decoded !== match[1]) found.add(decoded);
      }
      return;
    }
    if (typeof node !== 'object' || node === null || seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      for (const item of node) visit(item, underSecret, key);
      return;
    }
    for (const [childKey, child] of Object.entries(node)) visit(child, underSecret || isSecret(childKey), childKey);
  };
  visit(value, false, undefined);
  return [...found];
}

/** Whether a field name holds a secret, by the SECRET_KEYS word rule. */
export function isSecretKey(name: string, secretKeys: readonly string[] = SECRET_KEYS): boolean {
  return keyMatcher(secretKeys)(name);
}

// --- shapes -----------------------------------------------------------------

/** A SAS signature value in a query string: base64, percent-encoded. */
const SIG_VALUE = /\bsig=([^&#\s"'<>,;)\]]+)/gi;

/** A JSON string field, or a flat array/object of them (protectedParameters' shape). */
const JSON_FIELD = /"([A-Za-z0-9_$.-]+)"(\s*:\s*)("(?:[^"\\]|\\.)*"|\[(?:[^[\]"]|"(?:[^"\\]|\\.)*")*\]|\{(?:[^{}"]|"(?:[^"\\]|\\.)*")*\})/g;

const SHAPES: ReadonlyArray<readonly [RegExp, string | ((match: string, ...groups: string[]) => string)]> = [
  // SAS: sig is the HMAC; sv, se, sp, sr stay so a reader still sees which resource and until when.
  [/(\bsig=)[^&#\s"'<>,;)\]]+/gi, `$1${REDACTED}`],
  // ... and the same inside a URL that is itself percent-encoded into another URL.
  [/((?:%3F|%26)sig%3D)(?:(?!%26)[^&#\s"'<>,;)\]])+/gi, `$1${REDACTED}`],
  // Storage / Service Bus connection strings.
  [/(\b(?:AccountKey|SharedAccessKey)\s*=\s*)[^;\s"']+/gi, `$1${REDACTED}`],
  // Authorization headers as printed by HTTP clients or dumped as JSON/YAML.
  [
    /(\bauthorization["']?\s*[:=]\s*["']?)((?:Bearer|Basic|SharedKey|SharedAccessSignature)\s+)?[^\s"',;]+/gi,
    (_match, prefix: string, scheme: string | undefined) => `${prefix}${scheme ?? ''}${REDACTED}`,
  ],
  // A bearer token anywhere; 16+ characters so that prose ("Bearer token required") survives.
  [/\b(Bearer\s+)[A-Za-z0-9\-._~+/]{16,}=*/g, `$1${REDACTED}`],
  // JWTs (AAD access tokens) without any label.
  [/\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g, REDACTED],
  // key=value / key: value pairs named like a password, secret or token (env dumps, command lines, YAML).
  [/(\b[A-Za-z_]*(?:password|passwd|secret|token)\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s,;&"']+)/gi, `$1${REDACTED}`],
];

// --- helpers ----------------------------------------------------------------

/** Each secret as written, JSON-escaped, percent-encoded and base64'd: the ways it shows up in logs. */
function secretVariants(secrets: readonly string[]): string[] {
  const variants = new Set<string>();
  for (const secret of secrets) {
    if (secret.length === 0) continue;
    variants.add(secret);
    variants.add(JSON.stringify(secret).slice(1, -1));
    variants.add(encodeURIComponent(secret));
    variants.add(Buffer.from(secret).toString('base64'));
  }
  // Longest first, so a secret containing another is removed whole.
  return [...variants].filter((v) => v.length > 0).sort((a, b) => b.length - a.length);
}

const matchers = new WeakMap<readonly string[], (name: string) => boolean>();

function keyMatcher(secretKeys: readonly string[]): (name: string) => boolean {
  let matcher = matchers.get(secretKeys);
  if (!matcher) {
    const entries = secretKeys.map(words).filter((w) => w.length > 0);
    matcher = (name: string): boolean => {
      const nameWords = words(name);
      return entries.some((entry) => containsRun(nameWords, entry));
    };
    matchers.set(secretKeys, matcher);
  }
  return matcher;
}

/** `runAsPassword` -> [run, as, password]; `SASToken` -> [sas, token]; `x-ms-authorization` -> [x, ms, authorization]. */
function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0);
}

function containsRun(haystack: readonly string[], needle: readonly string[]): boolean {
  for (let start = 0; start + needle.length <= haystack.length; start++) {
    if (needle.every((word, i) => haystack[start + i] === word)) return true;
  }
  return false;
}

function errorFields(error: Error): Record<string, unknown> {
  // name, message and stack are not own-enumerable on most errors; Azure's and Temporal's extra fields are.
  const fields: Record<string, unknown> = { name: error.name, message: error.message };
  if (error.stack) fields.stack = error.stack;
  for (const [key, value] of Object.entries(error)) fields[key] = value;
  if (error.cause !== undefined) fields.cause = error.cause;
  return fields;
}

/** What JSON.stringify would see: URL, Date and similar become their toJSON() value (a URL may carry a SAS). */
function jsonView(node: object): unknown {
  const toJSON = (node as { toJSON?: unknown }).toJSON;
  return typeof toJSON === 'function' ? (toJSON as () => unknown).call(node) : node;
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}
