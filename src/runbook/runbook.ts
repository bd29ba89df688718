/**
 * The runbook file (docs/design.md, "The runbook file"): zod schemas for
 * what a user writes, and the types of what the rest of fleetcmd receives
 * after parsing. Step fields keep Azure's names (its Run Command REST
 * reference); rollout fields keep SSM's (`maxConcurrency`, `maxErrors`) and
 * Ansible's (`waves`, like `serial`).
 *
 * The schemas check each field on its own. Rules that span fields (exactly
 * one script source, step names and `dependsOn`, cycles, parameter names,
 * wave lists) live in validate.ts, which runs them on the raw document so
 * that every problem is reported at once, even when the schema has already
 * failed elsewhere.
 *
 * Every object is strict: an unknown key is an error (with a did-you-mean),
 * because a misspelt `dependOn` silently ignored would run steps in the
 * wrong order.
 */
import { z } from 'zod';
import { MAX_CONCURRENCY } from './plan';
import { didYouMean, show } from './problems';

// ---------------------------------------------------------------------------
// Types of the parsed runbook (what workflows and activities see)
// ---------------------------------------------------------------------------

export type Percent = `${number}%`;
/** A number of machines, or a share of the fleet written like "10%". */
export type CountOrPercent = number | Percent;

/** Azure's RunCommandInputParameter. An empty name is a positional argument on Linux. */
export interface RunCommandInputParameter {
  name: string;
  value: string;
}

/** Azure's RunCommandManagedIdentity: a user-assigned identity by clientId or objectId; {} is the system-assigned one. */
export type RunCommandManagedIdentity = { clientId: string } | { objectId: string } | Record<string, never>;

/** Azure's VirtualMachineRunCommandScriptSource, with exactly one of its three sources. */
export type RunCommandSource =
  | { script: string }
  | { scriptUri: string; scriptUriManagedIdentity?: RunCommandManagedIdentity }
  | { commandId: string };

/**
 * One run command on one machine. Everything here is sent to Azure as the
 * run command's `properties`, except `name` and `dependsOn`, which belong to
 * the runbook. `outputBlobUri`/`errorBlobUri` are absent on purpose: fleetcmd
 * mints an append blob with a SAS per (rollout, target, step) and sets them.
 */
export interface Step {
  name: string;
  dependsOn: string[];
  source: RunCommandSource;
  parameters: RunCommandInputParameter[];
  protectedParameters: RunCommandInputParameter[];
  /** Omitted means Azure's default (0: no timeout on Linux). */
  timeoutInSeconds?: number;
  runAsUser?: string;
  runAsPassword?: string;
  asyncExecution: boolean;
  treatFailureAsDeploymentFailure: boolean;
}

export interface ScaleSetSelector {
  name: string;
  /** When omitted, the one resource group of `targets` (validation requires there be exactly one). */
  resourceGroup?: string;
  /** All instances when omitted. */
  instanceIds?: string[];
}

/**
 * Which machines, resolved when a rollout starts. The selection is the union of:
 * - the query: VMs carrying every tag in `tags`, in `resourceGroups` (or the
 *   whole subscription when none is given); with no tags, every VM of
 *   `resourceGroups` — but only when no explicit `vms`/`scaleSets` are given,
 *   in which case `resourceGroups` only scopes the bare names below;
 * - `vms`: `name` (looked up in `resourceGroups`, or the subscription; it must
 *   match exactly one VM), `resourceGroup/name`, or a full resource id;
 * - `scaleSets`: the listed (or all) instances of each scale set.
 * Duplicates are removed. `subscriptionId` defaults to the configured one.
 */
export interface Targets {
  subscriptionId?: string;
  resourceGroups: string[];
  tags: Record<string, string>;
  vms: string[];
  scaleSets: ScaleSetSelector[];
}

export type Approval = 'none' | 'afterFirstWave' | 'betweenWaves';

