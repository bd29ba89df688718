import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { SecretRegistry } from '../../../src/codec/known-secrets';
import { RedactingLogger } from '../../../src/codec/redacting-logger';

interface Entry {
  level: LogLevel;
  message: string;
  meta?: LogMetadata;
}

function capture(): { logger: Logger; entries: Entry[] } {
  const entries: Entry[] = [];
  const log = (level: LogLevel, message: string, meta?: LogMetadata): void => void entries.push({ level, message, meta });
  return {
    entries,
    logger: {
      log,
      trace: (m, meta) => log('TRACE', m, meta),
      debug: (m, meta) => log('DEBUG', m, meta),
      info: (m, meta) => log('INFO', m, meta),
      warn: (m, meta) => log('WARN', m, meta),
      error: (m, meta) => log('ERROR', m, meta),
    },
  };
}

test("the SDK's own failure log reaches the sink without the known secret", () => {
  const registry = new SecretRegistry();
  registry.add(['planted-protected-value']);
  const { logger, entries } = capture();
  const timestamp = Symbol.for('log_timestamp');
  new RedactingLogger({ logger, secrets: () => registry.values() }).warn('Activity failed', {
    activityType: 'runStep',
    error: new Error('script exited 1: login with planted-protected-value refused'),
    [timestamp]: 123n,
  });
  expect(entries).toHaveLength(1);
  expect(entries[0].level).toBe('WARN');
  expect(JSON.stringify(entries[0].meta)).not.toContain('planted-protected-value');
  expect((entries[0].meta?.error as { message: string }).message).toBe('script exited 1: login with REDACTED refused');
  expect(entries[0].meta?.[timestamp]).toBe(123n);
});

test('the redacting logger masks secret-named metadata fields and secret shapes in the message', () => {
  const { logger, entries } = capture();
  new RedactingLogger({ logger }).info('uploading to https://a.blob.core.windows.net/c/b?sv=1&sig=abcDEF%2B123', { step: { runAsPassword: 'pw' } });
  expect(entries[0].message).toBe('uploading to https://a.blob.core.windows.net/c/b?sv=1&sig=REDACTED');
  expect(entries[0].meta).toEqual({ step: { runAsPassword: 'REDACTED' } });
});

test('the secret registry forgets its oldest values beyond its bound', () => {
  const registry = new SecretRegistry({ max: 2 });
  registry.add(['a1', 'b2']);
  registry.add(['a1', 'c3']);
  expect(registry.values().sort()).toEqual(['a1', 'c3']);
});
