// Keeping secrets out of Temporal history, logs, errors and CLI output.
// Not for workflow code: these modules use node:crypto, node:http and node:fs.
export { dataConverterFor, failureConverterPath } from './data-converter';
export { CodecConfigError, generateKey, Keyring, KEY_BYTES, KEY_FILE_SETTING, KEYS_SETTING, loadKeyring } from './keys';
export type { GeneratedKey, LoadKeyringOptions } from './keys';
export { knownSecrets, SecretRegistry } from './known-secrets';
export { ENCRYPTED_ENCODING, EncryptionCodec, isEncrypted, KEY_ID_METADATA_KEY, PayloadDecryptionError, UnknownEncryptionKeyError } from './payload-codec';
export type { EncryptionCodecOptions } from './payload-codec';
export { collectSecrets, isSecretKey, redact, REDACTED, redactError, redactObject, SECRET_KEYS } from './redact';
export type { RedactObjectOptions } from './redact';
export { RedactingLogger } from './redacting-logger';
export type { RedactingLoggerOptions } from './redacting-logger';
export { CODEC_SERVER_TOKEN_SETTING, codecServerSettingsFromEnv, DEFAULT_CODEC_SERVER_PORT, DEFAULT_UI_ORIGINS, startCodecServer } from './server';
export type { CodecServer, CodecServerOptions, CodecServerSettings } from './server';