export interface Rollout {
  /**
   * Wave sizes, like Ansible's `serial`: each entry is the size of one wave
   * (a count, or a percentage of the whole fleet); when the list runs out the
   * last entry repeats until every target has had its wave. See cutWaves.
   */
  waves: CountOrPercent[];
  /** Targets in flight at once, across the fleet (SSM's MaxConcurrency). */
  maxConcurrency: CountOrPercent;
  /** Failures tolerated; the next one stops new starts (SSM's MaxErrors). */
  maxErrors: CountOrPercent;
  approval: Approval;
}

/** What happens to the run commands fleetcmd created, once their output is collected. */
export type Cleanup = 'afterCollect' | { keepLast: number };

export interface Runbook {
  name: string;
  location: string;
  targets: Targets;
  steps: Step[];
  /** Run, in order of their own dependsOn, on targets whose runbook failed (a rollback). */
  onFailure: Step[];
  rollout: Rollout;
  output?: { container: string };
  cleanup: Cleanup;
}

// ---------------------------------------------------------------------------
// Rules shared with validate.ts and the ARM importer
// ---------------------------------------------------------------------------

/** int32, the type of timeoutInSeconds in Azure's REST reference. */
export const MAX_TIMEOUT_IN_SECONDS = 2_147_483_647;

/** A VM holds at most 25 managed run commands (Azure's service limits); keepLast leaves room for one more. */
export const MAX_KEEP_LAST = 24;

export const DEFAULT_ROLLOUT: Rollout = { waves: ['100%'], maxConcurrency: 10, maxErrors: 0, approval: 'none' };

export const APPROVALS: readonly Approval[] = ['none', 'afterFirstWave', 'betweenWaves'];

export const RUNBOOK_KEYS = ['name', 'location', 'targets', 'steps', 'onFailure', 'rollout', 'output', 'cleanup'] as const;
export const TARGETS_KEYS = ['subscriptionId', 'resourceGroup', 'resourceGroups', 'tags', 'vms', 'scaleSets'] as const;
export const SCALE_SET_KEYS = ['name', 'resourceGroup', 'instanceIds'] as const;
export const STEP_KEYS = [
  'name',
  'dependsOn',
  'script',
  'scriptUri',
  'scriptUriManagedIdentity',
  'commandId',
  'parameters',
  'protectedParameters',
  'timeoutInSeconds',
  'runAsUser',
  'runAsPassword',
  'asyncExecution',
  'treatFailureAsDeploymentFailure',
] as const;
export const PARAMETER_KEYS = ['name', 'value'] as const;
export const ROLLOUT_KEYS = ['waves', 'maxConcurrency', 'maxErrors', 'approval'] as const;
export const OUTPUT_KEYS = ['container'] as const;
export const MANAGED_IDENTITY_KEYS = ['clientId', 'objectId'] as const;

/**
 * Keys a user may reasonably try on a step that fleetcmd deliberately does
 * not take, with the reason and what to write instead.
 */
export const RESERVED_STEP_KEYS: Readonly<Record<string, string>> = {
  outputBlobUri: 'is set by fleetcmd, which mints an append blob per rollout, target and step; set output.container instead',
  errorBlobUri: 'is set by fleetcmd, which mints an append blob per rollout, target and step; set output.container instead',
  outputBlobManagedIdentity: 'is not used: fleetcmd writes output through a SAS it mints; set output.container instead',
  errorBlobManagedIdentity: 'is not used: fleetcmd writes output through a SAS it mints; set output.container instead',
  source: 'Azure nests the script under properties.source; in a runbook write script, scriptUri or commandId directly on the step',
  properties: 'write the run command properties (script, parameters, timeoutInSeconds...) directly on the step',
  location: 'is set once for the whole runbook, at the top level',
};

/**
 * Azure run command names (and so step names): 1-80 of `[A-Za-z0-9._-]`,
 * starting with a letter or digit and ending with a letter, digit or `_`
 * (the rule Terraform's azurerm provider checks; Azure publishes none).
 * Returns why a name breaks the rule, or undefined when it is fine.
 */
