/**
 * The codec endpoint: lets the Temporal Web UI and CLI show fleetcmd's
 * encrypted payloads in clear, for someone who can reach it (and holds the
 * token, when one is set). Protocol (Temporal's remote codec protocol, as in
 * samples-go/codec-server/protocol.md): `POST <any path>/encode` and
 * `POST <any path>/decode`, body and answer `{ "payloads": [{ "metadata":
 * { "<key>": "<base64>" }, "data": "<base64>" }] }` (Payloads as protobuf
 * JSON), 400 for bad input or a payload that does not decrypt.
 *
 * Pointing the tools at it (default http://127.0.0.1:8888):
 * - dev server's UI: `temporal server start-dev --ui-codec-endpoint
 *   http://127.0.0.1:8888`; the UI at http://localhost:8233 then decodes in
 *   the browser, so its origin must be allowed (corsOrigin; the default
 *   settings allow http://localhost:8233 and http://127.0.0.1:8233).
 * - any running UI: the codec/"Data Encoder" settings in the UI's top bar
 *   (kept in that browser), or for everyone, the UI server's
 *   TEMPORAL_CODEC_ENDPOINT (and TEMPORAL_CODEC_PASS_ACCESS_TOKEN) settings.
 * - Temporal CLI: `temporal workflow show --codec-endpoint
 *   http://127.0.0.1:8888 --codec-auth "Bearer $FLEETCMD_CODEC_SERVER_TOKEN"`
 *   (or TEMPORAL_CODEC_ENDPOINT / TEMPORAL_CODEC_AUTH).
 *
 * Access: the endpoint decrypts for anyone it answers, so it listens on
 * loopback unless told otherwise and refuses a non-loopback address without a
 * token. The token (FLEETCMD_CODEC_SERVER_TOKEN) is a static bearer token for
 * the CLI and scripts; a browser UI cannot attach it (its "pass access token"
 * sends the UI user's own SSO token), so for the UI keep the server on
 * loopback without a token, or behind the same auth proxy as the UI.
 * Requests carrying an Origin that is not allowed are refused outright, which
 * also defeats DNS rebinding against the loopback port.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload } from '@temporalio/common';
import { z } from 'zod';
import type { Keyring } from './keys';
import { EncryptionCodec, PayloadDecryptionError, UnknownEncryptionKeyError } from './payload-codec';

export const CODEC_SERVER_TOKEN_SETTING = 'FLEETCMD_CODEC_SERVER_TOKEN';
export const DEFAULT_CODEC_SERVER_PORT = 8888;
/** The dev server's Web UI (Temporal port 7233 + 1000), by both names a browser may use. */
export const DEFAULT_UI_ORIGINS: readonly string[] = ['http://localhost:8233', 'http://127.0.0.1:8233'];

export interface CodecServerOptions {
  keyring: Keyring;
  /** Default 8888; 0 picks a free port (see `url`). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Browser origins allowed to call (the Web UI's). None: no browser may. */
  corsOrigin?: string | readonly string[];
  /** Required as `Authorization: Bearer <token>` on encode/decode when set. */
  token?: string;
  /** Serve a non-loopback host without a token (behind an authenticating proxy only). */
  allowRemoteWithoutToken?: boolean;
  /** Largest request accepted; default 8 MiB (Temporal's 4 MB gRPC limit, base64-inflated). */
  maxBodyBytes?: number;
}

export interface CodecServer {
  /** Base URL to give the UI or CLI, e.g. http://127.0.0.1:8888 */
  url: string;
  stop(): Promise<void>;
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token || undefined;
  if (!token && !isLoopback(host) && !options.allowRemoteWithoutToken) {
    throw new Error(`refusing to serve decryption on ${host} without a token: set ${CODEC_SERVER_TOKEN_SETTING} or listen on 127.0.0.1`);
  }
  const origins = new Set(typeof options.corsOrigin === 'string' ? [options.corsOrigin] : (options.corsOrigin ?? []));
  const codec = new EncryptionCodec({ keyring: options.keyring });
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;

