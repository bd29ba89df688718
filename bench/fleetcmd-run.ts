import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Client } from '@temporalio/client';
import { startRollout } from '../src/client/rollouts';
import type { PollPolicy } from '../src/runbook/execution';
import type { RolloutReport } from '../src/runbook/rollout';
import type { Runbook } from '../src/runbook/runbook';
import type { Fleet } from '../test/harness/fleet';
import { onInterrupt } from '../test/chaos/interrupt';
import { peakRss } from './plain-fleet';

const ROOT = join(__dirname, '..');

/** A fleetcmd worker as operators run it: the built `dist/worker.js`, in its own process. */
export interface WorkerProcess {
  child: ChildProcess;
  /** Peak resident set so far (VmHWM). */
  peakRssBytes(): number;
  stop(): Promise<void>;
}

export async function startWorkerProcess(fleet: Fleet, options: { env?: NodeJS.ProcessEnv; logFile: string }): Promise<WorkerProcess> {
  const log = createWriteStream(options.logFile);
  // MALLOC_ARENA_MAX as the image sets it (Dockerfile, docs/azure.md).
  const env = { ...fleet.workerEnv, MALLOC_ARENA_MAX: '2', ...options.env };
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'worker.js')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(log);
  let lastPeak = 0;
  const peak = (): number => {
    try {
      lastPeak = Math.max(lastPeak, peakRss(child.pid ?? 0));
    } catch {
      // Exited: the last reading stands.
    }
    return lastPeak;
  };
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    child.stderr?.on('data', (d: Buffer) => {
      log.write(d);
      seen += d.toString();
      if (seen.includes('fleetcmd worker:')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it started; see ${options.logFile}`)));
  });
  const unregister = onInterrupt(() => handle.stop());
  const handle: WorkerProcess = {
    child,
    peakRssBytes: peak,
    async stop() {
      unregister();
      peak();
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return handle;
}

export interface RolloutRun {
  wallMs: number;
  report: RolloutReport;
}

/** Starts a rollout and waits for its report; wall time from the start request to the report. */
export async function runRollout(fleet: Fleet, options: { runbook: Runbook; rolloutId: string; poll: PollPolicy }): Promise<RolloutRun> {
  const started = Date.now();
  const handle = await startRollout(fleet.client, { runbook: options.runbook, taskQueue: fleet.taskQueue, rolloutId: options.rolloutId, poll: options.poll });
  const report = await handle.result();
  return { wallMs: Date.now() - started, report };
}

export interface HistoryFigures {
  rolloutRuns: number;
  largestRollout: number;
  targets: number;
  largestTarget: number;
  /** All events of the target workflows, summed. */
  targetEvents: number;
}

/** History sizes from visibility: every run of the rollout, every target workflow on the task queue. */
export async function historyFigures(client: Client, rolloutId: string, taskQueue: string): Promise<HistoryFigures> {
  const rollouts: number[] = [];
  for await (const e of client.workflow.list({ query: `WorkflowId = '${rolloutId}'` })) rollouts.push(e.historyLength);
  const targets: number[] = [];
  for await (const e of client.workflow.list({ query: `WorkflowType = 'target' AND TaskQueue = '${taskQueue}'`, pageSize: 1000 })) targets.push(e.historyLength);
  return {
    rolloutRuns: rollouts.length,
    largestRollout: Math.max(0, ...rollouts),
    targets: targets.length,
    largestTarget: targets.reduce((a, n) => Math.max(a, n), 0),
    targetEvents: targets.reduce((a, n) => a + n, 0),
  };
}
