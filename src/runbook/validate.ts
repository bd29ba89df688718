/**
 * Validation of a runbook document (already parsed from YAML or JSON):
 * the zod schema for each field, then the rules that span fields, all run
 * on the raw document so that every problem is reported in one pass, with
 * its path and a plain sentence (docs/design.md, "Data flow", step 1).
 */
import type { z } from 'zod';
import { findCycles, formatCycle } from './plan';
import { type PathSegment, type Problem, closest, didYouMean, formatPath, show as showValue, uniqueProblems } from './problems';
import {
  MANAGED_IDENTITY_KEYS,
  OUTPUT_KEYS,
  PARAMETER_KEYS,
  RESERVED_STEP_KEYS,
  ROLLOUT_KEYS,
  RUNBOOK_KEYS,
  type Runbook,
  runbookSchema,
  SCALE_SET_KEYS,
  STEP_KEYS,
  TARGETS_KEYS,
  isMapping,
} from './runbook';

export type ValidationResult = { ok: true; runbook: Runbook } | { ok: false; problems: Problem[] };

/** Checks a parsed document against every rule; the Runbook only when there is no problem at all. */
export function validateRunbook(document: unknown): ValidationResult {
  const parsed = runbookSchema.safeParse(document, { reportInput: true, error: plainSentence });
  const problems = uniqueProblems([
    ...(parsed.success ? [] : parsed.error.issues.flatMap(issueProblems)),
    ...crossFieldProblems(document),
  ]).map((p) => liftSingleOnFailure(p, document));
  if (parsed.success && problems.length === 0) return { ok: true, runbook: parsed.data };
  return { ok: false, problems };
}

// ---------------------------------------------------------------------------
// Schema issues -> problems
// ---------------------------------------------------------------------------

type Issue = z.core.$ZodIssue;
type RawIssue = z.core.$ZodRawIssue;

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  array: 'a list',
  object: 'a mapping (key: value)',
  record: 'a mapping (key: value)',
};

