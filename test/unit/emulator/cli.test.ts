import { EMULATOR_HELP, parseEmulatorArgs } from '../../../src/emulator/main';

test('the help says scripts run for real on this machine', () => {
  expect(EMULATOR_HELP).toContain('RUN FOR REAL ON THIS MACHINE');
  expect(EMULATOR_HELP).toContain('FLEETCMD_ARM_ENDPOINT');
});

test('arguments are parsed, in both --flag value and --flag=value forms', () => {
  const args = parseEmulatorArgs(['--port', '8443', '--vms=500', '--time-scale', '0.01', '--latency', 'none', '--no-throttling']);
  expect(args).toMatchObject({ port: 8443, vms: 500, timeScale: 0.01, latencyProfile: 'none', throttling: false });
});

test('bad arguments name the flag', () => {
  expect(() => parseEmulatorArgs(['--vms', 'many'])).toThrow(/^--vms: expected an integer/);
  expect(() => parseEmulatorArgs(['--latency', 'slow'])).toThrow(/^--latency/);
  expect(() => parseEmulatorArgs(['--frobnicate'])).toThrow(/unknown option '--frobnicate'/);
});
