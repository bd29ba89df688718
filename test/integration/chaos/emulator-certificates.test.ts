import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { ensureTlsMaterial } from '../../../src/emulator/certs';
import { testStack } from '../../harness/stack';

// Found by `npm run chaos`: about one emulator start in 500 failed with "asn1 encoding
// routines::illegal padding". The server certificate's serial number is random; this test
// gives it the random bytes that broke it, so the failure does not depend on luck.

jest.mock('node:crypto', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  return { ...actual, randomBytes: jest.fn(actual.randomBytes) };
});

test('the emulator serves TLS whatever random bytes its certificate serial gets', () => {
  const actual = jest.requireActual<typeof import('node:crypto')>('node:crypto');
  // The unlucky start: the serial's first random byte 0x00, the next one below 0x80.
  jest.mocked(randomBytes).mockImplementation(((size: number) => (size === 15 ? Buffer.concat([Buffer.from([0x00, 0x10]), actual.randomBytes(13)]) : actual.randomBytes(size))) as typeof randomBytes);
  const tls = ensureTlsMaterial(mkdtempSync(join(testStack().tmpDir, 'certs-')));
  expect(() => createSecureContext({ key: tls.serverKeyPem, cert: tls.serverCertPem })).not.toThrow();
});
