import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client, Connection, ScheduleNotFoundError } from '@temporalio/client';
import { runCli } from '../../../src/client/cli';
import type { CliIo } from '../../../src/client/context';
import { waitFor } from '../../harness/fleet';
import { testStack } from '../../harness/stack';

/**
 * `fleetcmd schedule ...` in-process against the dev server. No worker: these
 * schedules are created paused or far from firing, and deleted at the end.
 */

const stack = testStack();
const taskQueue = `schedule-cli-${randomUUID().slice(0, 8)}`;
let connection: Connection;
let client: Client;
let runbookFile: string;
const created: string[] = [];

beforeAll(async () => {
  connection = await Connection.connect({ address: stack.temporal.address });
  client = new Client({ connection, namespace: stack.temporal.namespace });
  runbookFile = join(mkdtempSync(join(stack.tmpDir, 'schedule-cli-')), 'patch.yaml');
  writeFileSync(
    runbookFile,
    `name: nightly-patch
location: westus
targets: { subscriptionId: 00000000-0000-0000-0000-000000000000, resourceGroups: [web-rg] }
steps:
  - { name: patch, script: "echo patched" }
`,
  );
});

afterAll(async () => {
  for (const id of created) await client.schedule.getHandle(id).delete().catch(() => undefined);
  await connection?.close();
});

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => void (out += t), err: (t) => void (err += t), isTTY: false, env: {} };
  const code = await runCli(['node', 'fleetcmd', '--address', stack.temporal.address, '--task-queue', taskQueue, ...args], io);
  return { code, out, err };
}

const newId = (what: string): string => {
  const id = `cli-${what}-${randomUUID().slice(0, 8)}`;
  created.push(id);
  return id;
};

async function exists(id: string): Promise<boolean> {
  try {
    await client.schedule.getHandle(id).describe();
    return true;
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return false;
    throw err;
  }
}

test('schedule create with a bad --window exits 2 naming --window and creates nothing', async () => {
  const id = newId('bad-window');
  const result = await cli('schedule', 'create', runbookFile, '--id', id, '--cron', '0 2 * * SAT', '--window', '2 hours');
  expect(result.code).toBe(2);
  expect(result.err).toContain('--window: "2 hours" is not a duration');
  expect(await exists(id)).toBe(false);
});

test('schedule create with both --cron and --calendar exits 2 naming both and creates nothing', async () => {
  const id = newId('both');
  const result = await cli('schedule', 'create', runbookFile, '--id', id, '--cron', '0 2 * * SAT', '--calendar', 'dayOfWeek=SAT hour=2');
  expect(result.code).toBe(2);
  expect(result.err).toContain('--cron and --calendar cannot be combined');
  expect(await exists(id)).toBe(false);
});

test.each([
  ['--calendar', ['--calendar', 'dayOfWeek=SATT hour=2'], '--calendar: dayOfWeek: "SATT" is not one of SUN, MON'],
  ['--cron', ['--cron', '99 2 * * SAT'], '--cron: "99 2 * * SAT": minute: 99 is out of range 0-59'],
  ['--timezone', ['--cron', '0 2 * * SAT', '--timezone', 'Europe/Pariss'], '--timezone: "Europe/Pariss" is not an IANA time zone'],
])('schedule create with a bad %s exits 2 naming it and creates nothing', async (_flag, flags, message) => {
  const id = newId('bad');
  const result = await cli('schedule', 'create', runbookFile, '--id', id, ...flags);
  expect(result.code).toBe(2);
  expect(result.err).toContain(message);
  expect(await exists(id)).toBe(false);
});

test('schedule describe shows a calendar in its time zone, the window and the default overlap', async () => {
  const id = newId('describe');
  const create = await cli('schedule', 'create', runbookFile, '--id', id, '--calendar', 'dayOfWeek=SAT hour=2 minute=30', '--timezone', 'Europe/Paris', '--window', '1h30m');
  expect(create).toMatchObject({ code: 0, err: '' });

  const { code, out } = await cli('schedule', 'describe', id);
  expect(code).toBe(0);
  expect(out).toMatch(/when\s+calendar minute=30 hour=2 dayOfWeek=SAT \(Europe\/Paris\)/);
  expect(out).toMatch(/window\s+1h30m/);
  expect(out).toMatch(/overlap\s+skip/);
  expect(out).toMatch(/next runs\s+\S+ \(Sat \d\d \w+, 02:30 Europe\/Paris\)/);
});

test('schedule list shows a created schedule', async () => {
  const id = newId('list');
  expect((await cli('schedule', 'create', runbookFile, '--id', id, '--cron', '0 2 * * SAT', '--paused', '--note', 'CHG-1234')).code).toBe(0);

  // Temporal's schedule list is eventually consistent.
  const line = await waitFor(
    async () => {
      const { code, out } = await cli('schedule', 'list');
      expect(code).toBe(0);
      return out.split('\n').find((l) => l.startsWith(`${id} `));
    },
    { timeoutMs: 15_000, what: `${id} in schedule list` },
  );
  expect(line).toMatch(/nightly-patch\s+paused\s+-\s+cron "0 2 \* \* SAT"/);
});

test('schedule delete removes a schedule; describing it then exits 2', async () => {
  const id = newId('delete');
  expect((await cli('schedule', 'create', runbookFile, '--id', id, '--cron', '0 2 * * SAT', '--paused')).code).toBe(0);
  expect(await exists(id)).toBe(true);

  const removed = await cli('schedule', 'delete', id);
  expect(removed).toMatchObject({ code: 0, out: `deleted schedule ${id}\n` });
  expect(await exists(id)).toBe(false);
  const after = await cli('schedule', 'describe', id);
  expect(after.code).toBe(2);
  expect(after.err).toContain(`no schedule "${id}"`);
});