  const server = createServer((req, res) => {
    handle(req, res, { codec, origins, token, maxBodyBytes }).catch(() => {
      if (!res.headersSent) send(res, 500, { message: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_CODEC_SERVER_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${urlHost}:${address.port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Browsers keep connections alive; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}

export interface CodecServerSettings {
  port: number;
  host: string;
  corsOrigin: string[];
  token?: string;
}

/**
 * The codec server's settings for `fleetcmd codec serve`:
 * FLEETCMD_CODEC_SERVER_PORT (8888), FLEETCMD_CODEC_SERVER_HOST (127.0.0.1),
 * FLEETCMD_CODEC_SERVER_CORS_ORIGIN (comma-separated; the dev UI's origins),
 * FLEETCMD_CODEC_SERVER_TOKEN (none).
 */
export function codecServerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): CodecServerSettings {
  const schema = z.object({
    FLEETCMD_CODEC_SERVER_PORT: z.coerce.number().int().min(0).max(65535).default(DEFAULT_CODEC_SERVER_PORT),
    FLEETCMD_CODEC_SERVER_HOST: z.string().min(1).default('127.0.0.1'),
    FLEETCMD_CODEC_SERVER_CORS_ORIGIN: z.string().optional(),
    [CODEC_SERVER_TOKEN_SETTING]: z.string().min(16, { error: 'must be at least 16 characters' }).optional(),
  });
  const blankToUndefined = (value: string | undefined): string | undefined => (value?.trim() ? value.trim() : undefined);
  const parsed = schema.safeParse({
    FLEETCMD_CODEC_SERVER_PORT: blankToUndefined(env.FLEETCMD_CODEC_SERVER_PORT),
    FLEETCMD_CODEC_SERVER_HOST: blankToUndefined(env.FLEETCMD_CODEC_SERVER_HOST),
    FLEETCMD_CODEC_SERVER_CORS_ORIGIN: blankToUndefined(env.FLEETCMD_CODEC_SERVER_CORS_ORIGIN),
    [CODEC_SERVER_TOKEN_SETTING]: blankToUndefined(env[CODEC_SERVER_TOKEN_SETTING]),
  });
  if (!parsed.success) {
    // Issue messages only: zod's never quote the input, and one of these is a token.
    throw new Error(`invalid codec server configuration: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const data = parsed.data;
  return {
    port: data.FLEETCMD_CODEC_SERVER_PORT,
    host: data.FLEETCMD_CODEC_SERVER_HOST,
    corsOrigin: data.FLEETCMD_CODEC_SERVER_CORS_ORIGIN?.split(',').map((o) => o.trim()).filter(Boolean) ?? [...DEFAULT_UI_ORIGINS],
    token: data[CODEC_SERVER_TOKEN_SETTING],
  };
}

// --- request handling ---------------------------------------------------------

interface Context {
  codec: EncryptionCodec;
  origins: ReadonlySet<string>;
  token: string | undefined;
  maxBodyBytes: number;
}

/** Protobuf JSON writes bytes as standard base64; some encoders use the URL-safe alphabet or drop padding. */
const base64 = z.string().regex(/^[A-Za-z0-9+/_-]*={0,2}$/);
const jsonPayloadSchema = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const bodySchema = z.object({ payloads: z.array(jsonPayloadSchema) });
type JsonPayload = z.infer<typeof jsonPayloadSchema>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, context: Context): Promise<void> {
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (!context.origins.has(origin)) return send(res, 403, { message: `origin ${origin} is not allowed` });
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Allow-Credentials', 'true');
    res.setHeader('Vary', 'Origin');
  }
  if (req.method === 'OPTIONS') {
    // Preflights carry no credentials by design; the POST that follows is checked.
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-Namespace, Authorization');
    res.setHeader('Access-Control-Max-Age', '600');
    res.writeHead(204).end();
    return;
  }
  // The protocol says to look only at the last path segment, so the endpoints can be mounted anywhere.
  const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
  const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
  if (!operation) return send(res, 404, { message: 'not found: POST .../encode or .../decode' });
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST, OPTIONS');
    return send(res, 405, { message: 'use POST' });
  }
  if (context.token !== undefined && !tokenMatches(req.headers.authorization, context.token)) {
    res.setHeader('WWW-Authenticate', 'Bearer');
    return send(res, 401, { message: 'missing or wrong bearer token' });
  }

  try {
    const body = bodySchema.safeParse(parseJson(await readBody(req, context.maxBodyBytes)));
    if (!body.success) throw new HttpError(400, 'body must be {"payloads":[{"metadata":{"<key>":"<base64>"},"data":"<base64>"}]}');
    const input = body.data.payloads.map(fromJson);
    const output = operation === 'encode' ? await context.codec.encode(input) : await context.codec.decode(input);
    send(res, 200, { payloads: output.map(toJson) });
  } catch (error) {
    if (error instanceof HttpError) return send(res, error.status, { message: error.message });
    // These messages name a key id at most; anything else stays generic.
    if (error instanceof UnknownEncryptionKeyError || error instanceof PayloadDecryptionError) return send(res, 400, { message: error.message });
    throw error;
  }
}

function tokenMatches(header: string | undefined, token: string): boolean {
  if (!header) return false;
  const presented = header.replace(/^Bearer\s+/i, '').trim();
  // Hash first so the comparison takes the same time whatever the lengths.
  const digest = (text: string): Buffer => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(presented), digest(token));
}

async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) throw new HttpError(413, `body larger than ${maxBytes} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: metadata ? Object.fromEntries(Object.entries(metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])) : {},
    data: data ? Buffer.from(data, 'base64') : undefined,
  };
}

function toJson({ metadata, data }: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(Object.entries(metadata ?? {}).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}

function send(res: ServerResponse, status: number, body: object): void {
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
