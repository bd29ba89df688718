import { existsSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, bundleWorkflowCode } from '@temporalio/worker';
import type { LoadTargetsInput, ResolveTargetsInput } from '../../../../src/activities/targets';
import { targetWorkflowActivities } from '../../../../src/activities/target-workflows';
import type { ClaimRolloutIdInput, RolloutIdClaim } from '../../../../src/activities/rollout-claim';
import { failureConverterPath } from '../../../../src/codec';
import type { RunbookPlan, TargetRef, TargetState } from '../../../../src/runbook/execution';
import { targetKey, targetWorkflowId } from '../../../../src/runbook/execution';
import type { RolloutProgress, RolloutReport, RolloutSettings } from '../../../../src/runbook/rollout';
import type { RolloutInput, rollout as rolloutWorkflow } from '../../../../src/workflows/rollout';
import { testStack } from '../../../harness/stack';
import type { Finish } from './stub-workflows';

/**
 * Fast tests of the rollout workflow's logic: the real workflow on the
 * harness's Temporal dev server, with stub activities (a canned target list
 * per resource group, which a test may hold mid-call) and a stub `target`
 * workflow a test ends at will (stub-workflows.ts). No ARM, no agents.
 */

const SUBSCRIPTION = '00000000-0000-0000-0000-00000000cafe';

/** A promise a test opens when it chooses. */
export interface Gate {
  promise: Promise<void>;
  open(): void;
  readonly isOpen: boolean;
}

export function gate(): Gate {
  let open = (): void => undefined;
  let isOpen = false;
  const promise = new Promise<void>((resolve) => {
    open = () => {
      isOpen = true;
      resolve();
    };
  });
  return {
    promise,
    open: () => open(),
    get isOpen() {
      return isOpen;
    },
  };
}

/** One test's fleet: its targets, and the calls it holds until the test lets them go. */
interface StubFleet {
  targets: TargetRef[];
  /** resolveTargets waits for this gate when set; `resolving` opens once it was called. */
  holdResolve?: Gate;
  resolving: Gate;
  /** loadTargets from these offsets waits for the gate; `entered` opens once it was called. */
  holdLoads: Map<number, { release: Gate; entered: Gate }>;
}

const fleetsByGroup = new Map<string, StubFleet>();
const fleetsByRollout = new Map<string, StubFleet>();

/** Waits for a gate, heartbeating (the rollout's target activities have a 30 s heartbeat timeout). */
async function heldBy(g: Gate): Promise<void> {
  const context = Context.current();
  const beat = setInterval(() => context.heartbeat(), 1_000);
  try {
    // A worker shutting down (a failed test's leftovers) cancels the call.
    await Promise.race([g.promise, context.cancelled]);
  } finally {
    clearInterval(beat);
  }
}

const stubActivities = {
  async resolveTargets(input: ResolveTargetsInput): Promise<{ count: number; sample: string[] }> {
    const group = input.selector.kind === 'runbook' ? input.selector.targets.resourceGroups[0] : undefined;
    const fleet = group ? fleetsByGroup.get(group) : undefined;
    if (!fleet) throw new Error(`no stub fleet for resource group ${group}`);
    fleetsByRollout.set(input.rolloutId, fleet);
    fleet.resolving.open();
    if (fleet.holdResolve) await heldBy(fleet.holdResolve);
    return { count: fleet.targets.length, sample: [] };
  },
  async loadTargets(input: LoadTargetsInput): Promise<TargetRef[]> {
    const fleet = fleetsByRollout.get(input.rolloutId);
    if (!fleet) throw new Error(`no stub fleet for rollout ${input.rolloutId}`);
    const hold = fleet.holdLoads.get(input.offset);
    if (hold) {
      hold.entered.open();
      await heldBy(hold.release);
    }
    return fleet.targets.slice(input.offset, input.offset + input.limit);
  },
  /** Every lab rollout has an id of its own: the claim is granted (test/integration/rollout/rollout-id-claim.test.ts tests the real one). */
  async claimRolloutId(input: ClaimRolloutIdInput): Promise<RolloutIdClaim> {
    return { rolloutId: input.rolloutId, workflowId: input.workflowId, runId: input.runId, claimedAt: new Date().toISOString() };
  },
  ...targetWorkflowActivities(),
};

/** Every lab worker's task queue starts with this; the replay test replays their histories against the lab's bundle. */
export const LAB_TASK_QUEUE_PREFIX = 'rollout-logic-';

/** Where the lab's workflow bundle is kept for this integration run. */
export function labBundlePath(): string {
  return join(testStack().tmpDir, 'rollout-logic-bundle.js');
}

