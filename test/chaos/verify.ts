import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EmulatorAdminClient } from '../../src/emulator/admin-client';
import type { StepPlan, StepResult, TargetRef, TargetResult } from '../../src/runbook/execution';
import { targetKey, targetWorkflowIdOfKey } from '../../src/runbook/execution';
import type { RolloutReport } from '../../src/runbook/rollout';
import { targetTiming, timedOutAttempts, type TargetTiming } from './timing';

/**
 * The invariants every chaos scenario checks once its rollout has ended:
 * - no target is lost: each is Succeeded, Failed with a reason, or NotStarted
 *   with the rollout's reason, and the report's counts agree with the
 *   targets' own results;
 * - every (target, step) that reached a VM ran its script exactly once, and
 *   one that did not (skipped, or refused by Azure) ran it zero times — by the
 *   emulator's execution counters, not by what fleetcmd says;
 * - each target ended as the scenario expected (Succeeded, or Failed with the
 *   error code Azure gave), and that reason reached the rollout's report.
 */

/** What a target's outcome must be, given the faults the scenario put on it. */
export type Expectation = { state: 'Succeeded' } | { state: 'Failed'; step: string; code: string };

export interface TargetUnderTest {
  ref: TargetRef;
  /** The VM's ARM resource id, as the emulator's counters name it. */
  vmId: string;
  expect: Expectation;
}

export type Outcome =
  | { kind: 'Succeeded'; result: TargetResult; seconds: number }
  | { kind: 'Failed'; reason: string; result?: TargetResult; seconds: number }
  | { kind: 'NotStarted'; reason: string }
  | { kind: 'Lost'; why: string };

export interface ExecutionFigures {
  /** (target, step) pairs checked. */
  pairs: number;
  /** Pairs that reached a VM and ran exactly once. */
  exactlyOnce: number;
  /** Pairs that did not reach a VM (skipped, refused by Azure, never started) and ran zero times. */
  expectedZero: number;
  /** How many pairs ran 0, 1, 2, ... times. */
  histogram: Record<string, number>;
  duplicated: string[];
  missing: string[];
  /** Ran although fleetcmd says the step never reached the VM. */
  unexpected: string[];
  /** Executions of run commands that are not any target's step of this rollout. */
  stray: number;
}

export interface Verification {
  total: number;
  counts: { Succeeded: number; Failed: number; NotStarted: number; Lost: number };
  outcomes: Map<string, Outcome>;
  lost: string[];
  executions: ExecutionFigures;
  timing?: TargetTiming;
  /** The rollout workflow's own attempts that timed out (its latest run), e.g. "resolveTargets attempt 1: START_TO_CLOSE". */
  rolloutWaitedOn: string[];
  violations: string[];
}

export interface VerifyInput {
  client: Client;
  admin: EmulatorAdminClient;
  rolloutId: string;
  steps: StepPlan[];
  targets: TargetUnderTest[];
  /** The rollout's report; undefined when the rollout did not end (every target then counts as checked one by one). */
  report?: RolloutReport;
}

/**
 * Checks the invariants of an ended rollout. Call it once its targets have
 * closed (awaitTargetsClosed): a target reports to the rollout just before it
 * completes, and one still running here counts as lost.
 */
