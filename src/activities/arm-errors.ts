import { ApplicationFailure } from '@temporalio/activity';

/**
 * The one place ARM errors are classified. Throttling (429), server errors
 * (5xx), conflicts (409) and network failures are retried — 429 after its
 * Retry-After. Everything else (400, 401, 403, 404, ...) fails the step at
 * once, with Azure's own code and message as the failure's type and message.
 */
export interface ArmErrorInfo {
  statusCode?: number;
  code: string;
  message: string;
  retryAfterMs?: number;
}

const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN', 'ENOTFOUND', 'REQUEST_SEND_ERROR', 'UND_ERR_SOCKET']);

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  message?: string;
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
}

export function armErrorInfo(err: unknown): ArmErrorInfo {
  const e = (err ?? {}) as RestErrorLike;
  const retryAfter = e.response?.headers?.get('retry-after');
  const body = parseErrorBody(e.response?.bodyAsText);
  return {
    statusCode: e.statusCode,
    code: body?.code ?? e.code ?? (e.statusCode ? `HTTP${e.statusCode}` : 'NetworkError'),
    message: body?.message ?? e.message ?? String(err),
    retryAfterMs: retryAfter !== undefined ? retryAfterToMs(retryAfter) : undefined,
  };
}

export function isRetryable(info: ArmErrorInfo): boolean {
  const s = info.statusCode;
  if (s === undefined) return NETWORK_CODES.has(info.code) || info.code === 'NetworkError';
  // A 409 is usually a conflict that clears (another operation in progress); OperationNotAllowed
  // ("the VM is not running") does not clear by waiting, and Azure's word should reach the user now.
  if (s === 409) return info.code !== 'OperationNotAllowed';
  return s === 429 || s === 408 || s >= 500;
}

/** Turns an ARM error into the ApplicationFailure the activity throws. */
export function armFailure(err: unknown, fallbackDelayMs?: number): ApplicationFailure {
  const info = armErrorInfo(err);
  const details = [{ statusCode: info.statusCode, code: info.code, message: info.message }];
  if (!isRetryable(info)) {
    return ApplicationFailure.create({ type: info.code, message: info.message, nonRetryable: true, details });
  }
  const nextRetryDelay = info.retryAfterMs ?? fallbackDelayMs;
  return ApplicationFailure.create({
    type: info.code,
    message: info.message,
    nonRetryable: false,
    details,
    ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
  });
}

function parseErrorBody(text: string | null | undefined): { code?: string; message?: string } | undefined {
  if (!text) return undefined;
  try {
    const parsed = JSON.parse(text) as { error?: { code?: string; message?: string } };
    return parsed.error;
  } catch {
    return undefined;
  }
}

/** Retry-After is seconds or an HTTP date. */
export function retryAfterToMs(value: string): number | undefined {
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}
