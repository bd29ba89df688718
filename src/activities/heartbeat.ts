import { Context } from '@temporalio/activity';

/** How often a long read reports that its worker is alive. */
export const HEARTBEAT_EVERY_MS = 5_000;

/**
 * Runs `work` while heartbeating on a timer. Reads of unbounded size (a
 * fleet's target list, a script's whole output) may take minutes, so their
 * start-to-close must be long; the heartbeat is what lets the server notice
 * a killed worker within the heartbeat timeout instead of the full
 * start-to-close. Outside an activity (unit tests) it just runs `work`.
 */
export async function heartbeating<T>(work: () => Promise<T>, everyMs = HEARTBEAT_EVERY_MS): Promise<T> {
  let context: Context;
  try {
    context = Context.current();
  } catch {
    return work();
  }
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
