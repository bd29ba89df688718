import type { ChaosEnvironment } from '../environment';
import { ArmTrafficCounter, type ArmTraffic, type FaultPhase } from '../arm-traffic';
import { chaosFleet, chaosRunbook, underTest } from '../rollout';
import { runScenario, type ChaosContext, type FaultSummary, type ScenarioOptions, type ScenarioResult } from '../scenario';

export interface ArmFaultOptions extends ScenarioOptions {
  /** Share of ARM requests answered with a fault: 429, 500, 503 or a connection reset (0.10 in the full run). */
  faultRate?: number;
}

/** Of the injected share (besides the 429s), how much is connection resets; the rest is 500s and 503s. */
const RESET_SHARE = 0.4;
/** The share of all faults that should be 429s. */
const THROTTLED_SHARE = 0.3;
/**
 * Compute's buckets scaled down: 'tight' (one token per VM, refilled about
 * once a second at the emulator's time scale) makes fleetcmd meet 429s even
 * though it paces itself; 'loose' lets it through.
 */
const THROTTLING_SCALE = { tight: 0.04, loose: 0.1 };

/**
 * R3: a tenth of the ARM requests fail. Compute's throttling is on with
 * small buckets, so some are 429 with Retry-After; the emulator's request
 * faults make up the rest of the share with 500s, 503s and connection
 * resets, in seeded slices of a few seconds that alternate 500 and 503 and
 * whether the fault hits before the request is handled or after it took
 * effect (a PUT that ran, whose answer is lost). The 429 share is measured as
 * the run goes: a slice tightens the buckets while 429s are under their share,
 * and the injected rate tops the rest up to the target, catching up on any
 * shortfall so far.
 */
export function armFaults(env: ChaosEnvironment, options: ArmFaultOptions): Promise<ScenarioResult> {
  const faultRate = options.faultRate ?? 0.1;
  const rg = 'chaos-r3';
  const { definition, targets } = chaosFleet(rg, options.targets);
  let counter: ArmTrafficCounter | undefined;
  return runScenario(env, {
    id: 'R3',
    title: `${Math.round(faultRate * 100)} % ARM faults (429 + Retry-After, 500, 503, resets before/after effect)`,
    options,
    runbook: chaosRunbook('chaos-arm-faults', rg, ['{ name: prepare, script: "sleep 1; echo prepared" }', '{ name: apply, dependsOn: [prepare], script: "sleep 1; echo applied" }'], '{ maxConcurrency: 20 }'),
    targets: underTest(targets),
    fleet: { fleet: definition, throttling: { enabled: true, scale: THROTTLING_SCALE.loose } },
    deadlineMs: 30 * 60_000,
    async prepare(fleet) {
      counter = new ArmTrafficCounter(Number(new URL(fleet.emulator.endpoint).port));
    },
    chaos: async (ctx) => {
      if (!counter) throw new Error('R3: no traffic counter');
      try {
        return await faultSlices(ctx, counter, faultRate);
      } finally {
        await ctx.fleet.admin.clearFaults().catch(() => undefined);
      }
    },
    async cleanup() {
      counter?.stop();
    },
  });
}

async function faultSlices(ctx: ChaosContext, counter: ArmTrafficCounter, faultRate: number): Promise<FaultSummary> {
  let slices = 0;
  while (!ctx.ended()) {
    const seconds = ctx.prng.between(2, 5);
    const phase: FaultPhase = ctx.prng.chance(0.5) ? 'before' : 'after';
    const serverErrorStatus = ctx.prng.chance(0.5) ? 500 : 503;
    const t = counter.snapshot();
    const throttledShare = t.requests ? (t.byStatus['429'] ?? 0) / t.requests : 0;
    const scale = throttledShare < faultRate * THROTTLED_SHARE ? THROTTLING_SCALE.tight : THROTTLING_SCALE.loose;
    // The injected faults make up what the throttling does not, and catch up on any shortfall so far
    // (the emulator's dice and the 429s drift); between half and one and a half times the target.
    const faultedShare = t.requests ? faultsIn(t) / t.requests : faultRate;
    const injected = Math.min(faultRate * 1.5, Math.max(faultRate / 2, faultRate - throttledShare + (faultRate - faultedShare)));
    const connectionResetRate = injected * RESET_SHARE;
    const serverErrorRate = (injected - connectionResetRate) / (1 - connectionResetRate);
    await ctx.fleet.admin.setThrottling({ enabled: true, scale });
    await ctx.fleet.admin.setRequestFaults({ phase, serverErrorStatus, serverErrorRate, connectionResetRate });
    counter.phase = phase;
    slices += 1;
    await ctx.sleep(seconds * 1000);
  }
  return summarize(counter.snapshot(), slices, faultRate);
}

/** Every answer that was a fault: 429s, 5xx and connection resets. */
function faultsIn(t: ArmTraffic): number {
  const fiveHundreds = Object.entries(t.byStatus).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0);
  return (t.byStatus['429'] ?? 0) + fiveHundreds + t.resets.before + t.resets.after;
}

function summarize(t: ArmTraffic, slices: number, faultRate: number): FaultSummary {
  const throttled = t.byStatus['429'] ?? 0;
  const errors = (phase: FaultPhase, status: string): number => t.serverErrors[phase][status] ?? 0;
  const e500 = errors('before', '500') + errors('after', '500');
  const e503 = errors('before', '503') + errors('after', '503');
  const other5xx = Object.entries(t.byStatus).filter(([s]) => Number(s) >= 500 && s !== '500' && s !== '503').reduce((a, [, n]) => a + n, 0);
  const resets = t.resets.before + t.resets.after;
  const injected = faultsIn(t);
  const share = t.requests ? (100 * injected) / t.requests : 0;
  const detail =
    `${share.toFixed(1)} % of ${t.requests} ARM requests (target ${Math.round(faultRate * 100)} %): ` +
    `429 ${throttled}, 500 ${e500}, 503 ${e503}${other5xx ? `, other 5xx ${other5xx}` : ''}, resets ${resets}; ` +
    `before effect: 5xx ${errors('before', '500') + errors('before', '503')}, resets ${t.resets.before}; ` +
    `after effect: 5xx ${errors('after', '500') + errors('after', '503')}, resets ${t.resets.after}; ${slices} fault slices`;
  const missing = [throttled === 0 && '429', e500 === 0 && '500', e503 === 0 && '503', t.resets.before === 0 && 'reset before', t.resets.after === 0 && 'reset after'].filter(Boolean);
  return { injected, detail, ...(missing.length ? { shortfall: `no ${missing.join(', ')} was injected` } : {}) };
}
