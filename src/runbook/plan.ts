/**
 * The arithmetic of a rollout and the names of what it creates: percentages
 * to counts, waves, step order, run-command names and spec hashes.
 *
 * PURE: no Node built-ins and no runtime imports beyond ./hash, because the
 * rollout and target workflows import this file into Temporal's
 * deterministic sandbox. Runbook types are imported as types only.
 */
import { canonicalJson, fnv1a64Base36, fnv1a64Hex } from './hash';
import type { CountOrPercent, Step } from './runbook';

// ---------------------------------------------------------------------------
// Counts and waves
// ---------------------------------------------------------------------------

const PERCENT = /^(\d+)(?:\.(\d+))?%$/;

/**
 * A count or a percentage of `total`, as a number of targets.
 *
 * Percentages round UP, so a non-zero percentage of a non-empty fleet is at
 * least 1 target ("10%" of 3 targets is 1, not 0). SSM documents
 * MaxConcurrency and MaxErrors percentages only with examples that divide
 * evenly (10% of 50 is 5); rounding up is the reading under which a
 * percentage never means "nobody", and it is applied to waves,
 * maxConcurrency and maxErrors alike. "0%" is 0 (meaningful for maxErrors).
 * The result never exceeds `total`. The arithmetic is done on integers so
 * that "7%" of 100 is exactly 7.
 */
export function resolveCount(value: CountOrPercent, total: number): number {
  if (!Number.isInteger(total) || total < 0) throw new RangeError(`total must be a whole number >= 0, not ${total}`);
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`a count must be a whole number >= 0, not ${value}`);
    return Math.min(value, total);
  }
  const m = PERCENT.exec(value);
  if (!m) throw new RangeError(`not a percentage: ${JSON.stringify(value)}`);
  const fraction = m[2] ?? '';
  const numerator = Number(m[1] + fraction); // "12.5%" -> 125 / (100 * 10)
  const denominator = 100 * 10 ** fraction.length;
  if (numerator > denominator) throw new RangeError(`a percentage is at most 100%, not ${value}`);
  const product = total * numerator;
  const roundedUp = Math.floor(product / denominator) + (product % denominator === 0 ? 0 : 1);
  return Math.min(total, roundedUp);
}

/**
 * The most targets one rollout keeps in flight, whatever `maxConcurrency`
 * says. Temporal limits what one workflow execution holds at once: 2,000
 * pending child workflows and 2,000 pending cancel requests (server
 * defaults). A rollout's pending children are at most its targets in flight,
 * and cancelling it asks each of them to cancel, so 1,000 keeps both at half
 * of Temporal's limit; it is also Temporal's advice for the children of one
 * parent, and keeps the in-flight set the rollout carries across
 * continue-as-new near 60 KB. A larger fleet still rolls out: 1,000 at a
 * time. Validation refuses a larger count; a percentage that comes to more
 * is capped here (and `fleetcmd plan` says so).
 */
export const MAX_CONCURRENCY = 1_000;

/** `maxConcurrency` over `total` targets as a number: at least 1, at most MAX_CONCURRENCY (`capped` when that cut it). */
export function resolveConcurrency(value: CountOrPercent, total: number): { count: number; capped: boolean } {
  const asked = Math.max(1, resolveCount(value, total));
  return asked > MAX_CONCURRENCY ? { count: MAX_CONCURRENCY, capped: true } : { count: asked, capped: false };
}

/**
 * Sizes of the waves of a rollout over `targetCount` targets.
 *
 * Like Ansible's `serial` list: each entry is the size of one wave — a
 * count, or a percentage of the whole fleet (rounded up, see resolveCount);
 * when the list runs out, its last entry repeats; the final wave takes
 * whatever is left, so the waves always cover the fleet exactly and the
 * list needs no "100%" at its end. Examples over 200 targets:
 * `[1, "10%", "100%"]` -> [1, 20, 179]; `["25%"]` -> [50, 50, 50, 50];
 * `[1]` -> 200 waves of one. No targets, no waves.
 */
