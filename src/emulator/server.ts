import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ADMIN_PREFIX, type AdminResponse } from './admin';
import type { ArmApi, ArmResponse, Principal } from './arm-api';
import { ArmError, armErrors, serverErrorBody } from './arm-errors';
import type { TlsMaterial } from './certs';
import type { Counters } from './counters';
import type { FaultState } from './faults';
import type { Timings } from './timing';
import { delay } from './timing';

/**
 * The HTTPS front: 127.0.0.1 only, keep-alive, ARM's common headers, request
 * faults and latency, bearer-token checks, and the split between ARM paths and
 * the admin path.
 */

const MAX_BODY_BYTES = 4 * 1024 * 1024;

export interface ServerDeps {
  tls: TlsMaterial;
  port: number;
  principals: ReadonlyMap<string, Principal>;
  arm: ArmApi;
  admin: (method: string, path: string, query: URLSearchParams, body: unknown) => Promise<AdminResponse>;
  faults: FaultState;
  counters: Counters;
  timings: Timings;
}

export interface RunningServer {
  server: Server;
  port: number;
  close(): Promise<void>;
}

class BodyError extends Error {
  constructor(readonly armError: ArmError) {
    super(armError.message);
  }
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyError(armErrors.requestTooLarge()));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (text.trim() === '') return resolve(undefined);
      try {
        resolve(JSON.parse(text));
      } catch (error) {
        reject(new BodyError(armErrors.invalidRequestContent((error as Error).message)));
      }
    });
  });
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const json = body === undefined ? '' : typeof body === 'string' ? body : JSON.stringify(body);
  const requestId = randomUUID();
  const out: Record<string, string | number> = {
    'cache-control': 'no-cache',
    pragma: 'no-cache',
    expires: '-1',
    'x-content-type-options': 'nosniff',
    'strict-transport-security': 'max-age=31536000; includeSubDomains',
    'x-ms-request-id': requestId,
    'x-ms-correlation-request-id': (req.headers['x-ms-correlation-request-id'] as string | undefined) ?? (req.headers['x-ms-client-request-id'] as string | undefined) ?? requestId,
    'content-length': Buffer.byteLength(json),
    ...headers,
  };
  if (json) out['content-type'] = 'application/json; charset=utf-8';
  res.writeHead(status, out);
  res.end(json);
}

function resetConnection(req: IncomingMessage): void {
  req.socket.destroy();
}

export async function startServer(deps: ServerDeps): Promise<RunningServer> {
  const { faults, counters, timings } = deps;

  const authenticate = (req: IncomingMessage): Principal => {
    const header = req.headers.authorization;
    if (!header) throw armErrors.missingToken();
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const principal = match ? deps.principals.get(match[1].trim()) : undefined;
    if (!principal) throw armErrors.invalidToken();
    return principal;
  };

  const handleAdmin = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    try {
      const principal = authenticate(req);
      if (principal.readOnly) throw armErrors.authorizationFailed(principal.name, 'fleetcmd.Emulator/admin/write', path);
      const body = req.method === 'GET' ? undefined : await readBody(req);
      const response = await deps.admin(req.method ?? 'GET', path, query, body);
      send(req, res, response.status, {}, response.body);
    } catch (error) {
      if (error instanceof BodyError) return send(req, res, 400, {}, { error: { code: 'InvalidAdminRequest', message: `(body): ${error.message}` } });
      if (error instanceof ArmError) return send(req, res, error.status, error.headers, { error: error.body });
      send(req, res, 500, {}, { error: { code: 'InternalServerError', message: (error as Error).message } });
    }
  };

  const handleArm = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    const method = req.method ?? 'GET';
    // Azure has a request once it was sent: the body is read before any hold, so a request whose
    // client stopped waiting (an aborted or timed-out call) still takes effect, as it would in Azure.
    const read: { body?: unknown; error?: unknown } =
      method === 'PUT' || method === 'PATCH' || method === 'POST' ? await readBody(req).then((body) => ({ body }), (error: unknown) => ({ error })) : {};
    const f = faults.requests;
    const dice = faults.appliesTo(method);
    if (dice && f.latencyMs > 0 && f.phase === 'before') await delay(f.latencyMs);
    const reset = dice && Math.random() < f.connectionResetRate;
    const fail = dice && !reset && Math.random() < f.serverErrorRate;
    if (f.phase === 'before') {
      if (reset) return resetConnection(req);
      if (fail) {
        counters.request(f.serverErrorStatus, method);
        return send(req, res, f.serverErrorStatus, {}, { error: serverErrorBody(f.serverErrorStatus) });
      }
    }
    const latency = timings.requestLatencyMs(method);
    if (latency > 0) await delay(latency);

    let response: ArmResponse;
    try {
      const principal = authenticate(req);
      if (read.error !== undefined) throw read.error;
      const body = read.body;
      const host = req.headers.host && /^[A-Za-z0-9.:[\]-]+$/.test(req.headers.host) ? req.headers.host : `127.0.0.1:${port}`;
      response = deps.arm.handle({ method, path, query, body, baseUrl: `https://${host}`, principal });
    } catch (error) {
      const armError = error instanceof BodyError ? error.armError : error instanceof ArmError ? error : undefined;
      if (!armError) {
        response = { status: 500, headers: {}, body: { error: armErrors.internal().body } };
      } else {
        response = { status: armError.status, headers: armError.headers, body: { error: armError.body } };
      }
    }
    // phase 'after': the request took effect, but the client learns it late, or never.
    if (dice && f.phase === 'after') {
      if (f.latencyMs > 0) await delay(f.latencyMs);
      if (reset) return resetConnection(req);
      if (fail) {
        counters.request(f.serverErrorStatus, method);
        return send(req, res, f.serverErrorStatus, {}, { error: serverErrorBody(f.serverErrorStatus) });
      }
    }
    counters.request(response.status, method);
    send(req, res, response.status, response.headers, response.body);
  };

  const server = createServer({ key: deps.tls.serverKeyPem, cert: deps.tls.serverCertPem, keepAlive: true }, (req, res) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
    const work = path === ADMIN_PREFIX || path.startsWith(`${ADMIN_PREFIX}/`) ? handleAdmin(req, res, path, query) : handleArm(req, res, path, query);
    work.catch(() => {
      if (!res.headersSent) send(req, res, 500, {}, { error: armErrors.internal().body });
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 120_000;
  server.headersTimeout = 125_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(deps.port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