/** Default sentences for the schema's checks that carry no message of their own. */
function plainSentence(issue: RawIssue): string {
  const input = issue.input;
  // Secrets are never repeated back (docs/design.md: not in clear in CLI output).
  const secret = (issue.path ?? []).some((p) => p === 'protectedParameters' || p === 'runAsPassword');
  const show = (value: unknown) => (secret ? 'the value given' : showValue(value));
  switch (issue.code) {
    case 'invalid_type':
      if (input === undefined) return 'is required';
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}, not ${show(input)}`;
    case 'too_small':
      if (issue.origin === 'array') return `needs at least ${String(issue.minimum)} item${issue.minimum === 1 ? '' : 's'}`;
      if (issue.origin === 'string') return issue.minimum === 1 ? 'is empty' : `needs at least ${String(issue.minimum)} characters`;
      return `must be at least ${String(issue.minimum)}, not ${show(input)}`;
    case 'too_big':
      if (issue.origin === 'array') return `has more than ${String(issue.maximum)} items`;
      if (issue.origin === 'string') return `is longer than ${String(issue.maximum)} characters`;
      return `must be at most ${String(issue.maximum)}, not ${show(input)}`;
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const typed = typeof input === 'string' ? didYouMean(input, issue.values.map(String)) : '';
      return `must be one of ${values.join(', ')}, not ${show(input)}${typed}`;
    }
    case 'invalid_format':
      return `${show(input)} is not a valid ${issue.format}`;
    case 'unrecognized_keys':
      return 'unknown field';
    default:
      return `is not valid: ${show(input)}`;
  }
}

/** What a missing required field is, for the sentence that says so. */
const REQUIRED: Array<[RegExp, string]> = [
  [/^location$/, 'is required: the Azure region of the machines, e.g. westus'],
  [/^name$/, 'is required: a name for the runbook'],
  [/^targets$/, 'is required: which machines to run on (resourceGroup, tags, vms or scaleSets)'],
  [/^steps$/, 'is required: a list of at least one step'],
  [/^(steps|onFailure)\.\*\.name$/, 'is required: a step name (1-80 letters, digits, ".", "_" or "-")'],
  [/^targets\.scaleSets\.\*\.name$/, 'is required: the scale set name'],
];

/** The fields an object at a given (index-free) path may have, for unknown-key suggestions. */
const FIELDS: Array<[RegExp, string, readonly string[]]> = [
  [/^$/, 'a runbook', RUNBOOK_KEYS],
  [/^targets$/, 'targets', TARGETS_KEYS],
  [/^targets\.scaleSets\.\*$/, 'a scale set', SCALE_SET_KEYS],
  [/^(steps|onFailure)\.\*$/, 'a step', STEP_KEYS],
  [/^(steps|onFailure)\.\*\.(parameters|protectedParameters)\.\*$/, 'a parameter', PARAMETER_KEYS],
  [/^(steps|onFailure)\.\*\.scriptUriManagedIdentity$/, 'a managed identity', MANAGED_IDENTITY_KEYS],
  [/^rollout$/, 'rollout', ROLLOUT_KEYS],
  [/^output$/, 'output', OUTPUT_KEYS],
];

function pattern(path: readonly PropertyKey[]): string {
  return path.map((s) => (typeof s === 'number' ? '*' : String(s))).join('.');
}

function issueProblems(issue: Issue): Problem[] {
  const path = issue.path.filter((s): s is PathSegment => typeof s !== 'symbol');
  if (issue.code === 'unrecognized_keys') {
    const where = pattern(path);
    const fields = FIELDS.find(([re]) => re.test(where));
    const isStep = /^(steps|onFailure)\.\*$/.test(where);
    return issue.keys.map((key) => {
      const reserved = isStep ? RESERVED_STEP_KEYS[key] : undefined;
      let message: string;
      if (reserved !== undefined) message = reserved;
      else if (fields === undefined) message = 'unknown field';
      else {
        const guess = closest(key, fields[2]);
        message =
          guess !== undefined
            ? `unknown field; did you mean "${guess}"?`
            : `unknown field; ${fields[1]} takes ${fields[2].join(', ')}`;
      }
      return { path: formatPath([...path, key]), message };
    });
  }
  let message = issue.message;
  if (message === 'is required') {
    const where = pattern(path);
    message = REQUIRED.find(([re]) => re.test(where))?.[1] ?? message;
  }
  return [{ path: formatPath(path), message }];
}

/** `onFailure: { ... }` is parsed as a list of one; report its problems at `onFailure`, where the user wrote them. */
function liftSingleOnFailure(problem: Problem, document: unknown): Problem {
  if (!isMapping(document) || !isMapping(document.onFailure)) return problem;
  if (problem.path === 'onFailure[0]') return { ...problem, path: 'onFailure' };
  if (problem.path.startsWith('onFailure[0].') || problem.path.startsWith('onFailure[0][')) {
    return { ...problem, path: `onFailure${problem.path.slice('onFailure[0]'.length)}` };
  }
  return problem;
}

// ---------------------------------------------------------------------------
// Rules across fields, on the raw document
// ---------------------------------------------------------------------------

interface RawStep {
  path: PathSegment[];
  list: 'steps' | 'onFailure';
  fields: Record<string, unknown>;
  name?: string;
}

function crossFieldProblems(document: unknown): Problem[] {
  if (!isMapping(document)) return [];
  const problems: Problem[] = [];
  const report = (path: PathSegment[], message: string) => problems.push({ path: formatPath(path), message });

  const steps = rawSteps(document.steps, ['steps'], 'steps');
  const onFailure = isMapping(document.onFailure)
    ? rawSteps([document.onFailure], ['onFailure'], 'onFailure').map((s) => ({ ...s, path: ['onFailure'] }))
    : rawSteps(document.onFailure, ['onFailure'], 'onFailure');

  for (const step of [...steps, ...onFailure]) stepProblems(step, report);
  nameProblems([...steps, ...onFailure], report);
  dependencyProblems(steps, onFailure, report);
  dependencyProblems(onFailure, steps, report);
  targetProblems(document.targets, report);
  waveProblems(document.rollout, report);
  return problems;
}

function rawSteps(value: unknown, base: PathSegment[], list: RawStep['list']): RawStep[] {
  if (!Array.isArray(value)) return [];
  const out: RawStep[] = [];
  value.forEach((fields: unknown, i) => {
    if (!isMapping(fields)) return;
    out.push({ path: [...base, i], list, fields, name: typeof fields.name === 'string' ? fields.name : undefined });
  });
  return out;
}

type Report = (path: PathSegment[], message: string) => void;

const SOURCES = ['script', 'scriptUri', 'commandId'] as const;

function stepProblems(step: RawStep, report: Report): void {
  const { fields, path } = step;
  const sources = SOURCES.filter((k) => fields[k] !== undefined);
  if (sources.length === 0) {
    report(path, 'needs exactly one of script, scriptUri or commandId; it has none');
  } else if (sources.length > 1) {
    report(path, `has ${sources.join(' and ')}; give exactly one of script, scriptUri or commandId`);
  }
  if (fields.scriptUriManagedIdentity !== undefined && fields.scriptUri === undefined) {
    report([...path, 'scriptUriManagedIdentity'], 'only applies to scriptUri, which this step does not have');
  }
  if (fields.runAsPassword !== undefined && fields.runAsUser === undefined) {
    report([...path, 'runAsPassword'], 'is given without runAsUser; say which user the password is for');
  }

  // Named parameters become environment variables (Linux) or -name arguments
  // (Windows); two with the same name would silently shadow each other.
  const seen = new Map<string, PathSegment[]>();
  for (const list of ['parameters', 'protectedParameters'] as const) {
    const params = fields[list];
    if (!Array.isArray(params)) continue;
    params.forEach((param: unknown, j) => {
      if (!isMapping(param) || typeof param.name !== 'string' || param.name === '') return;
      const first = seen.get(param.name);
      if (first !== undefined) {
        report([...path, list, j, 'name'], `repeats parameter "${param.name}" (first given at ${formatPath([...path, ...first])}); parameter names must be unique`);
      } else {
        seen.set(param.name, [list, j]);
      }
    });
  }
}

/** Step names are unique across steps and onFailure: each names a run command in the rollout. */
function nameProblems(steps: readonly RawStep[], report: Report): void {
  const first = new Map<string, RawStep>();
  for (const step of steps) {
    if (step.name === undefined || step.name === '') continue;
    // Azure resource names are case-insensitive: "Patch" and "patch" would read as the same run command.
    const key = step.name.toLowerCase();
    const earlier = first.get(key);
    if (earlier === undefined) {
      first.set(key, step);
      continue;
    }
    const sameCase = earlier.name === step.name;
    report(
      [...step.path, 'name'],
      sameCase
        ? `duplicate step name "${step.name}" (also ${formatPath(earlier.path)}); step names must be unique`
        : `step name "${step.name}" differs from "${earlier.name}" (${formatPath(earlier.path)}) only in letter case; Azure names are case-insensitive, so step names must differ in more than case`,
    );
  }
}

/** dependsOn points at steps of the same list, names each one once, never itself, and has no cycles. */
function dependencyProblems(steps: readonly RawStep[], otherList: readonly RawStep[], report: Report): void {
  const names = steps.map((s) => s.name).filter((n): n is string => n !== undefined);
  const known = new Set(names);
  const other = new Set(otherList.map((s) => s.name).filter((n): n is string => n !== undefined));
  const graph: Array<{ name: string; dependsOn: string[]; path: PathSegment[] }> = [];

  for (const step of steps) {
    const raw = step.fields.dependsOn;
    const list = typeof raw === 'string' ? [raw] : Array.isArray(raw) ? raw : [];
    const at = (j: number): PathSegment[] => (typeof raw === 'string' ? [...step.path, 'dependsOn'] : [...step.path, 'dependsOn', j]);
    const edges: string[] = [];
    const listed = new Set<string>();
    list.forEach((dep: unknown, j) => {
      if (typeof dep !== 'string') return;
      if (listed.has(dep)) {
        report(at(j), `lists "${dep}" twice`);
        return;
      }
      listed.add(dep);
      if (dep === step.name) {
        report(at(j), `step "${dep}" depends on itself`);
      } else if (known.has(dep)) {
        edges.push(dep);
      } else if (other.has(dep)) {
        report(
          at(j),
          step.list === 'steps'
            ? `"${dep}" is an onFailure step; steps can only depend on other steps`
            : `"${dep}" is a main step; onFailure steps can only depend on other onFailure steps`,
        );
      } else {
        report(at(j), `unknown step "${dep}"${didYouMean(dep, names.filter((n) => n !== step.name))}`);
      }
    });
    if (step.name !== undefined) graph.push({ name: step.name, dependsOn: edges, path: step.path });
  }

  for (const cycle of findCycles(graph)) {
    const start = graph.find((g) => g.name === cycle[0]);
    if (start !== undefined) report([...start.path, 'dependsOn'], `dependency cycle: ${formatCycle(cycle)}`);
  }
}

function targetProblems(targets: unknown, report: Report): void {
  if (!isMapping(targets)) return;
  if (targets.resourceGroup !== undefined && targets.resourceGroups !== undefined) {
    report(['targets', 'resourceGroups'], 'is given together with resourceGroup; use one of them');
  }
  const selectors = ['resourceGroup', 'resourceGroups', 'tags', 'vms', 'scaleSets'] as const;
  for (const key of ['resourceGroups', 'vms', 'scaleSets'] as const) {
    const value = targets[key];
    if (Array.isArray(value) && value.length === 0) report(['targets', key], `is empty; list some or leave ${key} out`);
  }
  if (isMapping(targets.tags) && Object.keys(targets.tags).length === 0) {
    report(['targets', 'tags'], 'is empty; give at least one tag or leave tags out');
  }
  const selects = selectors.some((key) => {
    const value = targets[key];
    if (value === undefined || value === null) return false;
    if (Array.isArray(value)) return value.length > 0;
    if (isMapping(value)) return Object.keys(value).length > 0;
    return true;
  });
  // Scale sets are listed per resource group (there is no subscription-wide
  // lookup by name), so each needs one, its own or the targets' only one.
  const groups = targets.resourceGroups !== undefined ? targets.resourceGroups : targets.resourceGroup !== undefined ? [targets.resourceGroup] : [];
  const oneGroup = Array.isArray(groups) && groups.length === 1;
  if (Array.isArray(targets.scaleSets) && !oneGroup) {
    targets.scaleSets.forEach((scaleSet: unknown, i) => {
      if (isMapping(scaleSet) && scaleSet.resourceGroup === undefined) {
        report(['targets', 'scaleSets', i, 'resourceGroup'], 'is required here: targets does not name exactly one resourceGroup to find the scale set in');
      }
    });
  }
  if (!selects) {
    report(['targets'], 'selects no machines; give at least one of resourceGroup, resourceGroups, tags, vms or scaleSets');
  }
}

/** After a wave of 100%, nothing is left: later entries are a mistake, not a plan. */
function waveProblems(rollout: unknown, report: Report): void {
  if (!isMapping(rollout) || !Array.isArray(rollout.waves)) return;
  const whole = rollout.waves.findIndex((w) => typeof w === 'string' && /^100(\.0+)?%$/.test(w));
  if (whole < 0) return;
  for (let k = whole + 1; k < rollout.waves.length; k++) {
    report(
      ['rollout', 'waves', k],
      `never runs: waves[${whole}] is "100%", which already takes every remaining target; remove the waves after it`,
    );
  }
}
