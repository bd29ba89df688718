import { randomBytes } from 'node:crypto';
import { ApplicationFailure, DefaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { loadDataConverter } from '@temporalio/common/lib/internal-non-workflow';
import { dataConverterFor } from '../../../src/codec/data-converter';
import { Keyring } from '../../../src/codec/keys';
import { EncryptionCodec } from '../../../src/codec/payload-codec';

test('without a keyring the data converter is the SDK default', () => {
  expect(dataConverterFor(undefined)).toEqual({});
});

test('with a keyring the data converter encrypts payloads and moves failure messages into payloads', () => {
  const keyring = Keyring.create({ current: 'k1', keys: { k1: randomBytes(32) } });
  const loaded = loadDataConverter(dataConverterFor(keyring));
  expect(loaded.payloadCodecs).toHaveLength(1);
  expect(loaded.payloadCodecs[0]).toBeInstanceOf(EncryptionCodec);
  expect(loaded.failureConverter).toBeInstanceOf(DefaultFailureConverter);
  const failure = loaded.failureConverter.errorToFailure(ApplicationFailure.create({ message: 'login failed for s3cret' }), defaultPayloadConverter);
  expect(failure.message).toBe('Encoded failure');
  expect(JSON.stringify(failure)).not.toContain('s3cret');
  expect(failure.encodedAttributes).toBeDefined();
});