let bundlePath: string | undefined;

/** The stub bundle, built once per integration run (test files share the run's temp folder). */
async function stubBundle(): Promise<string> {
  if (bundlePath) return bundlePath;
  const path = labBundlePath();
  if (!existsSync(path)) {
    const { code } = await bundleWorkflowCode({
      workflowsPath: require.resolve('./stub-workflows'),
      failureConverterPath,
      logger: { info: () => undefined, warn: () => undefined, error: (m) => void process.stderr.write(`${m}\n`), debug: () => undefined, trace: () => undefined, log: () => undefined },
    });
    writeFileSync(`${path}.tmp`, code);
    renameSync(`${path}.tmp`, path);
  }
  bundlePath = path;
  return path;
}

export interface StartOptions {
  /** VM names; their prefix (ok-, fail-, hold-) says how the stub target ends. */
  names: string[];
  rollout?: Partial<RolloutSettings>;
  maxChildrenPerRun?: number;
  /** The rollout's internal limits (RolloutInput.tuning). */
  tuning?: Record<string, number>;
  holdResolve?: boolean;
  /** Offsets at which loadTargets waits for the test. */
  holdLoadsAt?: number[];
}

export interface LabRollout {
  rolloutId: string;
  handle: WorkflowHandle<typeof rolloutWorkflow>;
  /** Opens the held resolveTargets call. */
  releaseResolve(): void;
  /** Opens once resolveTargets was called. */
  resolving: Promise<void>;
  /** The held loadTargets call at `offset`: `entered` once called; `release()` lets it return. */
  load(offset: number): { entered: Promise<void>; release(): void };
  childId(name: string): string;
  /** The target's key, as its reports carry it. */
  key(name: string): string;
  finish(name: string, state: TargetState, reason?: string): Promise<void>;
  terminate(name: string): Promise<void>;
  /** Whether the rollout ever started a target workflow for `name`. */
  started(name: string): Promise<boolean>;
  progress(): Promise<RolloutProgress>;
  result(): Promise<RolloutReport>;
  /** Every event of the rollout's latest run. */
  events(): Promise<temporal.api.history.v1.IHistoryEvent[]>;
}

export interface Lab {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  start(options: StartOptions): Promise<LabRollout>;
  /** A fleet of its own resource group, for rollouts started elsewhere (a schedule): the group's name. */
  register(names: string[]): string;
}

/**
 * The lab a test file uses: one worker on its own task queue, started before
 * the file's first test and stopped after its last. Call at the top level.
 */
export function useLab(): () => Lab {
  let lab: Lab | undefined;
  let worker: Worker | undefined;
  let running: Promise<void> | undefined;
  let env: TestWorkflowEnvironment | undefined;
  beforeAll(async () => {
    const stack = testStack();
    env = await TestWorkflowEnvironment.createFromExistingServer({ address: stack.temporal.address, namespace: stack.temporal.namespace });
    const taskQueue = `${LAB_TASK_QUEUE_PREFIX}${randomUUID()}`;
    worker = await Worker.create({
      connection: env.nativeConnection,
      namespace: stack.temporal.namespace,
      taskQueue,
      workflowBundle: { codePath: await stubBundle() },
      activities: stubActivities,
    });
    running = worker.run();
    lab = { env, taskQueue, start: (options) => startIn(env as TestWorkflowEnvironment, taskQueue, options), register: (names) => register(names).group };
  }, 120_000);
  afterAll(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  }, 60_000);
  return () => {
    if (!lab) throw new Error('the lab is not started: use it inside a test');
    return lab;
  };
}

function register(names: string[], holds: Pick<StartOptions, 'holdResolve' | 'holdLoadsAt'> = {}): { group: string; fleet: StubFleet } {
  const group = `logic-${randomUUID().slice(0, 8)}`;
  const fleet: StubFleet = {
    targets: names.map((vmName) => ({ kind: 'vm', subscriptionId: SUBSCRIPTION, resourceGroup: group, vmName })),
    resolving: gate(),
    holdLoads: new Map((holds.holdLoadsAt ?? []).map((offset) => [offset, { release: gate(), entered: gate() }])),
    ...(holds.holdResolve ? { holdResolve: gate() } : {}),
  };
  fleetsByGroup.set(group, fleet);
  return { group, fleet };
}