export function runCommandNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'is empty; a step name has 1-80 characters of letters, digits, ".", "_" and "-"';
  if (name.length > 80) return `is ${name.length} characters long; a step name (an Azure run command name) has at most 80`;
  const bad = [...new Set(name.replace(/[A-Za-z0-9._-]/g, ''))];
  if (bad.length > 0) {
    return `${JSON.stringify(name)} contains ${bad.map((c) => JSON.stringify(c)).join(', ')}; a step name (an Azure run command name) has only letters, digits, ".", "_" and "-"`;
  }
  if (!/^[A-Za-z0-9]/.test(name)) return `${JSON.stringify(name)} must start with a letter or digit (Azure run command name rule)`;
  if (!/[A-Za-z0-9_]$/.test(name)) return `${JSON.stringify(name)} must end with a letter, digit or "_" (Azure run command name rule)`;
  return undefined;
}

export interface VmReference {
  subscriptionId?: string;
  resourceGroup?: string;
  name: string;
}

const VM_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const RESOURCE_GROUP_NAME = /^[-\w.()\p{L}\p{N}]{0,89}[-\w()\p{L}\p{N}]$/u;
const VM_RESOURCE_ID =
  /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i;

/** `web-01`, `web-rg/web-01` or `/subscriptions/.../virtualMachines/web-01`; undefined when none of these. */
export function parseVmReference(ref: string): VmReference | undefined {
  const id = VM_RESOURCE_ID.exec(ref);
  if (id) {
    const [, subscriptionId, resourceGroup, name] = id;
    return RESOURCE_GROUP_NAME.test(resourceGroup) && VM_NAME.test(name) ? { subscriptionId, resourceGroup, name } : undefined;
  }
  const parts = ref.split('/');
  if (parts.length === 1 && VM_NAME.test(ref)) return { name: ref };
  if (parts.length === 2 && RESOURCE_GROUP_NAME.test(parts[0]) && VM_NAME.test(parts[1])) return { resourceGroup: parts[0], name: parts[1] };
  return undefined;
}

const PERCENT = /^(\d+(?:\.\d+)?)%$/;

export function isMapping(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Parses a count or a percentage; the caller says what the bounds mean.
 * Numeric strings ("10") are taken as counts, as SSM's API takes them.
 */
interface CountBounds {
  minCount: number;
  minPercentExclusive: boolean;
  what: string;
  /** The largest count allowed, and why (a percentage over it is capped when the fleet is known). */
  maxCount?: { value: number; why: string };
}

function countOrPercentProblem(value: unknown, bounds: CountBounds): string | undefined {
  const example = `a whole number${bounds.minCount > 0 ? ` of at least ${bounds.minCount}` : ' (0 or more)'} or a percentage like "10%"`;
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return `${value} is not a whole number of ${bounds.what}; write ${example}`;
    if (value < bounds.minCount) {
      return value === 0
        ? `0 ${bounds.what} would never start anything; write ${example}`
        : `${value} is negative; write ${example}`;
    }
    if (bounds.maxCount && value > bounds.maxCount.value) {
      return `${value} is more than ${bounds.maxCount.value}, ${bounds.maxCount.why}; write at most ${bounds.maxCount.value}, or a percentage (capped at ${bounds.maxCount.value})`;
    }
    return undefined;
  }
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return countOrPercentProblem(Number(value), bounds);
    const m = PERCENT.exec(value);
    if (!m) return `${JSON.stringify(value)} is neither a count nor a percentage; write ${example}`;
    const pct = Number(m[1]);
    if (pct > 100) return `${value} is more than the whole fleet; a percentage is at most 100%`;
    if (pct === 0 && bounds.minPercentExclusive) return `0% ${bounds.what} would never start anything; write ${example}`;
    return undefined;
  }
  return `must be ${example}, not ${show(value)}`;
}

function countOrPercent(bounds: CountBounds) {
  return z.unknown().transform((value, ctx): CountOrPercent => {
    const problem = countOrPercentProblem(value, bounds);
    if (problem !== undefined) {
      ctx.addIssue({ code: 'custom', message: problem, input: value });
      return z.NEVER;
    }
    if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
    return value as CountOrPercent;
  });
}

// ---------------------------------------------------------------------------
// Schemas (the file as written -> the types above)
// ---------------------------------------------------------------------------

