import { chownSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppendBlobStream, withoutSas } from './blob-writer';
import type { SimulatedVm } from './fleet';
import { readTail, startProcess, type ProcessExit, type RunningProcess } from './process-runner';
import { resolveScript } from './script-source';
import { resourceTime } from './time-format';
import type { ExecutionState, RunCommandInputParameter, RunCommandInstanceView, RunCommandSpec } from './types';

/**
 * The VM side: what Azure's run command handlers do with a configuration.
 * The managed handler (RunCommandHandlerLinux) writes the script to
 * download/<name>/<seq>/script.sh, runs `/bin/bash -c "<script> <args>"` with
 * named parameters as environment variables, re-reports the instance view
 * (last 4 KB of each stream) on an interval, enforces timeoutInSeconds and
 * streams full output to append blobs. The action handler (RunCommandLinux)
 * runs `/bin/sh -c` and reports once, at the end.
 */

export const TAIL_BYTES = 4096;
const ACTION_TIMEOUT_MS = 90 * 60_000;

export type ReportPhase = 'started' | 'refresh' | 'finished';

export interface AgentReporter {
  report(view: RunCommandInstanceView, phase: ReportPhase): void;
  processStarted(pid: number, runDir: string): void;
  processEnded(exitCode: number, executionState: ExecutionState): void;
}

export interface ManagedRunInput {
  vm: SimulatedVm;
  runCommandName: string;
  sequence: number;
  /** The VM's own folder under the data dir. */
  sandboxDir: string;
  /** commandId already expanded into source.script. */
  spec: RunCommandSpec;
  refreshMs: number;
}

export interface AgentRun {
  /** Kills the script's process group and reports nothing more (DELETE, changed PUT). */
  cancel(): Promise<void>;
  /** The handler dies: the script is killed and the run reported Failed. */
  crash(): void;
  readonly done: Promise<void>;
}

interface RunAsUser {
  uid: number;
  gid: number;
  home: string;
  name: string;
}

function lookupUser(name: string): RunAsUser | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, , home] = line.split(':');
    if (user === name && uid !== undefined && gid !== undefined) return { name, uid: Number(uid), gid: Number(gid), home: home || '/' };
  }
  return undefined;
}

/** Named parameters become environment variables; unnamed ones are appended, unquoted, as the handler does. */
export function parameterEnvironment(parameters: RunCommandInputParameter[]): { env: Record<string, string>; args: string[] } {
  const env: Record<string, string> = {};
  const args: string[] = [];
  for (const p of parameters) {
    if (!p.value) continue;
    if (p.name) env[p.name] = p.value;
    else args.push(p.value);
  }
  return { env, args };
}

function baseEnvironment(vm: SimulatedVm, home: string, user?: string): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: home,
    SHELL: '/bin/bash',
    LANG: process.env.LANG ?? 'C.UTF-8',
    // Lets a demo script say which simulated VM it is "on".
    FLEETCMD_EMULATOR_VM: vm.id,
  };
  if (user) {
    env.USER = user;
    env.LOGNAME = user;
  }
  return env;
}

function failedView(exitCode: number, message: string, at: number, state: ExecutionState = 'Failed'): RunCommandInstanceView {
  const t = resourceTime(at);
  return { executionState: state, executionMessage: message, exitCode, output: '', error: '', startTime: t, endTime: t };
}

