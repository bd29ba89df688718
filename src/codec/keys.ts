import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

/**
 * The keys fleetcmd encrypts Temporal payloads with. One key is current (new
 * payloads use it); the others stay so that history written before a rotation
 * still decrypts. Key ids are written into every payload's metadata, so they
 * are public; key material never leaves this module except to the cipher.
 *
 * Configuration, in this order (both set is an error, neither means no
 * encryption):
 * - FLEETCMD_CODEC_KEYS: `id1:base64key,id2:base64key` (first is current), a
 *   JSON object `{ "id1": "base64key", ... }` (first is current), or the file
 *   shape below as JSON;
 * - FLEETCMD_CODEC_KEY_FILE: path of a JSON file
 *   `{ "current": "id", "keys": { "id": "base64 of 32 bytes", ... } }`.
 */

export const KEYS_SETTING = 'FLEETCMD_CODEC_KEYS';
export const KEY_FILE_SETTING = 'FLEETCMD_CODEC_KEY_FILE';

/** AES-256: anything else is a configuration mistake, not a weaker mode. */
export const KEY_BYTES = 32;

/**
 * Ids go into payload metadata and into the `id:key,...` syntax, so no `:` or
 * `,`; at most 40 characters, so a 32-byte key (43+ in base64) pasted as an id
 * is rejected before any message could quote it.
 */
const KEY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;
/** Standard or URL-safe base64, padding optional. */
const BASE64_PATTERN = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** A configuration problem. The message names the setting and key id, never key material. */
export class CodecConfigError extends Error {
  override readonly name = 'CodecConfigError';
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`${setting}: ${problem}`);
  }
}

export class Keyring {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly currentKeyId: string;

  private constructor(currentKeyId: string, keys: ReadonlyMap<string, Buffer>) {
    this.currentKeyId = currentKeyId;
    this.#keys = keys;
  }

  /**
   * Builds a keyring from key material already in memory (tests, a KMS
   * fetch). Validates like the settings do; `setting` names the source in
   * errors.
   */
  static create(options: { current: string; keys: Readonly<Record<string, Uint8Array | string>>; setting?: string }): Keyring {
    const setting = options.setting ?? 'keyring';
    const keys = new Map<string, Buffer>();
    for (const [id, material] of Object.entries(options.keys)) {
      if (!KEY_ID_PATTERN.test(id)) throw new CodecConfigError(setting, keyIdProblem());
      const key = typeof material === 'string' ? decodeKey(material) : Buffer.from(material);
      if (typeof key === 'string') throw new CodecConfigError(setting, `key ${quoteId(id)} ${key}`);
      if (key.length !== KEY_BYTES) throw new CodecConfigError(setting, `key ${quoteId(id)} ${lengthProblem(key.length)}`);
      keys.set(id, key);
    }
    if (keys.size === 0) throw new CodecConfigError(setting, 'no keys');
    if (!keys.has(options.current)) throw new CodecConfigError(setting, `current key ${quoteId(options.current)} is not among the keys (${[...keys.keys()].join(', ')})`);
    return new Keyring(options.current, keys);
  }

