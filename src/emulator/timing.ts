import type { LatencyProfile } from './types';

/**
 * How long things take. 'realistic' follows the recordings (PUT to script
 * start about 8 s, script end to operation end about 7 s, delete about 14 s,
 * an action Run Command about 20 s before it starts); 'none' does everything
 * at once. Every figure is multiplied by timeScale. Scripts themselves and
 * their timeoutInSeconds run in real time: they are real processes.
 */

type Range = readonly [number, number];

const REALISTIC = {
  agentPickupMs: [6_000, 9_000],
  provisioningLagMs: [4_000, 8_000],
  deleteMs: [10_000, 15_000],
  actionPickupMs: [15_000, 25_000],
  readLatencyMs: [15, 60],
  writeLatencyMs: [100, 400],
} satisfies Record<string, Range>;

export const AZURE_STATUS_INTERVAL_MS = 15_000;

export class Timings {
  readonly refreshMs: number;

  constructor(
    readonly profile: LatencyProfile,
    readonly timeScale: number,
    instanceViewRefreshMs?: number,
  ) {
    this.refreshMs = Math.max(10, instanceViewRefreshMs ?? AZURE_STATUS_INTERVAL_MS * timeScale);
  }

  private pick(range: Range): number {
    if (this.profile === 'none') return 0;
    return (range[0] + Math.random() * (range[1] - range[0])) * this.timeScale;
  }

  agentPickupMs(): number {
    return this.pick(REALISTIC.agentPickupMs);
  }

  provisioningLagMs(): number {
    return this.pick(REALISTIC.provisioningLagMs);
  }

  deleteMs(): number {
    return this.pick(REALISTIC.deleteMs);
  }

  actionPickupMs(): number {
    return this.pick(REALISTIC.actionPickupMs);
  }

  requestLatencyMs(method: string): number {
    return this.pick(method === 'GET' ? REALISTIC.readLatencyMs : REALISTIC.writeLatencyMs);
  }
}

/** setTimeout as a promise; 0 still yields to the event loop, so LROs always start InProgress. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
}
