/**
 * Import of ARM templates whose resources are managed run commands
 * (`Microsoft.Compute/virtualMachines/runCommands`, ordered with dependsOn:
 * the pattern of Azure's managed Run Command docs) as runbooks. Each run
 * command becomes a step named by its own name, its properties keep Azure's
 * names, dependsOn becomes step names, and the machines it addresses become
 * the targets.
 *
 * The template is evaluated, not deployed: parameters (caller-supplied or
 * defaultValue), variables, concat(), resourceId() and a few string
 * functions are computed; anything needing a live deployment is reported.
 * Problems carry the template's own paths (`resources[1].dependsOn[0]`).
 */
import { ArmExpressionError, type ArmScope, evaluateTemplateString } from './arm-expressions';
import { canonicalJson } from './hash';
import { type PathSegment, type Problem, closest, didYouMean, formatPath, parsePath } from './problems';
import { type Runbook, isMapping } from './runbook';
import { validateRunbook } from './validate';

export interface ArmImportOptions {
  /** Values of the template's parameters by name (a parameters file's `parameters.<name>.value`). */
  parameters?: Record<string, unknown>;
  /** The runbook's name; load.ts passes the template file's base name. */
  name?: string;
  /** The resource group the template would be deployed to: scopes the VM names and answers resourceGroup().name. */
  resourceGroup?: string;
  /** Answers subscription() and resourceId(); becomes targets.subscriptionId. */
  subscriptionId?: string;
  /** Answers resourceGroup().location, and is the runbook's location when the run commands give none. */
  location?: string;
}

export type ArmImportResult = { ok: true; runbook: Runbook; warnings: Problem[] } | { ok: false; problems: Problem[] };

/** A deployment template by its $schema, or any document with `resources` and no `steps`. */
export function isArmTemplate(document: unknown): boolean {
  if (!isMapping(document)) return false;
  if (typeof document.$schema === 'string' && /deploymentTemplate\.json/i.test(document.$schema)) return true;
  return Array.isArray(document.resources) && document.steps === undefined;
}

const VM_RUN_COMMAND = 'microsoft.compute/virtualmachines/runcommands';
const VMSS_VM_RUN_COMMAND = 'microsoft.compute/virtualmachinescalesets/virtualmachines/runcommands';
const SOURCE_KEYS = ['script', 'scriptUri', 'commandId', 'scriptUriManagedIdentity'];
const MINTED_BY_FLEETCMD = ['outputBlobUri', 'errorBlobUri', 'outputBlobManagedIdentity', 'errorBlobManagedIdentity'];
const READ_ONLY = ['provisioningState', 'instanceView'];

/** One run command resource of the template, evaluated. */
interface FoundRunCommand {
  path: PathSegment[];
  /** `vm:<name>` or `vmss:<name>/<instanceId>`: the machine it runs on. */
  machine: string;
  commandName: string;
  /** Every key this resource can be named by in a dependsOn, lowercased. */
  keys: string[];
  location: unknown;
  dependsOn: unknown;
  properties: unknown;
}

/** Thrown for a value whose problem is already reported where it is defined. */
class AlreadyReported extends ArmExpressionError {}

