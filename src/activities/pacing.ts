/**
 * Pacing toward Azure's throttling buckets. Every ARM response says how many
 * requests remain in each bucket it touched (`x-ms-ratelimit-remaining-resource`:
 * `Microsoft.Compute/UpdateVMResource;11,Microsoft.Compute/UpdateVMSubscriptionMaximum;1499`,
 * and `x-ms-ratelimit-remaining-subscription-writes`). The pacer remembers the
 * latest count per bucket, refills it at Azure's documented rate, and hands
 * out send times: a write waits for a token instead of earning a 429.
 * One pacer per worker process; the writes task queue's rate limit caps the
 * fleet of workers as a whole.
 */

/** Refill per minute of Compute's policies, by scope (docs/design.md, "Azure's throttling limits"). */
const COMPUTE_REFILL_PER_MINUTE: Record<string, { resource?: number; subscription: number }> = {
  UpdateVM: { resource: 4, subscription: 500 },
  VMScaleSetVMActions: { resource: 4, subscription: 500 },
  DeleteVMScaleSetVMs: { resource: 4, subscription: 500 },
  LowCostGet: { resource: 12, subscription: 8000 },
  GetVMScaleSetVM: { resource: 12, subscription: 2000 },
  GetOperation: { resource: 15, subscription: 5000 },
};
/** ARM's per-subscription-and-principal buckets refill per second. */
const ARM_REFILL_PER_SECOND: Record<string, number> = { writes: 10, deletes: 10, reads: 25 };

/** Requests kept in hand in every bucket: other clients of the subscription share it. */
const RESERVE = 1;

interface BucketState {
  remaining: number;
  observedAt: number;
  /** Tokens handed out since the observation (their requests may not have been counted yet). */
  reserved: number;
  ratePerMs: number;
}

export interface PaceRequest {
  subscriptionId: string;
  /** The VM (resource id or key) the request is about. */
  resourceKey: string;
  /** ARM's class of the request. */
  armClass: 'reads' | 'writes' | 'deletes';
}

/** The Compute policies a run-command request of each ARM class draws on (VM and scale-set VM flavours). */
const POLICIES_OF: Record<PaceRequest['armClass'], string[]> = {
  writes: ['UpdateVM', 'VMScaleSetVMActions'],
  deletes: ['UpdateVM', 'DeleteVMScaleSetVMs'],
  reads: ['LowCostGet', 'GetVMScaleSetVM'],
};

/**
 * A bucket not heard of for this long (at Azure's pace) has refilled whatever
 * was drawn from it — Compute's slowest, HighCostGet, refills in 30 minutes —
 * so forgetting it loses nothing. Without this a long-lived worker would keep
 * a bucket per VM it ever touched.
 */
const FORGET_AFTER_MS = 30 * 60_000;

export class Pacer {
  private readonly buckets = new Map<string, BucketState>();
  private lastSweep = 0;

  constructor(
    /** Azure's refill runs this much faster in the emulator (its time scale); 1 for Azure. */
    private readonly refillSpeedup = 1,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records what a response said about the buckets of a request. */
  observe(request: PaceRequest | { subscriptionId: string; resourceKey?: string; armClass: string }, headers: { get(name: string): string | undefined }): void {
    const at = this.now();
    const resource = headers.get('x-ms-ratelimit-remaining-resource');
    for (const part of resource?.split(',') ?? []) {
      const m = /^(?:Microsoft\.Compute\/)?([A-Za-z]+?)(Resource|SubscriptionMaximum);(\d+)$/.exec(part.trim());
      if (!m) continue;
      const [, policy, scope, remaining] = m;
      const refill = COMPUTE_REFILL_PER_MINUTE[policy];
      const perMinute = scope === 'Resource' ? refill?.resource : refill?.subscription;
      if (perMinute === undefined) continue;
      const key = scope === 'Resource' ? `${policy}|r|${request.resourceKey ?? ''}` : `${policy}|s|${request.subscriptionId}`;
      this.set(key, Number(remaining), (perMinute * this.refillSpeedup) / 60_000, at);
    }
    const arm = headers.get(`x-ms-ratelimit-remaining-subscription-${request.armClass}`);
    const perSecond = ARM_REFILL_PER_SECOND[request.armClass];
    if (arm !== undefined && perSecond !== undefined) {
      this.set(`arm-${request.armClass}|${request.subscriptionId}`, Number(arm), (perSecond * this.refillSpeedup) / 1000, at);
    }
  }

  /**
   * How long a request must wait for every bucket it draws on to have a token
   * to spare (0: now). When that is at most `maxWaitMs` the tokens are taken
   * (the caller waits, then sends); otherwise nothing is taken and the caller
   * comes back later, so deferred requests never pile up reservations.
   * Buckets never observed cost nothing.
   */
  reserve(request: PaceRequest, options: { maxWaitMs?: number } = {}): number {
    const at = this.now();
    const buckets = [
      ...POLICIES_OF[request.armClass].flatMap((p) => [`${p}|r|${request.resourceKey}`, `${p}|s|${request.subscriptionId}`]),
      `arm-${request.armClass}|${request.subscriptionId}`,
    ]
      .map((key) => this.buckets.get(key))
      .filter((b): b is BucketState => b !== undefined);
    let wait = 0;
    for (const bucket of buckets) {
      const tokens = bucket.remaining + (at - bucket.observedAt) * bucket.ratePerMs - bucket.reserved;
      if (tokens < RESERVE + 1) wait = Math.max(wait, (RESERVE + 1 - tokens) / bucket.ratePerMs);
    }
    wait = Math.ceil(wait);
    if (wait <= (options.maxWaitMs ?? Number.POSITIVE_INFINITY)) for (const bucket of buckets) bucket.reserved += 1;
    return wait;
  }

  /** How many buckets the pacer holds (for tests and metrics). */
  get size(): number {
    return this.buckets.size;
  }

  private sweep(at: number): void {
    const forgetAfter = FORGET_AFTER_MS / this.refillSpeedup;
    if (at - this.lastSweep < forgetAfter / 30) return;
    this.lastSweep = at;
    for (const [key, bucket] of this.buckets) if (at - bucket.observedAt > forgetAfter) this.buckets.delete(key);
  }

  private set(key: string, remaining: number, ratePerMs: number, at: number): void {
    this.sweep(at);
    // A response can be older than requests already sent: never believe more tokens than the running
    // estimate holds (refill is counted there), only fewer when others drew on the bucket too.
    const bucket = this.buckets.get(key);
    const estimate = bucket ? bucket.remaining + (at - bucket.observedAt) * bucket.ratePerMs - bucket.reserved : remaining;
    this.buckets.set(key, { remaining: Math.min(remaining, estimate), observedAt: at, reserved: 0, ratePerMs });
  }
}

/** A VM's ARM path, lower-cased: the key of its per-resource buckets. */
export function vmKeyOfUrl(url: string): string | undefined {
  const m = /\/subscriptions\/[^/]+\/resourcegroups\/[^/]+\/providers\/microsoft\.compute\/(?:virtualmachines\/[^/?]+|virtualmachinescalesets\/[^/]+\/virtualmachines\/[^/?]+)/i.exec(new URL(url).pathname);
  return m?.[0].toLowerCase();
}

export function subscriptionOfUrl(url: string): string | undefined {
  return /\/subscriptions\/([^/]+)/i.exec(new URL(url).pathname)?.[1].toLowerCase();
}

export function armClassOf(method: string): 'reads' | 'writes' | 'deletes' {
  return method === 'GET' || method === 'HEAD' ? 'reads' : method === 'DELETE' ? 'deletes' : 'writes';
}
