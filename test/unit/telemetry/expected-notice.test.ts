import { armWritesTaskQueue } from '../../../src/workflows/task-queues';
import { isExpectedNotice } from '../../../src/telemetry';

test("the SDK's no-workflows notice is expected on the ARM-writes task queue only", () => {
  const message = 'No workflows registered, not polling for workflow tasks';
  expect(isExpectedNotice(message, { taskQueue: armWritesTaskQueue('fleetcmd') })).toBe(true);
  expect(isExpectedNotice(message, { taskQueue: 'fleetcmd' })).toBe(false);
  expect(isExpectedNotice(message)).toBe(false);
  expect(isExpectedNotice('Activity failed', { taskQueue: armWritesTaskQueue('fleetcmd') })).toBe(false);
});