export function cutWaves(targetCount: number, waves: readonly CountOrPercent[]): number[] {
  if (!Number.isInteger(targetCount) || targetCount < 0) throw new RangeError(`targetCount must be a whole number >= 0, not ${targetCount}`);
  if (waves.length === 0) throw new RangeError('waves must list at least one wave size');
  const sizes: number[] = [];
  let remaining = targetCount;
  while (remaining > 0) {
    const entry = waves[Math.min(sizes.length, waves.length - 1)];
    // A zero-size entry is rejected by validation; at least 1 keeps this loop finite regardless.
    const size = Math.min(remaining, Math.max(1, resolveCount(entry, targetCount)));
    sizes.push(size);
    remaining -= size;
  }
  return sizes;
}

// ---------------------------------------------------------------------------
// Step order
// ---------------------------------------------------------------------------

export interface StepNode {
  name: string;
  dependsOn: readonly string[];
}

/**
 * Every dependency cycle, one per strongly connected component, each as the
 * names along it starting (and, when printed, ending) at the step listed
 * first: ['a', 'b', 'c'] reads `a -> b -> c -> a`. Self-dependencies and
 * unknown names are not cycles here; validation reports them on their own.
 */
export function findCycles(steps: readonly StepNode[]): string[][] {
  const index = new Map<string, number>();
  steps.forEach((s, i) => {
    if (!index.has(s.name)) index.set(s.name, i);
  });
  const edges = steps.map((s) =>
    [...new Set(s.dependsOn)].map((d) => index.get(d)).filter((j): j is number => j !== undefined && steps[j].name !== s.name),
  );

  // Tarjan's strongly connected components, iteratively (runbooks are small,
  // but recursion depth should not depend on user input).
  const order: number[] = new Array<number>(steps.length).fill(-1);
  const low: number[] = new Array<number>(steps.length).fill(0);
  const onStack: boolean[] = new Array<boolean>(steps.length).fill(false);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  for (let root = 0; root < steps.length; root++) {
    if (order[root] !== -1) continue;
    const work: Array<[number, number]> = [[root, 0]];
    while (work.length > 0) {
      const frame = work[work.length - 1];
      const [v, next] = frame;
      if (next === 0 && order[v] === -1) {
        order[v] = low[v] = counter++;
        stack.push(v);
        onStack[v] = true;
      }
      if (next < edges[v].length) {
        frame[1] = next + 1;
        const w = edges[v][next];
        if (order[w] === -1) work.push([w, 0]);
        else if (onStack[w]) low[v] = Math.min(low[v], order[w]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1][0];
        low[parent] = Math.min(low[parent], low[v]);
      }
      if (low[v] === order[v]) {
        const component: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = false;
          component.push(w);
        } while (w !== v);
        if (component.length > 1) components.push(component);
      }
    }
  }

  // Within each component, walk from its first-listed step back to itself
  // (a breadth-first search gives the shortest such cycle).
  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = Math.min(...component);
    const previous = new Map<number, number>();
    const queue = [start];
    let closing = -1;
    while (queue.length > 0 && closing === -1) {
      const v = queue.shift() as number;
      for (const w of edges[v]) {
        if (!members.has(w)) continue;
        if (w === start) {
          closing = v;
          break;
        }
        if (!previous.has(w)) {
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    const path: number[] = [];
    for (let v = closing; v !== start; v = previous.get(v) as number) path.push(v);
    path.push(start);
    return path.reverse().map((i) => steps[i].name);
  });
  return cycles.sort((a, b) => (index.get(a[0]) ?? 0) - (index.get(b[0]) ?? 0));
}

/** `a -> b -> c -> a` */
export function formatCycle(cycle: readonly string[]): string {
  return [...cycle, cycle[0]].join(' -> ');
}

/**
 * Steps in an order where each comes after everything it depends on; among
 * steps that are ready together, the one listed first goes first, so the
 * order is stable and readable. Throws on unknown dependencies or a cycle
 * (validation has already rejected both for a parsed runbook).
 */