/** Starts a managed run command's execution on a VM. */
export function startManagedRun(input: ManagedRunInput, reporter: AgentReporter): AgentRun {
  const { vm, spec } = input;
  const runDir = join(input.sandboxDir, 'download', input.runCommandName, String(input.sequence));
  let cancelled = false;
  let crashed = false;
  let child: RunningProcess | undefined;
  let processEnded = false;
  const report = (view: RunCommandInstanceView, phase: ReportPhase): void => {
    if (!cancelled) reporter.report(view, phase);
  };
  const endProcess = (exitCode: number, state: ExecutionState): void => {
    if (processEnded || !child) return;
    processEnded = true;
    reporter.processEnded(exitCode, state);
  };

  const execute = async (): Promise<void> => {
    const resolved = await resolveScript(spec.source);
    if (cancelled) return;
    const at = Date.now();
    if (resolved.kind === 'invalidConfiguration') {
      // Recorded (test_run_command_v2.yaml): state stays "Running", exit 0, start == end.
      const view = failedView(0, resolved.message, at, 'Running');
      report(view, 'finished');
      return;
    }
    if (resolved.kind === 'downloadFailed') {
      report(failedView(-100, resolved.message, at), 'finished');
      return;
    }
    let runAs: RunAsUser | undefined;
    if (spec.runAsUser) {
      runAs = lookupUser(spec.runAsUser);
      if (!runAs) {
        report(failedView(-102, `Execution failed: Failed to lookup RunAs user ${spec.runAsUser}: user: unknown user ${spec.runAsUser}`, at), 'finished');
        return;
      }
      const self = process.getuid?.() ?? -1;
      if (self !== 0 && self !== runAs.uid) {
        report(failedView(-102, `Execution failed: Failed to run as user ${spec.runAsUser}: the emulator is not running as root`, at), 'finished');
        return;
      }
    }
    mkdirSync(runDir, { recursive: true, mode: 0o755 });
    const scriptPath = join(runDir, 'script.sh');
    writeFileSync(scriptPath, resolved.script, { mode: 0o500 });
    if (runAs) {
      chownSync(runDir, runAs.uid, runAs.gid);
      chownSync(scriptPath, runAs.uid, runAs.gid);
    }
    const stdoutPath = join(runDir, 'stdout');
    const stderrPath = join(runDir, 'stderr');
    const blobs: AppendBlobStream[] = [];
    for (const [uri, file] of [
      [spec.outputBlobUri, stdoutPath],
      [spec.errorBlobUri, stderrPath],
    ] as const) {
      if (!uri) continue;
      const stream = new AppendBlobStream(uri, file);
      try {
        await stream.create();
      } catch (error) {
        const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
        report(failedView(-101, `Execution failed: Error creating AppendBlob '${withoutSas(uri)}' using SAS token: ${reason}`, Date.now()), 'finished');
        return;
      }
      blobs.push(stream);
    }
    if (cancelled) return;

    const { env: paramEnv, args } = parameterEnvironment([...(spec.parameters ?? []), ...(spec.protectedParameters ?? [])]);
    const env = { ...baseEnvironment(vm, runAs ? runAs.home : input.sandboxDir, runAs?.name), ...paramEnv };
    const commandLine = scriptPath + args.map((a) => ` ${a}`).join('');
    child = startProcess({
      argv: ['/bin/bash', '-c', commandLine],
      cwd: runDir,
      env,
      stdoutPath,
      stderrPath,
      uid: runAs?.uid,
      gid: runAs?.gid,
      timeoutMs: spec.timeoutInSeconds > 0 ? spec.timeoutInSeconds * 1000 : undefined,
    });
    const startTime = resourceTime(Date.now());
    if (child.pid > 0) reporter.processStarted(child.pid, runDir);
    report({ executionState: 'Running', executionMessage: 'Execution in progress', exitCode: 0, output: '', error: '', startTime }, 'started');

    const flushBlobs = (): Promise<void> =>
      Promise.all(blobs.map((b) => b.flush())).then(
        () => undefined,
        () => undefined, // An append failure does not fail the script (the handler only logs it).
      );
    let ticking: Promise<void> | undefined;
    const tick = async (): Promise<void> => {
      const [output, error] = await Promise.all([readTail(stdoutPath, TAIL_BYTES), readTail(stderrPath, TAIL_BYTES), flushBlobs()]);
      report({ executionState: 'Running', executionMessage: 'Execution in progress', exitCode: 0, output, error, startTime }, 'refresh');
    };
    const interval = setInterval(() => {
      if (!ticking) ticking = tick().finally(() => (ticking = undefined));
    }, Math.max(10, input.refreshMs));

    const exit: ProcessExit = await child.exited;
    clearInterval(interval);
    if (ticking) await ticking;
    if (cancelled) return;
    await flushBlobs();
    const [output, error] = await Promise.all([readTail(stdoutPath, TAIL_BYTES), readTail(stderrPath, TAIL_BYTES)]);
    const endTime = resourceTime(Date.now());
    let view: RunCommandInstanceView;
    if (crashed) {
      view = { executionState: 'Failed', executionMessage: 'Execution failed: the run command handler terminated unexpectedly and the script was killed', exitCode: -1, output, error, startTime, endTime };
    } else if (exit.timedOut && vm.osType === 'Windows') {
      view = { executionState: 'TimedOut', executionMessage: `Execution timed out after ${spec.timeoutInSeconds} seconds`, exitCode: -1, output, error, startTime, endTime };
    } else if (exit.exitCode === 0 && !exit.timedOut) {
      view = { executionState: 'Succeeded', executionMessage: 'Execution completed', exitCode: 0, output, error, startTime, endTime };
    } else {
      const code = exit.timedOut ? -1 : exit.exitCode;
      view = { executionState: 'Failed', executionMessage: `Execution failed: failed to execute command: command terminated with exit status=${code}`, exitCode: code, output, error, startTime, endTime };
    }
    endProcess(view.exitCode, view.executionState);
    report(view, 'finished');
  };

  const done = execute().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    endProcess(-1, 'Failed');
    report(failedView(-1, `Execution failed: ${message}`, Date.now()), 'finished');
  });

  return {
    done,
    cancel: async () => {
      cancelled = true;
      if (child) {
        await child.kill();
        endProcess(-1, 'Canceled');
      }
      await done;
    },
    crash: () => {
      crashed = true;
      void child?.kill();
    },
  };
}