const nonEmpty = (what: string) =>
  z.string().refine((s) => s.trim().length > 0, { error: `is empty; give ${what}` });

const httpUrl = (what: string) =>
  z.url({ protocol: /^https?$/, error: (iss) => `${show(iss.input)} is not an http(s) URL; ${what}` });

/**
 * A parameter. A protected one's value is a secret: its messages never
 * repeat it (docs/design.md: secrets never appear in clear in CLI output).
 */
const parameter = (secret: boolean) =>
  z.strictObject({
    name: z.string({ error: (iss) => (iss.input === undefined ? 'is required (use "" for a positional parameter)' : `must be a string, not ${show(iss.input)}`) }),
    value: z.string({
      error: (iss) =>
        iss.input === undefined
          ? 'is required'
          : secret
            ? 'must be a string; put the value in quotes'
            : typeof iss.input === 'number' || typeof iss.input === 'boolean'
              ? `must be a string; quote it: "${String(iss.input)}"`
              : `must be a string, not ${show(iss.input)}`,
    }),
  });

const managedIdentitySchema = z
  .strictObject({ clientId: z.string().min(1).optional(), objectId: z.string().min(1).optional() })
  .refine((mi) => !(mi.clientId !== undefined && mi.objectId !== undefined), {
    error: 'give clientId or objectId, not both ({} means the system-assigned identity)',
  })
  .transform((mi): RunCommandManagedIdentity => (mi.clientId !== undefined ? { clientId: mi.clientId } : mi.objectId !== undefined ? { objectId: mi.objectId } : {}));

const stepNameSchema = z.string().superRefine((name, ctx) => {
  const problem = runCommandNameProblem(name);
  if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem, input: name });
});

const timeoutSchema = z.unknown().transform((value, ctx): number => {
  const ok = typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_TIMEOUT_IN_SECONDS;
  if (!ok) {
    ctx.addIssue({
      code: 'custom',
      input: value,
      message:
        typeof value === 'number' && value < 0
          ? `${value} is negative; a timeout is a whole number of seconds, 0 or more (0 means none)`
          : typeof value === 'number' && !Number.isInteger(value)
            ? `${value} is not a whole number of seconds`
            : typeof value === 'number'
              ? `${value} is more than Azure's largest timeout (${MAX_TIMEOUT_IN_SECONDS} seconds)`
              : `must be a whole number of seconds, 0 or more (0 means none), not ${show(value)}`,
    });
    return z.NEVER;
  }
  return value;
});

/** A single string or a list of lines, joined with newlines. */
const scriptSchema = z.unknown().transform((value, ctx): string => {
  const lines = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(lines)) {
    ctx.addIssue({ code: 'custom', input: value, message: `must be the script's text, or a list of its lines, not ${show(value)}` });
    return z.NEVER;
  }
  const bad = lines.findIndex((line) => typeof line !== 'string');
  if (bad >= 0) {
    ctx.addIssue({ code: 'custom', input: value, path: [bad], message: `each line of a script must be a string, not ${show(lines[bad])}; quote it` });
    return z.NEVER;
  }
  const script = (lines as string[]).join('\n');
  if (script.trim() === '') {
    ctx.addIssue({ code: 'custom', input: value, message: 'is empty; give the commands to run' });
    return z.NEVER;
  }
  return script;
});

/** One name, or a list of names; a single string is taken as a list of one. */
const dependsOnSchema = z.preprocess(
  (value) => (typeof value === 'string' ? [value] : value),
  z.array(z.string({ error: (iss) => `must be a step name, not ${show(iss.input)}` }), {
    error: (iss) => `must be a list of step names, not ${show(iss.input)}`,
  }),
);

