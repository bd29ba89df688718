/**
 * `npm run chaos`: the chaos scenarios R1–R4 against a stack this process
 * starts (Temporal dev server, Azurite, the emulator), each printing its
 * figures; the exit status is 1 when any invariant broke.
 *
 *   npx ts-node --transpile-only test/chaos/run.ts [--scenario R1,R3] [--targets N] [--seed S]
 *
 * The seed (--seed, else FLEETCMD_CHAOS_SEED, else a fresh one) is printed
 * first; the same seed repeats the same faults at the same moments.
 */
import { parseArgs } from 'node:util';
import { startOwnEnvironment } from './environment';
import { formatResult } from './figures';
import { installInterruptHandlers } from './interrupt';
import { newSeed, parseSeed } from './prng';
import type { ScenarioId, ScenarioResult } from './scenario';
import { SCENARIOS, SCENARIO_IDS } from './scenarios';

interface RunArguments {
  scenarios: ScenarioId[];
  targets?: number;
  seed: number;
}

export function parseRunArguments(argv: string[], env: NodeJS.ProcessEnv = process.env): RunArguments {
  const { values } = parseArgs({
    args: argv,
    options: {
      scenario: { type: 'string', multiple: true },
      targets: { type: 'string' },
      seed: { type: 'string' },
    },
    strict: true,
  });
  const scenarios = (values.scenario ?? []).flatMap((s) => s.split(',')).map((s) => s.trim().toUpperCase()).filter(Boolean);
  for (const s of scenarios) if (!(SCENARIO_IDS as string[]).includes(s)) throw new Error(`unknown scenario "${s}" (one of ${SCENARIO_IDS.join(', ')})`);
  let targets: number | undefined;
  if (values.targets !== undefined) {
    targets = Number(values.targets);
    if (!Number.isSafeInteger(targets) || targets < 1) throw new Error(`--targets must be a positive integer, got "${values.targets}"`);
  }
  return {
    scenarios: scenarios.length ? (scenarios as ScenarioId[]) : SCENARIO_IDS,
    ...(targets !== undefined ? { targets } : {}),
    seed: parseSeed(values.seed) ?? parseSeed(env.FLEETCMD_CHAOS_SEED) ?? newSeed(),
  };
}

async function main(): Promise<number> {
  let args: RunArguments;
  try {
    args = parseRunArguments(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`chaos: ${err instanceof Error ? err.message : String(err)}\n`);
    return 2;
  }
  const log = (line: string): void => void process.stderr.write(`[chaos] ${line}\n`);
  process.stdout.write(`chaos seed ${args.seed} (repeat with --seed ${args.seed}); scenarios ${args.scenarios.join(', ')}\n`);

  const env = await startOwnEnvironment(log);
  installInterruptHandlers(() => env.stop(), log);
  const results: ScenarioResult[] = [];
  const crashed: ScenarioId[] = [];
  try {
    for (const id of args.scenarios) {
      const scenario = SCENARIOS[id];
      try {
        const result = await scenario.run(env, { targets: args.targets ?? scenario.defaultTargets, seed: args.seed });
        results.push(result);
        process.stdout.write(`\n${formatResult(result)}\n`);
      } catch (err) {
        // A scenario that could not run is not a pass: say why, and go on with the others.
        crashed.push(id);
        process.stdout.write(`\n${id} did not run to the end: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      }
    }
  } finally {
    await env.stop();
  }
  const broken = [...results.filter((r) => r.violations.length > 0).map((r) => r.id), ...crashed];
  const held = args.scenarios.length - broken.length;
  process.stdout.write(`\nchaos seed ${args.seed}: ${held} of ${args.scenarios.length} scenarios hold${broken.length ? `; broken: ${broken.join(', ')}` : ''}\n`);
  return broken.length ? 1 : 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`chaos: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
