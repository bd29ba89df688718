import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { TemporalServer } from '../../../src/devstack/temporal-server';
import { obtainTemporalCli } from '../../../src/devstack/temporal-cli';
import type { ChaosEnvironment } from '../environment';
import { chaosFleet, chaosRunbook, underTest } from '../rollout';
import { runScenario, type ChaosContext, type FaultSummary, type ScenarioOptions, type ScenarioResult } from '../scenario';

export interface ServerRestartOptions extends ScenarioOptions {
  /** SIGKILLs of the Temporal dev server, each followed by a restart on the same SQLite file. */
  restarts?: number;
}

/**
 * R2: the Temporal dev server is killed with SIGKILL mid-rollout and started
 * again on the same port and SQLite file, a few times, after seeded random
 * whiles and for seeded random outages. The worker and the client ride it
 * out; the rollout, its children and their timers live in the SQLite file.
 * The scenario runs a server of its own, so the shared one is never killed.
 */
export async function serverRestarts(env: ChaosEnvironment, options: ServerRestartOptions): Promise<ScenarioResult> {
  const restarts = options.restarts ?? 3;
  const cli = await obtainTemporalCli();
  if (cli.type !== 'existing-path') throw new Error('R2 kills and restarts the dev server: it needs a Temporal CLI binary (npm run temporal-cli)');
  const server = await TemporalServer.start({ cliPath: cli.path, dataDir: mkdtempSync(join(env.stack.tmpDir, 'chaos-r2-temporal-')) });
  const rg = 'chaos-r2';
  const { definition, targets } = chaosFleet(rg, options.targets);
  try {
    return await runScenario(env, {
      id: 'R2',
      title: `${restarts} × SIGKILL and restart of the Temporal dev server during a rollout`,
      options,
      runbook: chaosRunbook('chaos-server-restarts', rg, ['{ name: prepare, script: "sleep 2; echo prepared" }', '{ name: apply, dependsOn: [prepare], script: "sleep 3; echo applied" }'], '{ maxConcurrency: 20 }'),
      targets: underTest(targets),
      fleet: { fleet: definition, temporalAddress: server.address },
      deadlineMs: 30 * 60_000,
      chaos: (ctx) => restartRepeatedly(ctx, server, restarts),
    });
  } finally {
    await server.stop();
  }
}

async function restartRepeatedly(ctx: ChaosContext, server: TemporalServer, restarts: number): Promise<FaultSummary> {
  const outages: number[] = [];
  for (let i = 0; i < restarts; i++) {
    const runFor = i === 0 ? ctx.prng.between(3, 8) : ctx.prng.between(5, 12);
    const downFor = ctx.prng.between(1, 5);
    if (!(await ctx.sleep(runFor * 1000))) break;
    const killedAt = Date.now();
    await server.kill();
    ctx.log(`Temporal server SIGKILL ${i + 1}/${restarts} after ${runFor.toFixed(1)} s up; down for ${downFor.toFixed(1)} s`);
    // The outage is not cut short by the rollout ending: it cannot end while the server is down.
    await new Promise((r) => setTimeout(r, downFor * 1000));
    await server.startProcess();
    outages.push((Date.now() - killedAt) / 1000);
    ctx.log(`Temporal server back after ${outages[outages.length - 1].toFixed(1)} s`);
  }
  return {
    injected: outages.length,
    detail: `${outages.length} Temporal server SIGKILL + restart on its SQLite file (outages ${outages.map((s) => `${s.toFixed(1)} s`).join(', ')})`,
    ...(outages.length < restarts ? { shortfall: `only ${outages.length} of ${restarts} restarts happened before the rollout ended` } : {}),
  };
}
