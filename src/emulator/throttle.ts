import { ArmError } from './arm-errors';
import type { ThrottlingSettings } from './types';

/**
 * Compute's token buckets (per VM and per subscription) and ARM's
 * per-subscription-and-principal buckets, with Azure's sizes and refill rates
 * (docs/design.md, "Azure's throttling limits"). Refill runs `1 / timeScale`
 * times faster; `scale` multiplies sizes and rates. A bucket is created on
 * first use and forgotten once full again, so 10,000 idle VMs cost nothing.
 */

interface BucketSpec {
  size: number;
  perMinute: number;
}

interface ComputePolicy {
  resource?: BucketSpec;
  subscription: BucketSpec;
}

export const COMPUTE_POLICIES = {
  /** Run command create/update/delete and the action Run Command count as "Update VM". */
  UpdateVM: { resource: { size: 12, perMinute: 4 }, subscription: { size: 1500, perMinute: 500 } },
  /** Run command get/list. */
  LowCostGet: { resource: { size: 36, perMinute: 12 }, subscription: { size: 24000, perMinute: 8000 } },
  GetOperation: { resource: { size: 45, perMinute: 15 }, subscription: { size: 15000, perMinute: 5000 } },
  /** Scale-set VM run command create/update ("Update VMSS VMs"). */
  VMScaleSetVMActions: { resource: { size: 12, perMinute: 4 }, subscription: { size: 1500, perMinute: 500 } },
  DeleteVMScaleSetVMs: { resource: { size: 12, perMinute: 4 }, subscription: { size: 1500, perMinute: 500 } },
  GetVMScaleSetVM: { resource: { size: 36, perMinute: 12 }, subscription: { size: 6000, perMinute: 2000 } },
  /** VM and scale-set listing; Azure's 429 example shows 800 per 30 minutes. */
  HighCostGet: { subscription: { size: 800, perMinute: 800 / 30 } },
  /** Built-in command documents (the recording shows 420 per 3 minutes). */
  GetSubscriptionInfo: { subscription: { size: 420, perMinute: 140 } },
} satisfies Record<string, ComputePolicy>;

export type ComputePolicyName = keyof typeof COMPUTE_POLICIES;

export type ArmRequestClass = 'reads' | 'writes' | 'deletes';

/** ARM's regional buckets per subscription and principal (2024 model). */
const ARM_BUCKETS: Record<ArmRequestClass, BucketSpec> = {
  reads: { size: 250, perMinute: 25 * 60 },
  writes: { size: 200, perMinute: 10 * 60 },
  deletes: { size: 200, perMinute: 10 * 60 },
};

interface Bucket {
  tokens: number;
  updatedAt: number;
}

export interface ThrottleRequest {
  policy: ComputePolicyName;
  subscriptionId: string;
  /** The VM the request is about (for the per-resource bucket); absent for listings. */
  resourceKey?: string;
  principal: string;
  armClass: ArmRequestClass;
}

export interface ThrottleDecision {
  headers: Record<string, string>;
  /** Set when the request must be answered 429. */
  rejection?: ArmError;
}

export const DEFAULT_THROTTLING: ThrottlingSettings = { enabled: true, scale: 1, arm: true };

export class Throttle {
  private readonly buckets = new Map<string, Bucket>();
  private lastSweep = 0;

  constructor(
    private settingsValue: ThrottlingSettings,
    private readonly timeScale: number,
    private readonly now: () => number = Date.now,
  ) {}

  get settings(): ThrottlingSettings {
    return { ...this.settingsValue };
  }

  configure(settings: Partial<ThrottlingSettings>): ThrottlingSettings {
    this.settingsValue = { ...this.settingsValue, ...settings };
    this.buckets.clear();
    return this.settings;
  }

  /** Refills every bucket (admin reset). */
  reset(): void {
    this.buckets.clear();
  }

  private sizeOf(spec: BucketSpec): number {
    return Math.max(1, Math.floor(spec.size * this.settingsValue.scale));
  }

  private ratePerMs(spec: BucketSpec): number {
    return (spec.perMinute * this.settingsValue.scale) / 60_000 / Math.max(this.timeScale, 1e-9);
  }