  /** Every key id this keyring can decrypt, current first. */
  get keyIds(): string[] {
    return [this.currentKeyId, ...[...this.#keys.keys()].filter((id) => id !== this.currentKeyId)];
  }

  /** The key for an id, for the cipher only. */
  key(id: string): Buffer | undefined {
    return this.#keys.get(id);
  }

  /** A keyring that ends up in a log or a JSON dump shows its ids, not its keys. */
  toJSON(): { currentKeyId: string; keyIds: string[] } {
    return { currentKeyId: this.currentKeyId, keyIds: this.keyIds };
  }

  [inspect.custom](): string {
    return `Keyring { current: ${this.currentKeyId}, keys: [${this.keyIds.join(', ')}] }`;
  }
}

export interface LoadKeyringOptions {
  /** Reads FLEETCMD_CODEC_KEY_FILE (default: the file system). */
  readFile?: (path: string) => string;
}

/**
 * The keyring the environment configures, or undefined when none is (fleetcmd
 * then runs without encryption; the CLI warns). Throws CodecConfigError on
 * any problem.
 */
export function loadKeyring(env: NodeJS.ProcessEnv = process.env, options: LoadKeyringOptions = {}): Keyring | undefined {
  const inline = env[KEYS_SETTING]?.trim() || undefined;
  const file = env[KEY_FILE_SETTING]?.trim() || undefined;
  if (inline && file) throw new CodecConfigError(KEYS_SETTING, `set either ${KEYS_SETTING} or ${KEY_FILE_SETTING}, not both`);
  if (inline) return parseKeysSetting(inline);
  if (file) return parseKeyFile(file, options.readFile ?? ((path) => readFileSync(path, 'utf8')));
  return undefined;
}

export interface GeneratedKey {
  id: string;
  /** base64 of 32 random bytes */
  key: string;
}

/**
 * A fresh key for `fleetcmd codec keygen`. The default id is dated so that a
 * rotated keyring reads oldest to newest.
 */
export function generateKey(options: { id?: string; now?: Date } = {}): GeneratedKey {
  const id = options.id ?? `k${(options.now ?? new Date()).toISOString().slice(0, 10).replace(/-/g, '')}-${randomBytes(2).toString('hex')}`;
  if (!KEY_ID_PATTERN.test(id)) throw new CodecConfigError('key id', keyIdProblem());
  return { id, key: randomBytes(KEY_BYTES).toString('base64') };
}

// --- parsing -----------------------------------------------------------------

const keyIdSchema = z.string().regex(KEY_ID_PATTERN, { error: keyIdProblem() });

const keyFileSchema = z.object({
  current: keyIdSchema,
  keys: z.record(keyIdSchema, z.string({ error: 'must be a base64 string' })),
});

function parseKeysSetting(value: string): Keyring {
  if (!value.startsWith('{')) return parsePairs(value);
  const json = parseJson(value, KEYS_SETTING);
  if (isRecord(json) && 'keys' in json) return fromFileShape(json, KEYS_SETTING);
  if (!isRecord(json)) throw new CodecConfigError(KEYS_SETTING, 'must be `id:base64key,...` or a JSON object');
  const ids = Object.keys(json);
  // JSON objects list integer-like keys first whatever their written order, so
  // "first is current" would silently pick the wrong key.
  if (ids.length > 1 && ids.some((id) => /^\d+$/.test(id))) {
    throw new CodecConfigError(KEYS_SETTING, 'numeric key ids lose their order in a JSON object: use { "current": "<id>", "keys": { ... } }');
  }
  const parsed = z.record(keyIdSchema, z.string({ error: 'must be a base64 string' })).safeParse(json);
  if (!parsed.success) throw new CodecConfigError(KEYS_SETTING, describeIssues(parsed.error.issues, []));
  if (ids.length === 0) throw new CodecConfigError(KEYS_SETTING, 'no keys');
  return Keyring.create({ current: ids[0], keys: parsed.data, setting: KEYS_SETTING });
}

function parsePairs(value: string): Keyring {
  const keys = new Map<string, string>();
  let current: string | undefined;
  for (const [index, entry] of value.split(',').entries()) {
    const colon = entry.indexOf(':');
    if (colon < 0) throw new CodecConfigError(KEYS_SETTING, `entry ${index + 1} is not id:base64key`);
    const id = entry.slice(0, colon).trim();
    if (keys.has(id)) throw new CodecConfigError(KEYS_SETTING, `key ${quoteId(id)} is listed twice`);
    keys.set(id, entry.slice(colon + 1).trim());
    current ??= id;
  }
  if (current === undefined) throw new CodecConfigError(KEYS_SETTING, 'no keys');
  return Keyring.create({ current, keys: Object.fromEntries(keys), setting: KEYS_SETTING });
}

function parseKeyFile(path: string, readFile: (path: string) => string): Keyring {
  const setting = `${KEY_FILE_SETTING} (${path})`;
  let text: string;
  try {
    text = readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CodecConfigError(setting, `cannot read the file${code ? ` (${code})` : ''}`);
  }
  return fromFileShape(parseJson(text, setting), setting);
}

function fromFileShape(json: unknown, setting: string): Keyring {
  const parsed = keyFileSchema.safeParse(json);
  if (!parsed.success) throw new CodecConfigError(setting, describeIssues(parsed.error.issues, ['keys']));
  return Keyring.create({ ...parsed.data, setting });
}

/** JSON.parse's own messages quote the input, which here is key material. */
function parseJson(text: string, setting: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CodecConfigError(setting, 'is not valid JSON');
  }
}

/** Zod issues rendered by path (key ids are public); zod's messages here never quote key material. */
function describeIssues(issues: readonly z.core.$ZodIssue[], keysPath: readonly string[]): string {
  return issues
    .map((issue) => {
      if (issue.code === 'invalid_key') return keyIdProblem();
      const path = issue.path.map(String);
      const underKeys = keysPath.every((part, i) => path[i] === part) && path.length === keysPath.length + 1;
      if (underKeys) return `key ${quoteId(path[keysPath.length])} ${issue.message}`;
      return path.length > 0 ? `${path.join('.')}: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** The decoded key, or a description of what is wrong with it. */
function decodeKey(material: string): Buffer | string {
  const trimmed = material.trim();
  if (!BASE64_PATTERN.test(trimmed)) return `must be base64 of exactly ${KEY_BYTES} bytes (it is not base64)`;
  return Buffer.from(trimmed, 'base64');
}

function lengthProblem(length: number): string {
  return `must be base64 of exactly ${KEY_BYTES} bytes (it decodes to ${length})`;
}

function keyIdProblem(): string {
  return 'a key id is invalid: ids are 1-40 characters of A-Z a-z 0-9 . _ - starting with a letter or digit';
}

/** An id that is not a valid id may be a key pasted in the wrong place: show only its length. */
function quoteId(id: string): string {
  return KEY_ID_PATTERN.test(id) ? `"${id}"` : `(an invalid id of ${id.length} characters)`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
