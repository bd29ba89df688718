import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { METADATA_ENCODING_KEY, type Payload, type PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { Keyring } from './keys';

/**
 * Encrypts every payload fleetcmd hands to Temporal (workflow and activity
 * inputs and results, signals, queries, memo, failure attributes) so that the
 * server's history holds no runbook secret in clear text.
 *
 * Wire format, the one Temporal's samples in every SDK use, so their codec
 * servers and ours read each other's data: the whole original Payload
 * (metadata and data) is protobuf-serialized, then sealed with AES-256-GCM;
 * data = IV (12 bytes) ‖ ciphertext ‖ tag (16 bytes), metadata says
 * `encoding: binary/encrypted` and which key sealed it.
 */

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA_KEY = 'encryption-key-id';

const CIPHER = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** A payload names a key this process does not hold (never configured, or dropped too early after a rotation). */
export class UnknownEncryptionKeyError extends Error {
  override readonly name = 'UnknownEncryptionKeyError';
  constructor(
    readonly keyId: string,
    knownKeyIds: readonly string[],
  ) {
    super(`payload was encrypted with key "${keyId}", which is not in the keyring (known: ${knownKeyIds.join(', ')}); add that key to FLEETCMD_CODEC_KEYS or FLEETCMD_CODEC_KEY_FILE`);
  }
}

/** An encrypted payload that does not open: tampered, truncated, or sealed by another key under the same id. */
export class PayloadDecryptionError extends Error {
  override readonly name = 'PayloadDecryptionError';
  constructor(
    readonly keyId: string | undefined,
    reason: string,
  ) {
    super(`cannot decrypt payload${keyId === undefined ? '' : ` (key "${keyId}")`}: ${reason}`);
  }
}

export interface EncryptionCodecOptions {
  keyring: Keyring;
}

export class EncryptionCodec implements PayloadCodec {
  private readonly keyring: Keyring;

  constructor(options: EncryptionCodecOptions) {
    this.keyring = options.keyring;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.keyring.currentKeyId;
    const key = this.requireKey(keyId);
    return payloads.map((payload) => ({
      metadata: {
        [METADATA_ENCODING_KEY]: Buffer.from(ENCRYPTED_ENCODING),
        [KEY_ID_METADATA_KEY]: Buffer.from(keyId),
      },
      data: seal(temporal.api.common.v1.Payload.encode(payload).finish(), key),
    }));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => this.decodeOne(payload));
  }

  private decodeOne(payload: Payload): Payload {
    // Payloads written before encryption was turned on (or by a process
    // without keys) stay readable as they are.
    if (!isEncrypted(payload)) return payload;
    const keyIdBytes = payload.metadata?.[KEY_ID_METADATA_KEY];
    if (!keyIdBytes) throw new PayloadDecryptionError(undefined, `metadata has no "${KEY_ID_METADATA_KEY}"`);
    const keyId = Buffer.from(keyIdBytes).toString('utf8');
    const plain = open(payload.data ?? new Uint8Array(), this.requireKey(keyId), keyId);
    return temporal.api.common.v1.Payload.decode(plain);
  }

  private requireKey(keyId: string): Buffer {
    const key = this.keyring.key(keyId);
    if (!key) throw new UnknownEncryptionKeyError(keyId, this.keyring.keyIds);
    return key;
  }
}

export function isEncrypted(payload: Payload): boolean {
  const encoding = payload.metadata?.[METADATA_ENCODING_KEY];
  return encoding !== undefined && encoding !== null && Buffer.from(encoding).toString('utf8') === ENCRYPTED_ENCODING;
}

function seal(plain: Uint8Array, key: Buffer): Buffer {
  // A fresh random IV per payload: GCM loses both secrecy and integrity if an
  // IV repeats under one key, and 2^-96 collisions are far below any fleet.
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv(CIPHER, key, iv, { authTagLength: TAG_BYTES });
  const ciphertext = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, ciphertext, cipher.getAuthTag()]);
}

function open(sealed: Uint8Array, key: Buffer, keyId: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new PayloadDecryptionError(keyId, `data is ${sealed.length} bytes, shorter than IV and tag`);
  const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
  const decipher = createDecipheriv(CIPHER, key, bytes.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new PayloadDecryptionError(keyId, 'authentication failed (data altered, or sealed by a different key under this id)');
  }
}
