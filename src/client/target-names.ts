import { splitTargetKey } from '../runbook/execution';

/**
 * How the CLI shows targets. A target's key (`<subscriptionId>/<rg>/<vm>`) is
 * its identity; a person reads its name (`<rg>/<vm>`) more easily. When every
 * target a piece of output lists is in one subscription, it shows names and
 * says the subscription once; when they span several, it shows keys, so the
 * same resource group and VM name in two subscriptions never read alike.
 */
export interface TargetNames {
  /** The one subscription of every key listed, when there is one. */
  subscriptionId?: string;
  show(key: string): string;
}

export function targetNames(keys: Iterable<string>): TargetNames {
  const subscriptions = new Set<string>();
  for (const key of keys) subscriptions.add(splitTargetKey(key).subscriptionId);
  if (subscriptions.size !== 1) return { show: (key) => key };
  const [subscriptionId] = subscriptions;
  return { subscriptionId, show: (key) => splitTargetKey(key).name };
}

/** The line that says the subscription once, when names are shown: `targets listed below are in subscription <id>`. */
export function subscriptionLine(names: TargetNames, indent = ''): string[] {
  return names.subscriptionId ? [`${indent}targets listed below are in subscription ${names.subscriptionId}`] : [];
}
