import { DefaultLogger, Runtime, type LogEntry, type LogLevel, type LogMetadata } from '@temporalio/worker';
import pino from 'pino';
import { knownSecrets, RedactingLogger } from './codec';

/**
 * The worker's logs and metrics. Logs are JSON lines (pino) carrying what
 * the SDK attaches (workflowId — `<rolloutId>/<target>` for targets —,
 * activityType, attempt) plus fleetcmd's own fields (rolloutId, target,
 * step), every line passed through the redactor first. Metrics: the Temporal
 * runtime's Prometheus endpoint, which also carries fleetcmd's own counters
 * (created through the SDK's metric meters, so replays never double-count).
 */
export interface TelemetryOptions {
  /** host:port for Prometheus' /metrics; none when absent. */
  metricsAddress?: string;
  logLevel?: LogLevel;
}

const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function telemetryFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryOptions {
  const level = (env.FLEETCMD_LOG_LEVEL ?? 'INFO').toUpperCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`FLEETCMD_LOG_LEVEL: must be one of TRACE, DEBUG, INFO, WARN, ERROR, not ${JSON.stringify(env.FLEETCMD_LOG_LEVEL)}`);
  }
  return { metricsAddress: env.FLEETCMD_METRICS_ADDRESS || undefined, logLevel: level as LogLevel };
}

let installed = false;

/** Installs the runtime once per process (the SDK allows one). */
export function installTelemetry(options: TelemetryOptions): void {
  if (installed) return;
  installed = true;
  const json = pino({ level: 'trace', base: { service: 'fleetcmd-worker' }, timestamp: pino.stdTimeFunctions.isoTime }, pino.destination(2));
  const threshold = options.logLevel ?? 'INFO';
  const sink = new DefaultLogger(threshold, (entry: LogEntry) => {
    const { message, meta } = entry;
    const level = isExpectedNotice(message, meta) ? 'DEBUG' : entry.level;
    if (LEVELS.indexOf(level) < LEVELS.indexOf(threshold)) return;
    json[level.toLowerCase() as 'info'](meta ?? {}, message);
  });
  Runtime.install({
    logger: new RedactingLogger({ logger: sink, secrets: () => knownSecrets.values() }),
    ...(options.metricsAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: options.metricsAddress } } } } : {}),
  });
}

/**
 * The ARM-writes worker runs activities only, by design, and the SDK warns
 * about that at every start. The notice is logged at DEBUG there, so a WARN
 * in an operator's logs always means something.
 */
export function isExpectedNotice(message: string, meta?: LogMetadata): boolean {
  const taskQueue = typeof meta?.taskQueue === 'string' ? meta.taskQueue : '';
  return message.startsWith('No workflows registered') && taskQueue.endsWith('-arm-writes');
}
