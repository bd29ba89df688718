// Workflows used only by the stack smoke tests.
import { condition, defineSignal, proxyActivities, setHandler } from '@temporalio/workflow';
import type * as activities from './activities';

const { greet } = proxyActivities<typeof activities>({ startToCloseTimeout: '10 seconds' });

export async function greeting(name: string): Promise<string> {
  return greet(name);
}

export const proceed = defineSignal('proceed');

/** Greets once, waits for a signal (across any number of worker restarts), greets again. */
export async function twoGreetings(name: string): Promise<string[]> {
  let proceeded = false;
  setHandler(proceed, () => void (proceeded = true));
  const first = await greet(name);
  await condition(() => proceeded);
  const second = await greet(`${name} again`);
  return [first, second];
}
