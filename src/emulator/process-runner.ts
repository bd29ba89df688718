import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * Runs one script process for real, in its own process group so that a kill
 * (DELETE, changed PUT, timeout) takes its children with it, as the Linux
 * handler does with `syscall.Kill(-pid, SIGKILL)`. stdout and stderr go
 * straight to files, like the handler's `stdout`/`stderr` files, so large
 * outputs never pass through the emulator's memory.
 */

export interface ProcessSpec {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  stdoutPath: string;
  stderrPath: string;
  uid?: number;
  gid?: number;
  /** Kills the process group after this long (no timeout when absent or 0). */
  timeoutMs?: number;
}

export interface ProcessExit {
  /** The exit status; -1 for a process ended by a signal, as Go reports it. */
  exitCode: number;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  killed: boolean;
}

export interface RunningProcess {
  pid: number;
  exited: Promise<ProcessExit>;
  /** SIGKILLs the whole process group; resolves once the leader is gone. */
  kill(): Promise<ProcessExit>;
}

export function killProcessGroup(pid: number): void {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

export function startProcess(spec: ProcessSpec): RunningProcess {
  const out = openSync(spec.stdoutPath, 'w', 0o600);
  const err = openSync(spec.stderrPath, 'w', 0o600);
  let timedOut = false;
  let killed = false;
  let child;
  try {
    child = spawn(spec.argv[0], spec.argv.slice(1), {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', out, err],
      uid: spec.uid,
      gid: spec.gid,
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
  const pid = child.pid ?? -1;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('error', () => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: -1, signal: null, timedOut, killed });
    });
    child.once('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ exitCode: code ?? -1, signal, timedOut, killed });
    });
  });
  if (spec.timeoutMs && spec.timeoutMs > 0 && pid > 0) {
    timer = setTimeout(() => {
      timedOut = true;
      killProcessGroup(pid);
    }, spec.timeoutMs);
    timer.unref();
  }
  return {
    pid,
    exited,
    kill: () => {
      killed = true;
      if (pid > 0) killProcessGroup(pid);
      return exited;
    },
  };
}

/** The last `max` bytes of a file ("" when it does not exist). */
export async function readTail(path: string, max = 4096): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch {
    return '';
  }
  try {
    const { size } = await handle.stat();
    const length = Math.min(size, max);
    if (length === 0) return '';
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}
