import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';
import { redact, redactObject, SECRET_KEYS } from './redact';

export interface RedactingLoggerOptions {
  /** Where redacted records go (the Runtime's logger, a pino adapter, ...). */
  logger: Logger;
  /** Known secret values, read at each call (e.g. `() => knownSecrets.values()`). */
  secrets?: () => readonly string[];
  secretKeys?: readonly string[];
}

/**
 * A Temporal `Logger` that redacts every message and metadata record before
 * passing it on. Install it as the Runtime's logger
 * (`Runtime.install({ logger: new RedactingLogger({ logger, secrets }) })`):
 * the SDK logs failed activities and workflows at WARN with the error's
 * message and stack, which the payload codec cannot reach.
 */
export class RedactingLogger implements Logger {
  private readonly logger: Logger;
  private readonly secrets: () => readonly string[];
  private readonly secretKeys: readonly string[];

  constructor(options: RedactingLoggerOptions) {
    this.logger = options.logger;
    this.secrets = options.secrets ?? (() => []);
    this.secretKeys = options.secretKeys ?? SECRET_KEYS;
  }

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const secrets = this.secrets();
    this.logger.log(level, redact(message, secrets), meta === undefined ? undefined : this.redactMeta(meta, secrets));
  }

  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }

  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }

  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }

  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }

  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }

  private redactMeta(meta: LogMetadata, secrets: readonly string[]): LogMetadata {
    const redacted = redactObject(meta, this.secretKeys, { secrets });
    // The SDK passes the record's timestamp under a symbol key; keep symbol keys as they are.
    for (const symbol of Object.getOwnPropertySymbols(meta)) redacted[symbol] = meta[symbol];
    return redacted;
  }
}