const stepSchema = z
  .strictObject({
    name: stepNameSchema,
    dependsOn: dependsOnSchema.optional(),
    script: scriptSchema.optional(),
    scriptUri: httpUrl('Azure downloads the script from an http(s) URL (a SAS URL or a public one)').optional(),
    scriptUriManagedIdentity: managedIdentitySchema.optional(),
    commandId: nonEmpty('the id of a built-in command, e.g. RunShellScript').optional(),
    parameters: z.array(parameter(false)).optional(),
    protectedParameters: z.array(parameter(true)).optional(),
    timeoutInSeconds: timeoutSchema.optional(),
    runAsUser: nonEmpty('the user account on the VM').optional(),
    runAsPassword: z.string({ error: 'must be a string; put the password in quotes' }).optional(),
    asyncExecution: z.boolean().optional(),
    treatFailureAsDeploymentFailure: z.boolean().optional(),
  })
  .transform((s): Step => {
    // validate.ts rejects a step without exactly one source before a Runbook
    // is ever returned; the fallbacks here only keep the transform total.
    const source: RunCommandSource =
      s.script !== undefined
        ? { script: s.script }
        : s.scriptUri !== undefined
          ? s.scriptUriManagedIdentity !== undefined
            ? { scriptUri: s.scriptUri, scriptUriManagedIdentity: s.scriptUriManagedIdentity }
            : { scriptUri: s.scriptUri }
          : { commandId: s.commandId ?? '' };
    const step: Step = {
      name: s.name,
      dependsOn: s.dependsOn ?? [],
      source,
      parameters: s.parameters ?? [],
      protectedParameters: s.protectedParameters ?? [],
      asyncExecution: s.asyncExecution ?? false,
      treatFailureAsDeploymentFailure: s.treatFailureAsDeploymentFailure ?? false,
    };
    if (s.timeoutInSeconds !== undefined) step.timeoutInSeconds = s.timeoutInSeconds;
    if (s.runAsUser !== undefined) step.runAsUser = s.runAsUser;
    if (s.runAsPassword !== undefined) step.runAsPassword = s.runAsPassword;
    return step;
  });

const resourceGroupSchema = z.string().regex(RESOURCE_GROUP_NAME, {
  error: (iss) => `${show(iss.input)} is not a resource group name (1-90 letters, digits, "_", "-", ".", "(", ")", not ending in ".")`,
});

const vmReferenceSchema = z.string().refine((ref) => parseVmReference(ref) !== undefined, {
  error: (iss) =>
    `${show(iss.input)} is not a VM: write its name, resourceGroup/name, or its full resource id (/subscriptions/.../resourceGroups/.../providers/Microsoft.Compute/virtualMachines/name)`,
});

const scaleSetSchema = z.strictObject({
  name: z.string().regex(VM_NAME, { error: (iss) => `${show(iss.input)} is not a scale set name` }),
  resourceGroup: resourceGroupSchema.optional(),
  instanceIds: z
    .array(z.string({ error: (iss) => (typeof iss.input === 'number' ? `instance ids are strings; quote it: "${iss.input}"` : `must be a string, not ${show(iss.input)}`) }))
    .min(1, { error: 'is empty; list instance ids, or leave instanceIds out for every instance' })
    .optional(),
});

const targetsSchema = z
  .strictObject({
    subscriptionId: z
      .string()
      .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, {
        error: (iss) => `${show(iss.input)} is not a subscription id (a GUID like 00000000-0000-0000-0000-000000000000)`,
      })
      .optional(),
    resourceGroup: resourceGroupSchema.optional(),
    resourceGroups: z.array(resourceGroupSchema).optional(),
    tags: z
      .record(
        z.string().min(1, { error: 'a tag name cannot be empty' }),
        z.string({ error: (iss) => (typeof iss.input === 'number' || typeof iss.input === 'boolean' ? `tag values are strings; quote it: "${String(iss.input)}"` : `must be a string, not ${show(iss.input)}`) }),
      )
      .optional(),
    vms: z.array(vmReferenceSchema).optional(),
    scaleSets: z.array(scaleSetSchema).optional(),
  })
  .transform((t): Targets => {
    const targets: Targets = {
      resourceGroups: t.resourceGroups ?? (t.resourceGroup !== undefined ? [t.resourceGroup] : []),
      tags: t.tags ?? {},
      vms: t.vms ?? [],
      scaleSets: t.scaleSets ?? [],
    };
    if (t.subscriptionId !== undefined) targets.subscriptionId = t.subscriptionId;
    return targets;
  });

