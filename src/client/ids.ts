import { randomBytes } from 'node:crypto';

/** A fresh rollout id: the runbook's name, the UTC minute and a short random suffix (`patch-openssl-20261122-0512-k3f9`). */
export function newRolloutId(runbookName: string, now: Date = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 13);
  const slug = runbookName.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'rollout';
  return `${slug}-${stamp}-${randomBytes(3).toString('hex').slice(0, 4)}`;
}