// ---------------------------------------------------------------- action Run Command

export interface InstanceViewStatus {
  code: string;
  level: 'Info' | 'Warning' | 'Error';
  displayStatus: string;
  message: string;
}

export interface ActionRunInput {
  vm: SimulatedVm;
  sequence: number;
  sandboxDir: string;
  script: string;
  parameters: RunCommandInputParameter[];
}

export interface ActionRunResult {
  /** RunCommandResult.value */
  value: InstanceViewStatus[];
  crashed: boolean;
}

/** The old action handler: `/bin/sh -c <script> <args>` (so the first argument is $0), one report at the end. */
export function startActionRun(
  input: ActionRunInput,
  reporter: Pick<AgentReporter, 'processStarted' | 'processEnded'>,
): { result: Promise<ActionRunResult>; crash(): void; cancel(): Promise<void> } {
  const runDir = join(input.sandboxDir, 'action', String(input.sequence));
  mkdirSync(runDir, { recursive: true, mode: 0o755 });
  const stdoutPath = join(runDir, 'stdout');
  const stderrPath = join(runDir, 'stderr');
  const { env: paramEnv, args } = parameterEnvironment(input.parameters);
  const child = startProcess({
    argv: ['/bin/sh', '-c', input.script, ...args],
    cwd: runDir,
    env: { ...baseEnvironment(input.vm, input.sandboxDir), ...paramEnv },
    stdoutPath,
    stderrPath,
    timeoutMs: ACTION_TIMEOUT_MS,
  });
  if (child.pid > 0) reporter.processStarted(child.pid, runDir);
  let crashed = false;
  const result = (async (): Promise<ActionRunResult> => {
    const exit = await child.exited;
    const [output, error] = await Promise.all([readTail(stdoutPath, TAIL_BYTES), readTail(stderrPath, TAIL_BYTES)]);
    reporter.processEnded(exit.exitCode, exit.exitCode === 0 ? 'Succeeded' : 'Failed');
    if (crashed) {
      return {
        crashed,
        value: [{ code: 'ProvisioningState/failed', level: 'Error', displayStatus: 'Provisioning failed', message: 'Enable failed: the run command handler terminated unexpectedly and the script was killed' }],
      };
    }
    // The action extension reports success whatever the script's exit code.
    if (input.vm.osType === 'Windows') {
      return {
        crashed,
        value: [
          { code: 'ComponentStatus/StdOut/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: output },
          { code: 'ComponentStatus/StdErr/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: error },
        ],
      };
    }
    return {
      crashed,
      value: [{ code: 'ProvisioningState/succeeded', level: 'Info', displayStatus: 'Provisioning succeeded', message: `Enable succeeded: \n[stdout]\n${output}\n[stderr]\n${error}` }],
    };
  })();
  return {
    result,
    crash: () => {
      crashed = true;
      void child.kill();
    },
    cancel: async () => {
      await child.kill();
    },
  };
}
