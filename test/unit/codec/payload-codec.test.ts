import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { Keyring } from '../../../src/codec/keys';
import { ENCRYPTED_ENCODING, EncryptionCodec, KEY_ID_METADATA_KEY, PayloadDecryptionError, UnknownEncryptionKeyError } from '../../../src/codec/payload-codec';

const keyA = randomBytes(32);
const keyB = randomBytes(32);
const secret = 'hunter2-protected-parameter';

const codecWith = (current: string, keys: Record<string, Buffer>): EncryptionCodec => new EncryptionCodec({ keyring: Keyring.create({ current, keys }) });
const text = (bytes: Uint8Array | null | undefined): string => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');
const payloadOf = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);

test('a payload round-trips through encode and decode with its metadata intact', async () => {
  const codec = codecWith('a', { a: keyA });
  const original = payloadOf({ runAsPassword: secret, steps: [1, 2, 3] });
  const [encoded] = await codec.encode([original]);
  const [decoded] = await codec.decode([encoded]);
  expect(defaultPayloadConverter.fromPayload(decoded)).toEqual({ runAsPassword: secret, steps: [1, 2, 3] });
  expect(text(decoded.metadata?.encoding)).toBe('json/plain');
});

test('an encoded payload says binary/encrypted and its key id, and hides the value', async () => {
  const [encoded] = await codecWith('a', { a: keyA }).encode([payloadOf(secret)]);
  expect(text(encoded.metadata?.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(text(encoded.metadata?.[KEY_ID_METADATA_KEY])).toBe('a');
  expect(Object.keys(encoded.metadata ?? {}).sort()).toEqual([KEY_ID_METADATA_KEY, 'encoding'].sort());
  expect(text(encoded.data)).not.toContain(secret);
  expect(Buffer.from(encoded.data ?? []).toString('base64')).not.toContain(Buffer.from(secret).toString('base64'));
});

test('the same input encrypts to different ciphertext each time (fresh IV)', async () => {
  const codec = codecWith('a', { a: keyA });
  const [first, second] = await codec.encode([payloadOf(secret), payloadOf(secret)]);
  expect(Buffer.from(first.data ?? []).subarray(0, 12)).not.toEqual(Buffer.from(second.data ?? []).subarray(0, 12));
  expect(Buffer.from(first.data ?? [])).not.toEqual(Buffer.from(second.data ?? []));
});

test('tampered ciphertext fails to decode (GCM tag) naming the key id', async () => {
  const codec = codecWith('a', { a: keyA });
  const [encoded] = await codec.encode([payloadOf(secret)]);
  const data = Buffer.from(encoded.data ?? []);
  data[20] ^= 0x01;
  const decoding = codec.decode([{ ...encoded, data }]);
  await expect(decoding).rejects.toBeInstanceOf(PayloadDecryptionError);
  await expect(decoding).rejects.toThrow('cannot decrypt payload (key "a"): authentication failed');
});

test('truncated ciphertext fails to decode', async () => {
  const codec = codecWith('a', { a: keyA });
  const [encoded] = await codec.encode([payloadOf(secret)]);
  await expect(codec.decode([{ ...encoded, data: Buffer.from(encoded.data ?? []).subarray(0, 20) }])).rejects.toThrow(/shorter than IV and tag/);
});

test('after a rotation old payloads still decrypt while new ones use the new key', async () => {
  const [old] = await codecWith('a', { a: keyA }).encode([payloadOf('written before rotation')]);
  const rotated = codecWith('b', { b: keyB, a: keyA });
  const [fresh] = await rotated.encode([payloadOf('written after rotation')]);
  expect(text(fresh.metadata?.[KEY_ID_METADATA_KEY])).toBe('b');
  const [oldDecoded, freshDecoded] = await rotated.decode([old, fresh]);
  expect(defaultPayloadConverter.fromPayload(oldDecoded)).toBe('written before rotation');
  expect(defaultPayloadConverter.fromPayload(freshDecoded)).toBe('written after rotation');
});

test('a payload under an unknown key id fails naming the id and not any key', async () => {
  const [encoded] = await codecWith('gone', { gone: keyA }).encode([payloadOf(secret)]);
  const error = await codecWith('b', { b: keyB }).decode([encoded]).then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error).toBeInstanceOf(UnknownEncryptionKeyError);
  expect(error?.message).toContain('"gone"');
  for (const key of [keyA, keyB]) {
    expect(error?.message).not.toContain(key.toString('base64'));
    expect(error?.message).not.toContain(key.toString('hex'));
  }
});

test('payloads that are not encrypted pass through decode untouched', async () => {
  const plain = payloadOf({ note: 'written without a codec' });
  const [decoded] = await codecWith('a', { a: keyA }).decode([plain]);
  expect(decoded).toBe(plain);
});

test('an empty payload list encodes and decodes to an empty list', async () => {
  const codec = codecWith('a', { a: keyA });
  await expect(codec.encode([])).resolves.toEqual([]);
  await expect(codec.decode([])).resolves.toEqual([]);
});