async function startIn(env: TestWorkflowEnvironment, taskQueue: string, options: StartOptions): Promise<LabRollout> {
  const { group, fleet } = register(options.names, options);
  const { targets } = fleet;
  const rolloutId = `${group}-rollout`;
  const plan: RunbookPlan = { rolloutId, runbookName: 'logic', location: 'westus', steps: [], cleanup: 'afterCollect' };
  const settings: RolloutSettings = { waves: ['100%'], maxConcurrency: 10, maxErrors: 0, approval: 'none', ...options.rollout };
  const input = {
    plan,
    selector: { kind: 'runbook', targets: { resourceGroups: [group], tags: {}, vms: [], scaleSets: [] } },
    settings,
    ...(options.maxChildrenPerRun ? { maxChildrenPerRun: options.maxChildrenPerRun } : {}),
    ...(options.tuning ? { tuning: options.tuning } : {}),
  } as RolloutInput;
  const client = env.client;
  const handle = await client.workflow.start<typeof rolloutWorkflow>('rollout', { taskQueue, workflowId: rolloutId, args: [input] });
  const targetNamed = (name: string): TargetRef => {
    const t = targets.find((x) => x.kind === 'vm' && x.vmName === name);
    if (!t) throw new Error(`no target ${name}`);
    return t;
  };
  const childId = (name: string): string => targetWorkflowId(rolloutId, targetNamed(name));
  return {
    rolloutId,
    handle,
    releaseResolve: () => fleet.holdResolve?.open(),
    resolving: fleet.resolving.promise,
    load(offset) {
      const hold = fleet.holdLoads.get(offset);
      if (!hold) throw new Error(`loadTargets at ${offset} is not held`);
      return { entered: hold.entered.promise, release: () => hold.release.open() };
    },
    childId,
    key: (name) => targetKey(targetNamed(name)),
    finish: (name, state, reason) => client.workflow.getHandle(childId(name)).signal<[Finish]>('finish', { state, ...(reason ? { reason } : {}) }),
    async terminate(name) {
      await client.workflow.getHandle(childId(name)).terminate('terminated by the test, as an operator would');
    },
    async started(name) {
      try {
        await client.workflow.getHandle(childId(name)).describe();
        return true;
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }
    },
    progress: () => handle.query<RolloutProgress>('progress'),
    result: () => handle.result(),
    async events() {
      return (await client.workflow.getHandle(rolloutId).fetchHistory()).events ?? [];
    },
  };
}

/** A promise's value, or a failure naming `what` if it does not settle within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 30_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The events that carry `attribute`, grouped by the workflow task whose completion issued them. */
export function perWorkflowTask(events: temporal.api.history.v1.IHistoryEvent[], attribute: keyof temporal.api.history.v1.IHistoryEvent): number[] {
  const counts = new Map<string, number>();
  for (const e of events) {
    const attrs = e[attribute] as { workflowTaskCompletedEventId?: { toString(): string } | null } | null | undefined;
    if (!attrs) continue;
    const task = String(attrs.workflowTaskCompletedEventId);
    counts.set(task, (counts.get(task) ?? 0) + 1);
  }
  return [...counts.values()];
}

/** The workflow ids of the children a history asked to start (whether or not they have started yet). */
export function childStarts(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  return childStartEvents(events).map((s) => s.workflowId);
}

export function childStartEvents(events: temporal.api.history.v1.IHistoryEvent[]): { eventId: number; workflowId: string }[] {
  return events.flatMap((e) => {
    const workflowId = e.startChildWorkflowExecutionInitiatedEventAttributes?.workflowId;
    return workflowId ? [{ eventId: Number(e.eventId), workflowId }] : [];
  });
}

/** Each target report (targetDone signal) in a history: its event id and the target's key. */
export function reports(events: temporal.api.history.v1.IHistoryEvent[]): { eventId: number; key: string }[] {
  return events.flatMap((e) => {
    const signal = e.workflowExecutionSignaledEventAttributes;
    const data = signal?.signalName === 'targetDone' ? signal.input?.payloads?.[0]?.data : undefined;
    return data ? [{ eventId: Number(e.eventId), key: (JSON.parse(Buffer.from(data).toString('utf8')) as { key: string }).key }] : [];
  });
}

/**
 * Workflow task failures in a history, each a task the workflow's code could not complete (a bug,
 * retried for ever). Left out: UNHANDLED_COMMAND, the server's own refusal of a task that would
 * close the run while a new message was arriving; the worker redoes the task with the message.
 */
export function workflowTaskFailures(events: temporal.api.history.v1.IHistoryEvent[]): string[] {
  const unhandledCommand = temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND;
  return events
    .map((e) => e.workflowTaskFailedEventAttributes)
    .filter((a): a is temporal.api.history.v1.IWorkflowTaskFailedEventAttributes => !!a && a.cause !== unhandledCommand)
    .map((a) => `${a.cause}: ${a.failure?.message ?? 'unknown'}`);
}
