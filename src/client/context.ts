import type { Command } from 'commander';
import { collectSecrets, redact, SecretRegistry } from '../codec';
import { loadRunbookFile } from '../runbook/load';
import { formatProblems } from '../runbook/problems';
import type { Runbook } from '../runbook/runbook';
import { connectClient, temporalTarget, type TemporalTarget } from './connection';
import type { Client } from '@temporalio/client';

/**
 * What every command needs: where Temporal is, how to print, and one way to
 * fail. Commands throw CliError (with an exit code) instead of exiting, so
 * the whole CLI runs in-process in tests.
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** True when stdout is a terminal (progress bars); false when piped. */
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  /** The terminal's width, when stdout is one (the live progress view fits its lines to it). */
  columns?(): number | undefined;
}

export const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  isTTY: Boolean(process.stdout.isTTY),
  env: process.env,
  columns: () => process.stdout.columns,
};

export interface CliContext {
  io: CliIo;
  temporal(): TemporalTarget;
  /** Runs `fn` with a connected client and closes it after. */
  withClient<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  loadRunbook(file: string): Promise<Runbook>;
  /** Sets the process's exit code without exiting (the last command's word wins). */
  setExitCode(code: number): void;
}

/**
 * Everything the CLI prints goes through the redactor: SAS signatures,
 * account keys and bearer tokens always, and the secret values of every
 * runbook this invocation loaded (protected parameters, runAsPassword).
 */
export function redactingIo(io: CliIo, secrets: SecretRegistry): CliIo {
  return { ...io, out: (text) => io.out(redact(text, secrets.values())), err: (text) => io.err(redact(text, secrets.values())) };
}

export function cliContext(program: Command, rawIo: CliIo, exitCode: { value: number }): CliContext {
  const secrets = new SecretRegistry();
  const io = redactingIo(rawIo, secrets);
  const temporal = (): TemporalTarget => {
    const o = program.opts<{ address?: string; namespace?: string; taskQueue?: string }>();
    return temporalTarget({ address: o.address, namespace: o.namespace, taskQueue: o.taskQueue }, io.env);
  };
  return {
    io,
    temporal,
    async withClient(fn) {
      const target = temporal();
      let connected;
      try {
        connected = await connectClient(target, io.env);
      } catch (err) {
        throw new CliError(`cannot reach Temporal at ${target.address} (--address or FLEETCMD_TEMPORAL_ADDRESS): ${err instanceof Error ? err.message : String(err)}`, 1);
      }
      const { client, close } = connected;
      try {
        return await fn(client);
      } finally {
        await close();
      }
    },
    async loadRunbook(file) {
      const loaded = await loadRunbookFile(file);
      if (loaded.ok) secrets.add(collectSecrets(loaded.runbook));
      if (!loaded.ok) {
        io.err(`${formatProblems(loaded.problems, file)}\n`);
        throw new CliError(`${loaded.problems.length} problem(s) in ${file}; nothing was started`);
      }
      if (loaded.warnings.length) io.err(`${formatProblems(loaded.warnings, file)}\n`);
      return loaded.runbook;
    },
    setExitCode(code) {
      exitCode.value = code;
    },
  };
}