  /** Current level of a bucket, refilled up to now. */
  private level(key: string, spec: BucketSpec, at: number): Bucket {
    const size = this.sizeOf(spec);
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = { tokens: size, updatedAt: at };
      this.buckets.set(key, bucket);
      return bucket;
    }
    const refill = (at - bucket.updatedAt) * this.ratePerMs(spec);
    bucket.tokens = Math.min(size, bucket.tokens + refill);
    bucket.updatedAt = at;
    return bucket;
  }

  private waitMs(bucket: Bucket, spec: BucketSpec): number {
    return (1 - bucket.tokens) / this.ratePerMs(spec);
  }

  private sweep(at: number): void {
    // Forget buckets that have refilled completely: they are the same as new ones.
    if (at - this.lastSweep < 60_000) return;
    this.lastSweep = at;
    for (const [key, bucket] of this.buckets) {
      const spec = bucketSpecOf(key);
      if (!spec) continue;
      if (bucket.tokens + (at - bucket.updatedAt) * this.ratePerMs(spec) >= this.sizeOf(spec)) this.buckets.delete(key);
    }
  }

  admit(request: ThrottleRequest): ThrottleDecision {
    const policy: ComputePolicy = COMPUTE_POLICIES[request.policy];
    const subscription = request.subscriptionId.toLowerCase();
    if (!this.settingsValue.enabled) {
      return { headers: this.fullHeaders(request, policy) };
    }
    const at = this.now();
    this.sweep(at);
    const checks: Array<{ key: string; spec: BucketSpec; target: string; scope: 'resource' | 'subscription' | 'arm' }> = [];
    if (policy.resource && request.resourceKey) {
      checks.push({ key: `${request.policy}|r|${request.resourceKey}`, spec: policy.resource, target: `${request.policy}Resource`, scope: 'resource' });
    }
    checks.push({ key: `${request.policy}|s|${subscription}`, spec: policy.subscription, target: `${request.policy}SubscriptionMaximum`, scope: 'subscription' });
    if (this.settingsValue.arm) {
      checks.push({ key: `arm-${request.armClass}|${subscription}|${request.principal}`, spec: ARM_BUCKETS[request.armClass], target: request.armClass, scope: 'arm' });
    }
    const levels = checks.map((c) => ({ ...c, bucket: this.level(c.key, c.spec, at) }));
    const empty = levels.filter((l) => l.bucket.tokens < 1);
    if (empty.length > 0) {
      const waitMs = Math.max(...empty.map((l) => this.waitMs(l.bucket, l.spec)));
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      const headers = this.headers(request, levels);
      headers['retry-after'] = String(retryAfter);
      return { headers, rejection: throttledError(empty[0], request, retryAfter, this.sizeOf(empty[0].spec), at) };
    }
    for (const l of levels) l.bucket.tokens -= 1;
    return { headers: this.headers(request, levels) };
  }

  private headers(request: ThrottleRequest, levels: Array<{ target: string; scope: string; bucket: Bucket }>): Record<string, string> {
    const compute = levels.filter((l) => l.scope !== 'arm').map((l) => `Microsoft.Compute/${l.target};${Math.floor(l.bucket.tokens)}`);
    const headers: Record<string, string> = { 'x-ms-ratelimit-remaining-resource': compute.join(',') };
    const arm = levels.find((l) => l.scope === 'arm');
    if (arm) headers[`x-ms-ratelimit-remaining-subscription-${request.armClass}`] = String(Math.floor(arm.bucket.tokens));
    return headers;
  }

  private fullHeaders(request: ThrottleRequest, policy: ComputePolicy): Record<string, string> {
    const parts: string[] = [];
    if (policy.resource && request.resourceKey) parts.push(`Microsoft.Compute/${request.policy}Resource;${this.sizeOf(policy.resource) - 1}`);
    parts.push(`Microsoft.Compute/${request.policy}SubscriptionMaximum;${this.sizeOf(policy.subscription) - 1}`);
    return {
      'x-ms-ratelimit-remaining-resource': parts.join(','),
      [`x-ms-ratelimit-remaining-subscription-${request.armClass}`]: String(this.sizeOf(ARM_BUCKETS[request.armClass]) - 1),
    };
  }
}

function bucketSpecOf(key: string): BucketSpec | undefined {
  const [head, scope] = key.split('|');
  if (head.startsWith('arm-')) return ARM_BUCKETS[head.slice(4) as ArmRequestClass];
  const policy: ComputePolicy | undefined = (COMPUTE_POLICIES as Record<string, ComputePolicy>)[head];
  if (!policy) return undefined;
  return scope === 'r' ? policy.resource : policy.subscription;
}

function throttledError(
  check: { target: string; scope: 'resource' | 'subscription' | 'arm' },
  request: ThrottleRequest,
  retryAfter: number,
  allowed: number,
  at: number,
): ArmError {
  const headers = { 'retry-after': String(retryAfter) };
  if (check.scope === 'arm') {
    const kind = request.armClass.slice(0, -1);
    return new ArmError(
      429,
      {
        code: 'SubscriptionRequestsThrottled',
        message: `Number of '${kind}' requests for subscription '${request.subscriptionId}' actor '${request.principal}' exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
      },
      headers,
    );
  }
  const operationGroup = check.target;
  return new ArmError(
    429,
    {
      code: 'OperationNotAllowed',
      message: `The server rejected the request because too many requests have been received for this ${check.scope}.`,
      details: [
        {
          code: 'TooManyRequests',
          target: operationGroup,
          message: JSON.stringify({
            operationGroup,
            startTime: new Date(at - 60_000).toISOString(),
            endTime: new Date(at).toISOString(),
            allowedRequestCount: allowed,
            measuredRequestCount: allowed + 1,
          }),
        },
      ],
      innererror: { internalErrorCode: 'TooManyRequestsReceived' },
    },
    headers,
  );
}
