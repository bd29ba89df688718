import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { COMPUTE_POLICIES } from '../../../src/emulator/throttle';
import { parseRunbook } from '../../../src/runbook/load';
import { APPROVALS, OUTPUT_KEYS, ROLLOUT_KEYS, RUNBOOK_KEYS, SCALE_SET_KEYS, STEP_KEYS, TARGETS_KEYS } from '../../../src/runbook/runbook';

/**
 * docs/design.md describes the code as it is; these checks keep the parts a
 * reader copies from (the runbook format, Azure's limits) from drifting.
 */

const root = join(__dirname, '../../..');
const doc = readFileSync(join(root, 'docs', 'design.md'), 'utf8');

/** The text under a `## heading`, up to the next one. */
function section(heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  expect({ heading, found: start >= 0 }).toEqual({ heading, found: true });
  const end = doc.indexOf('\n## ', start + 1);
  return doc.slice(start, end < 0 ? undefined : end);
}

describe('the runbook file section', () => {
  const text = section('The runbook file');
  const example = /```yaml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';

  it('shows a runbook fleetcmd accepts', () => {
    expect(example.length).toBeGreaterThan(100);
    const parsed = parseRunbook(example);
    expect(parsed.ok ? [] : parsed.problems).toEqual([]);
  });

  it('shows the runbook test/fixtures/valid/design-md-example.yaml holds', () => {
    const fixture = readFileSync(join(root, 'test', 'fixtures', 'valid', 'design-md-example.yaml'), 'utf8');
    expect(example).toBe(fixture.slice(fixture.indexOf('\n') + 1));
  });

  it('names every field the runbook schema accepts', () => {
    const keys = [...RUNBOOK_KEYS, ...TARGETS_KEYS, ...SCALE_SET_KEYS, ...STEP_KEYS, ...ROLLOUT_KEYS, ...OUTPUT_KEYS];
    expect(keys.length).toBeGreaterThan(25);
    // `key`, `parent.key` or `key.child`: the field is named either way.
    expect(keys.filter((key) => !new RegExp(`\`(?:[\\w.\\[\\]]+\\.)?${key}(?:\`|\\.)`).test(text))).toEqual([]);
  });

  it('names every approval mode', () => {
    expect(APPROVALS.filter((mode) => !text.includes(`\`${mode}\``))).toEqual([]);
  });
});

describe("Azure's throttling limits section", () => {
  const rows = section("Azure's throttling limits")
    .split('\n')
    .map((line) => /^\|[^|]+\| `(\w+)` \| ([\d,]+), ([\d,]+)\/min \| ([\d,]+), ([\d,]+)\/min \|$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null);
  const n = (text: string): number => Number(text.replace(/,/g, ''));

  it("gives, for each Compute policy of run commands, the emulator's bucket sizes and refill rates", () => {
    expect(rows.length).toBe(6);
    for (const [, policy, vmSize, vmRefill, subSize, subRefill] of rows) {
      const spec = COMPUTE_POLICIES[policy as keyof typeof COMPUTE_POLICIES] as { resource?: { size: number; perMinute: number }; subscription: { size: number; perMinute: number } } | undefined;
      expect({ policy, vm: [n(vmSize), n(vmRefill)], subscription: [n(subSize), n(subRefill)] }).toEqual({
        policy,
        vm: [spec?.resource?.size, spec?.resource?.perMinute],
        subscription: [spec?.subscription.size, spec?.subscription.perMinute],
      });
    }
  });
});