export function topologicalOrder<T extends StepNode>(steps: readonly T[]): T[] {
  const names = new Set(steps.map((s) => s.name));
  for (const s of steps) {
    for (const d of s.dependsOn) if (!names.has(d)) throw new Error(`step "${s.name}" depends on unknown step "${d}"`);
  }
  const done = new Set<string>();
  const result: T[] = [];
  while (result.length < steps.length) {
    const ready = steps.find((s) => !done.has(s.name) && s.dependsOn.every((d) => done.has(d)));
    if (ready === undefined) {
      const cycle = findCycles(steps)[0] ?? steps.filter((s) => !done.has(s.name)).map((s) => s.name);
      throw new Error(`dependency cycle: ${formatCycle(cycle)}`);
    }
    done.add(ready.name);
    result.push(ready);
  }
  return result;
}

// ---------------------------------------------------------------------------
// Names and hashes of run commands
// ---------------------------------------------------------------------------

/** Run command names: 1-80 characters; the hash suffix takes 14 ("-" + 13). */
const MAX_RUN_COMMAND_NAME = 80;
const HASH_SUFFIX_LENGTH = 14;

/**
 * The Azure name of a step's run command within a rollout: the step name
 * (made safe and cut to fit) followed by a 64-bit FNV-1a hash of
 * (rolloutId, stepName) in base 36, e.g. `patch-0k3v9x1q2m7zp`.
 *
 * Deterministic, so a retried activity addresses the same resource; unique
 * per (rollout, step) because the hash covers the full, untruncated inputs,
 * so a new rollout never reuses a name (Azure does not re-run an identical
 * PUT, and on Linux a deleted name does not run again: docs/design.md).
 * Always 1-80 characters of `[A-Za-z0-9._-]`, starting with a letter or
 * digit and ending with one.
 */
export function runCommandName(options: { rolloutId: string; stepName: string }): string {
  const { rolloutId, stepName } = options;
  const hash = fnv1a64Base36(JSON.stringify(['fleetcmd/runCommandName/v1', rolloutId, stepName]));
  const readable =
    stepName
      .replace(/[^A-Za-z0-9._-]/g, '-')
      .replace(/^[^A-Za-z0-9]+/, '')
      .slice(0, MAX_RUN_COMMAND_NAME - HASH_SUFFIX_LENGTH)
      .replace(/[.-]+$/, '') || 'step';
  return `${readable}-${hash}`;
}

/** Whether a URL carries a SAS: its `sig` query parameter is the credential. */
export function hasSasSignature(url: string): boolean {
  const q = url.indexOf('?');
  return q >= 0 && /(^|&)sig=/.test(url.slice(q + 1));
}

/** The URL without its SAS query; the hash keeps the URL's identity, not its credential. */
function withoutSas(url: string): string {
  return hasSasSignature(url) ? url.slice(0, url.indexOf('?')) : url;
}

/**
 * A stable hash of what a step asks Azure to run, for the run command's
 * spec-hash tag: the activity that finds the resource already there with
 * the same hash does not PUT it again.
 *
 * Secrets are left out — protectedParameters' values, runAsPassword, and
 * the SAS of a scriptUri — because tags are readable by anyone who can read
 * the VM, and a hash of a short password is a guess away from the password.
 * Their names and presence are in, so adding or renaming a secret changes
 * the hash. Nothing is lost by leaving the values out: the run command name
 * is unique per (rollout, step) and a rollout's runbook never changes, so a
 * resource with this name and a different secret cannot come from fleetcmd.
 * Blob URIs (minted per attempt) and location (per runbook) are out too.
 */
export function specHash(step: Step): string {
  const source =
    'scriptUri' in step.source ? { ...step.source, scriptUri: withoutSas(step.source.scriptUri) } : step.source;
  return fnv1a64Hex(
    canonicalJson({
      v: 1,
      source,
      parameters: step.parameters,
      protectedParameterNames: step.protectedParameters.map((p) => p.name),
      timeoutInSeconds: step.timeoutInSeconds,
      runAsUser: step.runAsUser,
      hasRunAsPassword: step.runAsPassword !== undefined,
      asyncExecution: step.asyncExecution,
      treatFailureAsDeploymentFailure: step.treatFailureAsDeploymentFailure,
    }),
  );
}
