import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { CodecConfigError, generateKey, Keyring, loadKeyring } from '../../../src/codec/keys';

const keyA = randomBytes(32).toString('base64');
const keyB = randomBytes(32).toString('base64');

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

test('nothing configured means no keyring (fleetcmd runs unencrypted)', () => {
  expect(loadKeyring({})).toBeUndefined();
  expect(loadKeyring({ FLEETCMD_CODEC_KEYS: '  ', FLEETCMD_CODEC_KEY_FILE: '' })).toBeUndefined();
});

test('FLEETCMD_CODEC_KEYS as id:key pairs makes the first key current and keeps the others', () => {
  const keyring = loadKeyring({ FLEETCMD_CODEC_KEYS: `new:${keyA}, old:${keyB}` });
  expect(keyring?.currentKeyId).toBe('new');
  expect(keyring?.keyIds).toEqual(['new', 'old']);
  expect(keyring?.key('old')).toEqual(Buffer.from(keyB, 'base64'));
});

test('FLEETCMD_CODEC_KEYS as a JSON object makes the first key current', () => {
  const keyring = loadKeyring({ FLEETCMD_CODEC_KEYS: JSON.stringify({ k2: keyA, k1: keyB }) });
  expect(keyring?.currentKeyId).toBe('k2');
  expect(keyring?.keyIds).toEqual(['k2', 'k1']);
});

test('FLEETCMD_CODEC_KEYS as a JSON object with numeric ids is refused, since JSON reorders them', () => {
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEYS: JSON.stringify({ '2': keyA, '1': keyB }) }));
  expect(error.message).toMatch(/FLEETCMD_CODEC_KEYS: numeric key ids/);
});

test('FLEETCMD_CODEC_KEY_FILE names the current key explicitly', () => {
  const files: Record<string, string> = { '/etc/fleetcmd/keys.json': JSON.stringify({ current: 'k1', keys: { k0: keyA, k1: keyB } }) };
  const keyring = loadKeyring({ FLEETCMD_CODEC_KEY_FILE: '/etc/fleetcmd/keys.json' }, { readFile: (path) => files[path] });
  expect(keyring?.currentKeyId).toBe('k1');
  expect(keyring?.keyIds).toEqual(['k1', 'k0']);
});

test('a key that is not 32 bytes fails naming the setting and the key id, not the key', () => {
  const short = randomBytes(16).toString('base64');
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEYS: `good:${keyA},short:${short}` }));
  expect(error).toBeInstanceOf(CodecConfigError);
  expect(error.message).toBe('FLEETCMD_CODEC_KEYS: key "short" must be base64 of exactly 32 bytes (it decodes to 16)');
  expect(error.message).not.toContain(short);
});

test('a bad key in the key file fails naming the setting, the file and the key id', () => {
  const short = randomBytes(31).toString('base64');
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEY_FILE: '/k.json' }, { readFile: () => JSON.stringify({ current: 'k1', keys: { k1: short } }) }));
  expect(error.message).toBe('FLEETCMD_CODEC_KEY_FILE (/k.json): key "k1" must be base64 of exactly 32 bytes (it decodes to 31)');
});

test('a key file that is not JSON fails without quoting its content', () => {
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEY_FILE: '/k.json' }, { readFile: () => `{ "keys": { "k1": ${keyA} } }` }));
  expect(error.message).toBe('FLEETCMD_CODEC_KEY_FILE (/k.json): is not valid JSON');
});

test('a key pasted where an id belongs is not quoted back', () => {
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEYS: JSON.stringify({ current: 'k1', keys: { [keyA]: keyB } }) }));
  expect(error.message).toMatch(/^FLEETCMD_CODEC_KEYS: a key id is invalid/);
  expect(error.message).not.toContain(keyA);
  expect(error.message).not.toContain(keyB);
});

test('a current key id missing from the keys fails naming it', () => {
  const error = errorOf(() => loadKeyring({ FLEETCMD_CODEC_KEY_FILE: '/k.json' }, { readFile: () => JSON.stringify({ current: 'k9', keys: { k1: keyA } }) }));
  expect(error.message).toBe('FLEETCMD_CODEC_KEY_FILE (/k.json): current key "k9" is not among the keys (k1)');
});

test('both settings at once is refused', () => {
  expect(() => loadKeyring({ FLEETCMD_CODEC_KEYS: `k1:${keyA}`, FLEETCMD_CODEC_KEY_FILE: '/k.json' })).toThrow(/either FLEETCMD_CODEC_KEYS or FLEETCMD_CODEC_KEY_FILE/);
});

test('a keyring printed or serialized shows key ids only', () => {
  const keyring = Keyring.create({ current: 'k1', keys: { k1: keyA, k0: keyB } });
  const shown = `${inspect(keyring)} ${JSON.stringify(keyring)} ${JSON.stringify({ keyring })}`;
  expect(shown).toContain('k1');
  for (const key of [keyA, keyB]) {
    expect(shown).not.toContain(key);
    expect(shown).not.toContain(Buffer.from(key, 'base64').toString('hex'));
  }
});

test('generateKey makes a fresh 32-byte key under a dated id that loads back', () => {
  const generated = generateKey({ now: new Date('2025-03-04T05:06:07Z') });
  expect(generated.id).toMatch(/^k20250304-[0-9a-f]{4}$/);
  expect(Buffer.from(generated.key, 'base64')).toHaveLength(32);
  expect(generateKey().key).not.toBe(generated.key);
  expect(loadKeyring({ FLEETCMD_CODEC_KEYS: `${generated.id}:${generated.key}` })?.currentKeyId).toBe(generated.id);
});

test('a key id listed twice in FLEETCMD_CODEC_KEYS is refused', () => {
  expect(() => loadKeyring({ FLEETCMD_CODEC_KEYS: `k1:${keyA},k1:${keyB}` })).toThrow('FLEETCMD_CODEC_KEYS: key "k1" is listed twice');
  expect(loadKeyring({ FLEETCMD_CODEC_KEYS: `constructor:${keyA}` })?.currentKeyId).toBe('constructor');
});
