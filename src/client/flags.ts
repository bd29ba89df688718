import { CliError } from './context';

/**
 * Checks of flag values shared by several verbs. Each names its flag and
 * the problem, and runs before anything is sent to Temporal or Azure.
 */

/**
 * A rollout id becomes a workflow id, the prefix of its targets' workflow
 * ids (`<rolloutId>/<subscriptionId>/<rg>/<vm>`) and of its blob paths: no
 * slash, no spaces.
 */
const ROLLOUT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function rolloutIdFlag(value: string | undefined, flag = '--id'): string | undefined {
  if (value === undefined) return undefined;
  if (!ROLLOUT_ID.test(value)) {
    throw new CliError(`${flag} ${JSON.stringify(value)}: a rollout id is 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  return value;
}

/** ISO 8601 with a time and a zone, so the window's end does not depend on where the worker runs. */
const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function notAfterFlag(value: string | undefined, now: Date = new Date()): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!ISO_WITH_ZONE.test(value) || Number.isNaN(ms)) {
    throw new CliError(`--not-after ${JSON.stringify(value)}: expected an ISO 8601 time with a zone, like 2026-11-22T06:00:00Z`);
  }
  if (ms <= now.getTime()) throw new CliError(`--not-after ${value}: already past; no target could start`);
  return new Date(ms).toISOString();
}
