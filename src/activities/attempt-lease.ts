import { ApplicationFailure, Context } from '@temporalio/activity';

/**
 * An activity attempt holds its work only until its start-to-close timeout:
 * after that the server hands the work to another attempt. A create that went
 * on sending requests past that point would race its own retry (two PUTs of
 * one step in flight, or a PUT landing after the step was cancelled), so
 * every ARM call of a write carries this lease's abort signal, and a request
 * that could not finish inside the lease is not sent at all.
 */
export interface AttemptLease {
  /** Aborts when the lease ends (less a margin for the answer to reach the server). */
  readonly signal: AbortSignal;
  remainingMs(): number;
  /** Throws a retryable failure, before anything is sent, when less than `neededMs` is left. */
  assertRoomFor(neededMs: number, what: string): void;
}

/** Kept back from the lease: the attempt's own answer must reach the server before it ends. */
const MARGIN_MS = 3_000;

/** The current attempt's lease, counted from now (the attempt started at most a moment ago). */
export function attemptLease(): AttemptLease {
  const info = Context.current().info;
  const endsAtMs = Date.now() + info.startToCloseTimeoutMs - MARGIN_MS;
  const signal = AbortSignal.timeout(Math.max(1, endsAtMs - Date.now()));
  const remainingMs = (): number => endsAtMs - Date.now();
  return {
    signal,
    remainingMs,
    assertRoomFor(neededMs, what) {
      if (remainingMs() >= neededMs) return;
      throw ApplicationFailure.create({
        type: 'AttemptLeaseShort',
        message: `not sending ${what}: ${Math.max(0, Math.round(remainingMs() / 1000))} s of this attempt's lease are left, ${Math.round(neededMs / 1000)} s are needed`,
        nonRetryable: false,
        nextRetryDelay: 100,
        category: 'BENIGN',
      });
    },
  };
}