export async function verifyRollout(input: VerifyInput): Promise<Verification> {
  const violations: string[] = [];
  const outcomes = new Map<string, Outcome>();
  await forEachLimited(input.targets, 16, async (t) => {
    outcomes.set(targetKey(t.ref), await outcomeOf(input, t));
  });

  const counts = { Succeeded: 0, Failed: 0, NotStarted: 0, Lost: 0 };
  const lost: string[] = [];
  for (const [key, o] of outcomes) {
    counts[o.kind] += 1;
    if (o.kind === 'Lost') lost.push(`${key}: ${o.why}`);
  }
  violations.push(...lost.map((l) => `lost target ${l}`));
  if (!input.report) violations.push(`rollout ${input.rolloutId} did not end`);
  else violations.push(...reportDisagreements(input.report, input.targets.length, counts));
  violations.push(...expectationMisses(input, outcomes));

  const executions = await executionFigures(input, outcomes);
  violations.push(...executions.duplicated.map((d) => `duplicated execution ${d}`));
  violations.push(...executions.missing.map((m) => `missing execution ${m}`));
  violations.push(...executions.unexpected.map((u) => `execution of a step that never reached its VM: ${u}`));
  if (executions.stray > 0) violations.push(`${executions.stray} executions of run commands outside this rollout's plan`);

  const ended = [...outcomes].flatMap(([key, o]) => (o.kind === 'Succeeded' || o.kind === 'Failed' ? [{ key, seconds: o.seconds }] : []));
  const timing = await targetTiming(input.client, input.rolloutId, ended);
  const rolloutWaitedOn = await timedOutAttempts(input.client, input.rolloutId).catch(() => []);
  return { total: input.targets.length, counts, outcomes, lost, executions, ...(timing ? { timing } : {}), rolloutWaitedOn, violations };
}

async function outcomeOf(input: VerifyInput, t: TargetUnderTest): Promise<Outcome> {
  const key = targetKey(t.ref);
  const handle = input.client.workflow.getHandle(targetWorkflowIdOfKey(input.rolloutId, key));
  let status: string;
  let seconds = 0;
  try {
    // The scenario already gave targets their minute to close (awaitTargetsClosed), while workers still ran.
    const description = await handle.describe();
    status = description.status.name;
    if (description.closeTime) seconds = (description.closeTime.getTime() - description.startTime.getTime()) / 1000;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    const reason = input.report?.stopReason;
    return reason ? { kind: 'NotStarted', reason } : { kind: 'Lost', why: 'never started, and the rollout gave no reason' };
  }
  if (status === 'RUNNING') return { kind: 'Lost', why: 'its workflow is still running a minute after the rollout ended' };
  if (status !== 'COMPLETED') {
    // The target workflow itself failed: the rollout records that as Failed with the error, which is a reason.
    return { kind: 'Failed', reason: `target workflow ${status}`, seconds };
  }
  const result = (await handle.result()) as TargetResult;
  if (result.state === 'Succeeded') return { kind: 'Succeeded', result, seconds };
  if (result.state === 'NotStarted' || result.state === 'Canceled') return { kind: 'Lost', why: `its workflow completed as ${result.state}` };
  const reason = failureReason(result.steps);
  return reason ? { kind: 'Failed', reason, result, seconds } : { kind: 'Lost', why: 'failed without any reason' };
}

/** The decisive step's reason: Azure's error, else what the agent said, else the script's last words. */
function failureReason(steps: StepResult[]): string | undefined {
  const step = steps.find((s) => s.state !== 'Succeeded' && s.state !== 'Skipped');
  if (!step) return undefined;
  if (step.failure) return `${step.step}: ${step.failure.code}: ${step.failure.message}`;
  const words = step.executionMessage || step.errorTail || step.outputTail;
  return words ? `${step.step}: ${step.state}: ${words.trim().split('\n').pop()}` : undefined;
}

function reportDisagreements(report: RolloutReport, total: number, counts: Verification['counts']): string[] {
  const problems: string[] = [];
  const c = report.counts;
  if (report.total !== total) problems.push(`the report counts ${report.total} targets, the fleet has ${total}`);
  if (c.Running !== 0 || c.Pending !== 0) problems.push(`the report ended with ${c.Running} running and ${c.Pending} pending targets`);
  if (c.Canceled !== 0) problems.push(`the report has ${c.Canceled} canceled targets; nobody cancelled`);
  for (const state of ['Succeeded', 'Failed', 'NotStarted'] as const) {
    if (c[state] !== counts[state]) problems.push(`the report says ${c[state]} ${state}, the targets' own workflows say ${counts[state]}`);
  }
  return problems;
}