export function importArmTemplate(template: unknown, options: ArmImportOptions = {}): ArmImportResult {
  const problems: Problem[] = [];
  const warnings: Problem[] = [];
  const report = (path: PathSegment[], message: string) => problems.push({ path: formatPath(path), message });
  const warn = (path: PathSegment[], message: string) => warnings.push({ path: formatPath(path), message });

  if (!isMapping(template)) return { ok: false, problems: [{ path: '', message: 'an ARM template is a JSON object with a resources list' }] };
  if (!Array.isArray(template.resources)) {
    return { ok: false, problems: [{ path: 'resources', message: 'must be the list of the template\'s resources' }] };
  }

  const { scope, warnUndeclared } = templateScope(template, options, report, warn);
  // Counts failed evaluations, including those reported at a parameter's or
  // variable's definition, so a resource depending on one is skipped quietly.
  let failures = 0;
  const evaluateDeep = (value: unknown, path: PathSegment[]): unknown => {
    if (typeof value === 'string') {
      try {
        return evaluateTemplateString(value, scope);
      } catch (error) {
        if (error instanceof ArmExpressionError) failures++;
        if (error instanceof AlreadyReported) return undefined;
        if (error instanceof ArmExpressionError) {
          report(path, `cannot evaluate ${JSON.stringify(value.length > 100 ? `${value.slice(0, 97)}...` : value)}: ${error.message}`);
          return undefined;
        }
        throw error;
      }
    }
    if (Array.isArray(value)) return value.map((v, i) => evaluateDeep(v, [...path, i]));
    if (isMapping(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, evaluateDeep(v, [...path, k])]));
    return value;
  };

  // -- Walk the resources (and nested child resources) -----------------------
  const found: FoundRunCommand[] = [];
  const otherKeys = new Set<string>();
  const visit = (resource: unknown, path: PathSegment[], parent?: { type: string; name: string }) => {
    if (!isMapping(resource)) {
      report(path, 'must be a resource object with type and name');
      return;
    }
    const before = failures;
    const rawType = evaluateDeep(resource.type, [...path, 'type']);
    const rawName = evaluateDeep(resource.name, [...path, 'name']);
    if (failures > before) return;
    if (typeof rawType !== 'string' || rawType === '') return void report([...path, 'type'], 'is required: the resource type');
    if (typeof rawName !== 'string' || rawName === '') return void report([...path, 'name'], 'is required: the resource name');
    const type = parent && !rawType.includes('/') ? `${parent.type}/${rawType}` : rawType;
    const name = parent && !rawName.includes('/') ? `${parent.name}/${rawName}` : rawName;

    if (resource.condition !== undefined) {
      const condition = evaluateDeep(resource.condition, [...path, 'condition']);
      if (condition === false) return;
      if (condition !== true) return void report([...path, 'condition'], 'must evaluate to true or false');
    }

    const kind = type.toLowerCase();
    if (kind === VM_RUN_COMMAND || kind === VMSS_VM_RUN_COMMAND) {
      const segments = name.split('/');
      const vmss = kind === VMSS_VM_RUN_COMMAND;
      if (segments.length !== (vmss ? 3 : 2) || segments.some((s) => s === '')) {
        return void report(
          [...path, 'name'],
          `"${name}" must be ${vmss ? '<scaleSetName>/<instanceId>/<runCommandName>' : '<vmName>/<runCommandName>'} for a ${type} resource`,
        );
      }
      if (resource.copy !== undefined) {
        return void report([...path, 'copy'], 'copy loops are not supported: list the run commands, or target several VMs in a runbook instead');
      }
      const commandName = segments[segments.length - 1];
      const machine = vmss ? `vmss:${segments[0]}/${segments[1]}` : `vm:${segments[0]}`;
      const interleaved = vmss
        ? `microsoft.compute/virtualmachinescalesets/${segments[0]}/virtualmachines/${segments[1]}/runcommands/${commandName}`
        : `microsoft.compute/virtualmachines/${segments[0]}/runcommands/${commandName}`;
      found.push({
        path,
        machine,
        commandName,
        keys: [interleaved, `${kind}/${name}`, name, commandName].map((k) => k.toLowerCase()),
        location: evaluateDeep(resource.location, [...path, 'location']),
        dependsOn: evaluateDeep(resource.dependsOn, [...path, 'dependsOn']),
        properties: evaluateDeep(resource.properties, [...path, 'properties']),
      });
      return;
    }

    otherKeys.add(name.toLowerCase());
    otherKeys.add(`${kind}/${name}`.toLowerCase());
    otherKeys.add(interleave(type, name).toLowerCase());
    warn(path, `${type} "${name}" is not a run command; fleetcmd runs commands on machines that already exist, so it leaves this resource out`);
    if (Array.isArray(resource.resources)) {
      resource.resources.forEach((child: unknown, i) => visit(child, [...path, 'resources', i], { type, name }));
    }
  };
  template.resources.forEach((resource: unknown, i) => visit(resource, ['resources', i]));

  warnUndeclared();
  if (found.length === 0 && problems.length === 0) {
    report(['resources'], 'holds no Microsoft.Compute/virtualMachines/runCommands resource; there is nothing to run');
  }
  if (problems.length > 0) return { ok: false, problems };

  // -- One step per run command name, in the template's order ---------------
  const groups = new Map<string, FoundRunCommand[]>();
  for (const rc of found) groups.set(rc.commandName, [...(groups.get(rc.commandName) ?? []), rc]);

  const resolveDependency = (ref: unknown, path: PathSegment[]): string | null => {
    if (typeof ref !== 'string') {
      report(path, 'must be a resource name or id');
      return null;
    }
    const key = ref.replace(/^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\//i, '').replace(/^\//, '').toLowerCase();
    const exact = found.find((rc) => rc.keys.includes(key));
    if (exact !== undefined) return exact.commandName;
    // A dependency on a machine (or on anything else the template would deploy)
    // needs nothing from fleetcmd: the machines exist before a rollout starts.
    if (otherKeys.has(key) || /^microsoft\.compute\/(virtualmachines|virtualmachinescalesets)\/[^/]+$/.test(key)) return null;
    // The Azure docs' own example depends on "...virtualMachines/<vm>runcommands/firstRunCommand"
    // (a "/" missing); its last segment still names the run command unambiguously.
    const last = key.split('/').pop() ?? '';
    const byLast = [...groups.keys()].filter((n) => n.toLowerCase() === last);
    if (byLast.length === 1) {
      warn(path, `"${ref}" is not a well-formed run command id; taken as a dependency on "${byLast[0]}", its last segment`);
      return byLast[0];
    }
    report(path, `"${ref}" names no resource in this template${didYouMean(last, groups.keys())}`);
    return null;
  };

  interface StepOrigin {
    resourcePath: PathSegment[];
    /** Runbook step key -> path under the resource. */
    fields: Record<string, PathSegment[]>;
    /** Index in the step's dependsOn -> index in the resource's dependsOn. */
    dependsOnIndex: number[];
  }
  const origins: StepOrigin[] = [];
  const steps: Record<string, unknown>[] = [];
  const machinesByStep: string[] = [];
  const locations: Array<{ value: unknown; path: PathSegment[] }> = [];

  for (const [commandName, members] of groups) {
    const [first, ...rest] = members;
    const dependsOn: string[] = [];
    const dependsOnIndex: number[] = [];
    const refs = first.dependsOn === undefined ? [] : Array.isArray(first.dependsOn) ? first.dependsOn : [first.dependsOn];
    refs.forEach((ref: unknown, j) => {
      const step = resolveDependency(ref, [...first.path, 'dependsOn', j]);
      if (step !== null && !dependsOn.includes(step)) {
        dependsOn.push(step);
        dependsOnIndex.push(j);
      }
    });

    // A runbook runs the same steps on every target: copies of one run
    // command on several VMs must agree (in what fleetcmd would send, and in
    // what they wait for), or the template cannot be one runbook.
    const quiet = () => undefined;
    const shape = (rc: FoundRunCommand, deps: string[]) =>
      canonicalJson({ step: stepFromProperties(commandName, [], rc, quiet, quiet).step, location: rc.location, deps: [...deps].sort() });
    const firstShape = shape(first, dependsOn);
    for (const other of rest) {
      const otherRefs = other.dependsOn === undefined ? [] : Array.isArray(other.dependsOn) ? other.dependsOn : [other.dependsOn];
      const otherDeps = otherRefs
        .map((ref: unknown, j) => resolveDependency(ref, [...other.path, 'dependsOn', j]))
        .filter((d): d is string => d !== null);
      if (shape(other, [...new Set(otherDeps)]) !== firstShape) {
        report(other.path, `run command "${commandName}" on ${machineLabel(other.machine)} differs from the one on ${machineLabel(first.machine)}; a runbook runs the same steps on every target`);
      }
    }
    machinesByStep.push([...new Set(members.map((m) => m.machine))].sort().join(','));
    if (first.location !== undefined) locations.push({ value: first.location, path: [...first.path, 'location'] });

    const { step, fields } = stepFromProperties(commandName, dependsOn, first, report, warn);
    steps.push(step);
    origins.push({ resourcePath: first.path, fields, dependsOnIndex });
  }

  const machineSet = machinesByStep[0] ?? '';
  machinesByStep.forEach((set, i) => {
    if (set !== machineSet) {
      report(
        origins[i].resourcePath,
        `run command "${String(steps[i].name)}" runs on ${set.split(',').map(machineLabel).join(', ')}, but "${String(steps[0].name)}" on ${machineSet.split(',').map(machineLabel).join(', ')}; a runbook runs every step on every target, so split the template by machine`,
      );
    }
  });

  const distinctLocations = [...new Set(locations.map((l) => JSON.stringify(l.value)))];
  if (distinctLocations.length > 1) report(locations[1].path, `differs from ${formatPath(locations[0].path)}; a runbook has one location`);
  const location = locations[0]?.value ?? options.location;
  const locationPath = locations[0]?.path ?? [...(origins[0]?.resourcePath ?? ['resources']), 'location'];

  if (problems.length > 0) return { ok: false, problems };

  // -- Targets, and the runbook's own validation ----------------------------
  const machines = machineSet === '' ? [] : machineSet.split(',');
  const vms = machines.filter((m) => m.startsWith('vm:')).map((m) => m.slice(3));
  const scaleSets = new Map<string, string[]>();
  for (const m of machines.filter((x) => x.startsWith('vmss:'))) {
    const [set, instance] = m.slice(5).split('/');
    scaleSets.set(set, [...(scaleSets.get(set) ?? []), instance]);
  }
  if (scaleSets.size > 0 && options.resourceGroup === undefined) {
    const first = found.find((rc) => rc.machine.startsWith('vmss:')) as FoundRunCommand;
    report(first.path, 'a scale set is found by its resource group, which a template does not name: give the resourceGroup in the import options');
    return { ok: false, problems };
  }
  const targets: Record<string, unknown> = {};
  if (options.subscriptionId !== undefined) targets.subscriptionId = options.subscriptionId;
  if (options.resourceGroup !== undefined) targets.resourceGroup = options.resourceGroup;
  if (vms.length > 0) targets.vms = vms;
  if (scaleSets.size > 0) targets.scaleSets = [...scaleSets].map(([name, instanceIds]) => ({ name, instanceIds }));

  const document: Record<string, unknown> = { name: options.name ?? 'arm-template', targets, steps };
  if (location !== undefined) document.location = location;

  const validated = validateRunbook(document);
  if (validated.ok) return { ok: true, runbook: validated.runbook, warnings };

  const toTemplatePath = (runbookPath: string): { path: string; prefix: string } => {
    const segments = parsePath(runbookPath);
    if (segments[0] === 'steps' && typeof segments[1] === 'number') {
      const origin = origins[segments[1]];
      const [key, ...rest] = segments.slice(2);
      if (key === undefined) return { path: formatPath(origin.resourcePath), prefix: '' };
      if (key === 'dependsOn' && typeof rest[0] === 'number') {
        return { path: formatPath([...origin.resourcePath, 'dependsOn', origin.dependsOnIndex[rest[0]] ?? rest[0], ...rest.slice(1)]), prefix: '' };
      }
      const field = origin.fields[String(key)] ?? ['properties', key];
      return { path: formatPath([...origin.resourcePath, ...field, ...rest]), prefix: '' };
    }
    if (segments[0] === 'location') return { path: formatPath(locationPath), prefix: '' };
    // Problems with what the importer itself filled in (name, targets) have
    // no place in the template; keep the runbook path in the sentence.
    return { path: '', prefix: runbookPath === '' ? '' : `${runbookPath}: ` };
  };
  return {
    ok: false,
    problems: validated.problems.map((p) => {
      const { path, prefix } = toTemplatePath(p.path);
      return { path, message: `${prefix}${p.message}` };
    }),
  };
}

