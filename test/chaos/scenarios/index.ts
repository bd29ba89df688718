import type { ChaosEnvironment } from '../environment';
import type { ScenarioId, ScenarioOptions, ScenarioResult } from '../scenario';
import { workerKills } from './r1-worker-kills';
import { serverRestarts } from './r2-server-restarts';
import { armFaults } from './r3-arm-faults';
import { vmFaults } from './r4-vm-faults';

/** The scenarios at the sizes `npm run chaos` runs them; --targets overrides the size. */
export const SCENARIOS: Record<ScenarioId, { defaultTargets: number; run(env: ChaosEnvironment, options: ScenarioOptions): Promise<ScenarioResult> }> = {
  R1: { defaultTargets: 200, run: workerKills },
  R2: { defaultTargets: 200, run: serverRestarts },
  R3: { defaultTargets: 200, run: armFaults },
  R4: { defaultTargets: 200, run: vmFaults },
};

export const SCENARIO_IDS = Object.keys(SCENARIOS) as ScenarioId[];