function expectationMisses(input: VerifyInput, outcomes: Map<string, Outcome>): string[] {
  const problems: string[] = [];
  const reported = new Map((input.report?.failures ?? []).map((f) => [f.key, f.reason]));
  for (const t of input.targets) {
    const key = targetKey(t.ref);
    const o = outcomes.get(key);
    if (!o || o.kind === 'Lost' || o.kind === 'NotStarted') continue;
    if (t.expect.state === 'Succeeded') {
      if (o.kind !== 'Succeeded') problems.push(`${key} should have succeeded, but failed: ${o.reason}`);
      continue;
    }
    const { step, code } = t.expect;
    if (o.kind !== 'Failed') {
      problems.push(`${key} should have failed at ${step} with ${code}, but succeeded`);
      continue;
    }
    const decisive = o.result?.steps.find((s) => s.state !== 'Succeeded' && s.state !== 'Skipped');
    if (decisive?.step !== step || decisive.failure?.code !== code) {
      problems.push(`${key} should have failed at ${step} with ${code}, but: ${o.reason}`);
      continue;
    }
    // The report keeps the first 100 failures; those it keeps must carry Azure's code.
    const inReport = reported.get(key);
    if (inReport !== undefined && !inReport.includes(code)) problems.push(`${key}: the report's reason "${inReport}" does not carry ${code}`);
  }
  return problems;
}

/** 0 when the step never reached the VM: skipped, refused by Azure (4xx on the PUT), or the target never started. */
function expectedExecutions(result: TargetResult | undefined, step: StepPlan, outcome: Outcome): 0 | 1 | undefined {
  if (outcome.kind === 'NotStarted') return 0;
  if (!result) return undefined;
  const s = result.steps.find((r) => r.runCommandName === step.runCommandName);
  if (!s || s.state === 'Skipped') return 0;
  const refused = s.failure?.statusCode !== undefined && s.failure.statusCode >= 400 && s.failure.statusCode < 500;
  return refused ? 0 : 1;
}

async function executionFigures(input: VerifyInput, outcomes: Map<string, Outcome>): Promise<ExecutionFigures> {
  const { executions } = await input.admin.counters();
  const counted = new Map<string, number>();
  for (const e of executions) {
    if (e.kind !== 'managed') continue;
    counted.set(`${e.vm.toLowerCase()}|${e.runCommand.toLowerCase()}`, e.count);
  }
  const figures: ExecutionFigures = { pairs: 0, exactlyOnce: 0, expectedZero: 0, histogram: {}, duplicated: [], missing: [], unexpected: [], stray: 0 };
  const seen = new Set<string>();
  for (const t of input.targets) {
    const key = targetKey(t.ref);
    const outcome = outcomes.get(key) ?? { kind: 'Lost', why: 'unchecked' };
    const result = outcome.kind === 'Succeeded' || outcome.kind === 'Failed' ? outcome.result : undefined;
    for (const step of input.steps) {
      const id = `${t.vmId.toLowerCase()}|${step.runCommandName.toLowerCase()}`;
      seen.add(id);
      const actual = counted.get(id) ?? 0;
      const expected = expectedExecutions(result, step, outcome);
      figures.pairs += 1;
      figures.histogram[String(actual)] = (figures.histogram[String(actual)] ?? 0) + 1;
      const label = `${key} ${step.name}: ran ${actual} times`;
      if (actual > 1) figures.duplicated.push(label);
      else if (expected === 1 && actual === 1) figures.exactlyOnce += 1;
      else if (expected === 1) figures.missing.push(label);
      else if (expected === 0 && actual === 0) figures.expectedZero += 1;
      else if (expected === 0) figures.unexpected.push(label);
    }
  }
  for (const [id, count] of counted) if (!seen.has(id)) figures.stray += count;
  return figures;
}

async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]);
  });
  await Promise.all(lanes);
}