const rolloutSchema = z
  .strictObject({
    waves: z
      .array(countOrPercent({ minCount: 1, minPercentExclusive: true, what: 'machines in a wave' }), {
        error: (iss) => `must be a list of wave sizes like [1, "10%", "100%"], not ${show(iss.input)}`,
      })
      .min(1, { error: 'is empty; give at least one wave size, e.g. ["100%"]' })
      .default(['100%']),
    maxConcurrency: countOrPercent({
      minCount: 1,
      minPercentExclusive: true,
      what: 'machines in flight',
      maxCount: { value: MAX_CONCURRENCY, why: 'the most machines one rollout keeps in flight (what Temporal holds for one workflow)' },
    }).default(DEFAULT_ROLLOUT.maxConcurrency),
    maxErrors: countOrPercent({ minCount: 0, minPercentExclusive: false, what: 'errors' }).default(DEFAULT_ROLLOUT.maxErrors),
    approval: z.enum(['none', 'afterFirstWave', 'betweenWaves']).default('none'),
  })
  .prefault({});

const outputSchema = z.strictObject({
  container: httpUrl('give the blob container URL, e.g. https://acct.blob.core.windows.net/fleetcmd-output').refine(
    (url) => !url.includes('?'),
    { error: 'must not carry a query (a SAS token would end up in logs and history); fleetcmd mints its own SAS' },
  ),
});

const cleanupSchema = z.unknown().transform((value, ctx): Cleanup => {
  const fail = (message: string, path: (string | number)[] = []) => {
    ctx.addIssue({ code: 'custom', message, input: value, path });
    return z.NEVER;
  };
  if (value === 'afterCollect') return 'afterCollect';
  if (typeof value === 'string') return fail(`must be "afterCollect" or { keepLast: N }, not ${show(value)}${didYouMean(value, ['afterCollect'])}`);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return fail(`must be "afterCollect" or { keepLast: N }, not ${show(value)}`);
  const entries = Object.entries(value);
  for (const [key] of entries) {
    if (key !== 'keepLast') return fail(`unknown field${didYouMean(key, ['keepLast'])}`, [key]);
  }
  const keepLast = (value as { keepLast?: unknown }).keepLast;
  if (keepLast === undefined) return fail('is required: how many of its run commands fleetcmd keeps on each VM', ['keepLast']);
  if (typeof keepLast !== 'number' || !Number.isInteger(keepLast) || keepLast < 1 || keepLast > MAX_KEEP_LAST) {
    return fail(
      `must be a whole number from 1 to ${MAX_KEEP_LAST} (a VM holds at most 25 run commands and fleetcmd needs room for the next one), not ${show(keepLast)}`,
      ['keepLast'],
    );
  }
  return { keepLast };
});

/** The whole file. Parse with validateRunbook (validate.ts), which adds the cross-field rules. */
export const runbookSchema = z.strictObject({
  name: z
    .string()
    .min(1, { error: 'is empty; give the runbook a name' })
    .max(128, { error: 'is longer than 128 characters' })
    .refine((s) => !/\p{Cc}/u.test(s), { error: 'must not contain control characters' }),
  location: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9 ]*$/, { error: (iss) => `${show(iss.input)} is not an Azure region name like westus or "West US"` }),
  targets: targetsSchema,
  steps: z.array(stepSchema).min(1, { error: 'is empty; a runbook needs at least one step' }),
  // A single step is taken as a list of one; validate.ts maps the paths back.
  onFailure: z
    .preprocess((value) => (isMapping(value) ? [value] : value), z.array(stepSchema))
    .optional()
    .transform((s) => s ?? []),
  rollout: rolloutSchema,
  output: outputSchema.optional(),
  cleanup: cleanupSchema.optional().transform((c): Cleanup => c ?? 'afterCollect'),
});

/** What a user writes. */
export type RunbookInput = z.input<typeof runbookSchema>;

// A compile-time check that the schema produces exactly the documented types.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const _schemaMatchesRunbook: Same<z.output<typeof runbookSchema>, Runbook> = true;
void _schemaMatchesRunbook;