function machineLabel(machine: string): string {
  return machine.startsWith('vm:') ? `VM "${machine.slice(3)}"` : `scale set instance "${machine.slice(5)}"`;
}

/** `Microsoft.Compute/virtualMachines/runCommands` + `vm/cmd` -> `Microsoft.Compute/virtualMachines/vm/runCommands/cmd`. */
function interleave(type: string, name: string): string {
  const [namespace, ...types] = type.split('/');
  const names = name.split('/');
  if (types.length !== names.length) return `${type}/${name}`;
  return [namespace, ...types.flatMap((t, i) => [t, names[i]])].join('/');
}

/** A run command's properties as a runbook step (Azure's names are the runbook's names). */
function stepFromProperties(
  commandName: string,
  dependsOn: string[],
  rc: FoundRunCommand,
  report: (path: PathSegment[], message: string) => void,
  warn: (path: PathSegment[], message: string) => void,
): { step: Record<string, unknown>; fields: Record<string, PathSegment[]> } {
  const step: Record<string, unknown> = { name: commandName, dependsOn };
  const fields: Record<string, PathSegment[]> = { name: ['name'], dependsOn: ['dependsOn'] };
  const properties = rc.properties;
  if (!isMapping(properties)) {
    report([...rc.path, 'properties'], 'is required: the run command\'s properties, with source.script, source.scriptUri or source.commandId');
    return { step, fields };
  }
  for (const [key, value] of Object.entries(properties)) {
    const at: PathSegment[] = ['properties', key];
    if (key === 'source') {
      if (!isMapping(value)) {
        report([...rc.path, ...at], 'must be an object with script, scriptUri or commandId');
        continue;
      }
      for (const [sourceKey, sourceValue] of Object.entries(value)) {
        if (SOURCE_KEYS.includes(sourceKey)) {
          step[sourceKey] = sourceValue;
          fields[sourceKey] = [...at, sourceKey];
        } else {
          report([...rc.path, ...at, sourceKey], `unknown field${didYouMean(sourceKey, SOURCE_KEYS)}`);
        }
      }
    } else if (MINTED_BY_FLEETCMD.includes(key)) {
      warn([...rc.path, ...at], 'is left out: fleetcmd mints an append blob per rollout, target and step for the output');
    } else if (READ_ONLY.includes(key)) {
      warn([...rc.path, ...at], 'is read-only in Azure and left out');
    } else if (key === 'name' || key === 'dependsOn') {
      report([...rc.path, ...at], `unknown field; ${key} belongs on the resource, not in its properties`);
    } else {
      step[key] = value;
      fields[key] = at;
    }
  }
  return { step, fields };
}

