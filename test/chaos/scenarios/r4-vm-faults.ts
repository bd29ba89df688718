import { targetKey, targetWorkflowId } from '../../../src/runbook/execution';
import type { ChaosEnvironment } from '../environment';
import { Prng, mixSeed } from '../prng';
import { chaosFleet, chaosRunbook, underTest, vmIdOf, type VmTarget } from '../rollout';
import { runScenario, type ScenarioOptions, type ScenarioResult } from '../scenario';
import type { Expectation } from '../verify';

export interface VmFaultOptions extends ScenarioOptions {
  /** Share of the targets whose VM is deallocated before the rollout (0.1 in the full run). */
  deallocatedShare?: number;
  /** Share of the targets whose agent hangs: it starts the script, then never reports again. */
  hungShare?: number;
}

type VmFault = 'deallocated' | 'hungAgent';

const PROBE_TIMEOUT_SECONDS = 4;
const AGENT_GRACE_SECONDS = 3;
/** Beyond timeout + grace, how late a hung step may fail: poll intervals, a workflow task, the DELETE. */
const GIVE_UP_SLACK_SECONDS = 30;

/**
 * R4: on seeded targets the VM is deallocated or the agent hangs; the rest
 * are healthy. Each target must end as Azure says: a deallocated VM refuses
 * the PUT with 409 OperationNotAllowed and that code reaches the report; a
 * hung agent's step fails as AgentUnresponsive once its timeoutInSeconds plus
 * the plan's agent grace have passed — not before, and not much after;
 * healthy targets succeed. The error budget is the whole fleet, so the
 * rollout completes.
 */
export function vmFaults(env: ChaosEnvironment, options: VmFaultOptions): Promise<ScenarioResult> {
  const rg = 'chaos-r4';
  const { definition, targets } = chaosFleet(rg, options.targets);
  const faults = drawFaults(targets, options);
  const expect = (t: VmTarget): Expectation => {
    const fault = faults.get(targetKey(t));
    if (fault === 'deallocated') return { state: 'Failed', step: 'probe', code: 'OperationNotAllowed' };
    if (fault === 'hungAgent') return { state: 'Failed', step: 'probe', code: 'AgentUnresponsive' };
    return { state: 'Succeeded' };
  };
  const count = (kind: VmFault): number => [...faults.values()].filter((f) => f === kind).length;
  return runScenario(env, {
    id: 'R4',
    title: 'hung agents and deallocated VMs',
    options,
    runbook: chaosRunbook(
      'chaos-vm-faults',
      rg,
      [`{ name: probe, script: "sleep 1; echo probed", timeoutInSeconds: ${PROBE_TIMEOUT_SECONDS} }`, '{ name: apply, dependsOn: [probe], script: "sleep 1; echo applied", timeoutInSeconds: 30 }'],
      '{ maxConcurrency: 20, maxErrors: "100%" }',
    ),
    targets: underTest(targets, expect),
    fleet: { fleet: definition },
    agentGraceSeconds: AGENT_GRACE_SECONDS,
    deadlineMs: 20 * 60_000,
    async prepare(fleet) {
      for (const t of targets) {
        const fault = faults.get(targetKey(t));
        if (fault) await fleet.admin.setVmFaults({ vm: vmIdOf(t), [fault]: true });
      }
    },
    async chaos() {
      return {
        injected: faults.size,
        detail: `${count('deallocated')} VMs deallocated, ${count('hungAgent')} hung agents (probe timeout ${PROBE_TIMEOUT_SECONDS} s + agent grace ${AGENT_GRACE_SECONDS} s)`,
      };
    },
    async check({ fleet, rollout }) {
      // A hung agent's step gives up after timeout + grace: its target's workflow cannot have ended sooner.
      const violations: string[] = [];
      const floor = PROBE_TIMEOUT_SECONDS + AGENT_GRACE_SECONDS;
      const spans: number[] = [];
      for (const t of targets) {
        if (faults.get(targetKey(t)) !== 'hungAgent') continue;
        const d = await fleet.client.workflow.getHandle(targetWorkflowId(rollout.rolloutId, t)).describe();
        if (!d.closeTime) continue;
        const seconds = (d.closeTime.getTime() - d.startTime.getTime()) / 1000;
        spans.push(seconds);
        if (seconds < floor) violations.push(`${targetKey(t)}: the hung agent's target ended after ${seconds.toFixed(1)} s, before timeout + grace (${floor} s)`);
        if (seconds > floor + GIVE_UP_SLACK_SECONDS) violations.push(`${targetKey(t)}: the hung agent's target took ${seconds.toFixed(1)} s, over timeout + grace + ${GIVE_UP_SLACK_SECONDS} s`);
      }
      const notes = spans.length ? [`hung targets ended ${Math.min(...spans).toFixed(1)}–${Math.max(...spans).toFixed(1)} s after they started (timeout + grace ${floor} s)`] : [];
      return { violations, notes };
    },
  });
}

/** Which targets get which fault: a seeded draw of its own, so the expectations are known before anything starts. */
function drawFaults(targets: VmTarget[], options: VmFaultOptions): Map<string, VmFault> {
  const prng = new Prng(mixSeed(options.seed, 'R4')).fork('vm-faults');
  const deallocated = Math.round(targets.length * (options.deallocatedShare ?? 0.1));
  const hung = Math.round(targets.length * (options.hungShare ?? 0.1));
  const chosen = prng.sample(targets, deallocated + hung);
  return new Map(chosen.map((t, i) => [targetKey(t), i < deallocated ? 'deallocated' : 'hungAgent']));
}