// ---------------------------------------------------------------------------
// Parameters and variables
// ---------------------------------------------------------------------------

const PARAMETER_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  securestring: (v) => typeof v === 'string',
  int: (v) => typeof v === 'number' && Number.isInteger(v),
  bool: (v) => typeof v === 'boolean',
  array: Array.isArray,
  object: isMapping,
  secureobject: isMapping,
};

/** parameters() and variables() for one template: evaluated once each, problems reported where they are defined. */
function templateScope(
  template: Record<string, unknown>,
  options: ArmImportOptions,
  report: (path: PathSegment[], message: string) => void,
  warn: (path: PathSegment[], message: string) => void,
): { scope: ArmScope; warnUndeclared: () => void } {
  const declared = isMapping(template.parameters) ? template.parameters : {};
  const variables = isMapping(template.variables) ? template.variables : {};
  const supplied = options.parameters ?? {};
  // ARM itself rejects undeclared parameters, but the Azure docs' own example uses
  // parameters('vmName') and parameters('location') without declaring them;
  // a supplied value is used (with a warning) so that such a template imports.
  const usedUndeclared = new Set<string>();
  const warnUndeclared = () => {
    for (const name of Object.keys(supplied)) {
      if (Object.keys(declared).some((k) => k.toLowerCase() === name.toLowerCase())) continue;
      warn(
        [],
        usedUndeclared.has(name)
          ? `the template uses parameters('${name}') without declaring it; the value given for it is used`
          : `a value is given for parameter "${name}", which the template neither declares nor uses${didYouMean(name, Object.keys(declared))}`,
      );
    }
  };

  // Each parameter and variable is evaluated once; a failure already
  // reported is remembered, so ten uses of a broken parameter make one problem.
  const cache = new Map<string, { value: unknown } | { failed: AlreadyReported }>();
  const evaluating = new Set<string>();
  const once = (key: string, compute: () => unknown): unknown => {
    const cached = cache.get(key);
    if (cached !== undefined) {
      if ('failed' in cached) throw cached.failed;
      return cached.value;
    }
    if (evaluating.has(key)) throw new ArmExpressionError(`${key} refers to itself`);
    evaluating.add(key);
    try {
      const value = compute();
      cache.set(key, { value });
      return value;
    } catch (error) {
      if (error instanceof AlreadyReported) cache.set(key, { failed: error });
      throw error;
    } finally {
      evaluating.delete(key);
    }
  };

  // Evaluates a definition (a defaultValue or a variable); a failure is
  // reported at the definition, and the expression using it stays quiet.
  const evaluateDefinition = (value: unknown, path: PathSegment[]): unknown => {
    const walk = (v: unknown, at: PathSegment[]): unknown => {
      if (typeof v === 'string') {
        try {
          return evaluateTemplateString(v, scope);
        } catch (error) {
          if (error instanceof AlreadyReported) throw error;
          if (error instanceof ArmExpressionError) {
            report(at, `cannot evaluate ${JSON.stringify(v)}: ${error.message}`);
            throw new AlreadyReported(error.message);
          }
          throw error;
        }
      }
      if (Array.isArray(v)) return v.map((x, i) => walk(x, [...at, i]));
      if (isMapping(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...at, k])]));
      return v;
    };
    return walk(value, path);
  };

  const scope: ArmScope = {
    subscriptionId: options.subscriptionId,
    resourceGroup: options.resourceGroup,
    location: options.location,
    parameter: (name) =>
      once(`parameters('${name}')`, () => {
        const key = Object.keys(declared).find((k) => k.toLowerCase() === name.toLowerCase());
        if (key === undefined) {
          const given = Object.keys(supplied).find((k) => k.toLowerCase() === name.toLowerCase());
          if (given !== undefined) {
            usedUndeclared.add(given);
            return supplied[given];
          }
          throw new ArmExpressionError(
            `the template declares no parameter "${name}"${didYouMean(name, Object.keys(declared))}; declare it under parameters, or pass a value for it`,
          );
        }
        const definition = isMapping(declared[key]) ? declared[key] : {};
        const path: PathSegment[] = ['parameters', key];
        let value: unknown;
        if (key in supplied) {
          value = supplied[key];
          if (isMapping(value) && 'reference' in value) {
            report(path, `is a Key Vault reference; fleetcmd cannot resolve it at import: pass the value itself`);
            throw new AlreadyReported('key vault reference');
          }
        } else if ('defaultValue' in definition) {
          value = evaluateDefinition(definition.defaultValue, [...path, 'defaultValue']);
        } else {
          report(path, 'has no value: the template gives no defaultValue, so pass one (in a <template>.parameters.json beside the template, or the import options)');
          throw new AlreadyReported('no value');
        }
        const type = typeof definition.type === 'string' ? definition.type.toLowerCase() : undefined;
        // A secure parameter's value is never repeated in a message.
        const shown = type?.startsWith('secure') ? 'its value' : JSON.stringify(value);
        const check = type === undefined ? undefined : PARAMETER_TYPES[type];
        if (check !== undefined && !check(value)) {
          report(path, `is declared ${String(definition.type)}, but ${type?.startsWith('secure') ? 'its value is not' : `its value is ${shown}`}`);
          throw new AlreadyReported('parameter type');
        }
        if (Array.isArray(definition.allowedValues) && !definition.allowedValues.some((a: unknown) => canonicalJson(a) === canonicalJson(value))) {
          const guess =
            typeof value === 'string' && !type?.startsWith('secure')
              ? closest(value, definition.allowedValues.filter((a): a is string => typeof a === 'string'))
              : undefined;
          report(path, `${shown} is not one of its allowedValues${guess === undefined ? '' : `; did you mean "${guess}"?`}`);
          throw new AlreadyReported('allowed values');
        }
        return value;
      }),
    variable: (name) =>
      once(`variables('${name}')`, () => {
        const key = Object.keys(variables).find((k) => k.toLowerCase() === name.toLowerCase());
        if (key === undefined) {
          throw new ArmExpressionError(`the template declares no variable "${name}"${didYouMean(name, Object.keys(variables))}`);
        }
        return evaluateDefinition(variables[key], ['variables', key]);
      }),
  };
  return { scope, warnUndeclared };
}
