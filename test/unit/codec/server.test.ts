import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { defaultPayloadConverter } from '@temporalio/common';
import { Keyring } from '../../../src/codec/keys';
import { codecServerSettingsFromEnv, startCodecServer, type CodecServer } from '../../../src/codec/server';

const keyring = Keyring.create({ current: 'k1', keys: { k1: randomBytes(32) } });
const token = 'codec-server-token-0123456789';
const uiOrigin = 'http://localhost:8233';
const servers: CodecServer[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
});

async function serve(options: { token?: string } = {}): Promise<CodecServer> {
  const server = await startCodecServer({ port: 0, keyring, corsOrigin: uiOrigin, ...options });
  servers.push(server);
  return server;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A real HTTP request over the loopback, no mocks. */
function call(url: string, options: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(url, { method: options.method ?? 'POST', headers: { 'Content-Type': 'application/json', ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const jsonPayload = (value: unknown): { metadata: Record<string, string>; data: string } => {
  const payload = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(payload.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(payload.data ?? []).toString('base64'),
  };
};

test('the codec server encodes and decodes payloads over real HTTP', async () => {
  const server = await serve();
  expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const original = jsonPayload({ runAsPassword: 'hunter2' });

  const encoded = await call(`${server.url}/encode`, { body: { payloads: [original] } });
  expect(encoded.status).toBe(200);
  const encrypted = (JSON.parse(encoded.body) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
  expect(Buffer.from(encrypted[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(encrypted[0].data, 'base64').toString()).not.toContain('hunter2');

  const decoded = await call(`${server.url}/decode`, { body: { payloads: encrypted } });
  expect(decoded.status).toBe(200);
  expect(JSON.parse(decoded.body)).toEqual({ payloads: [original] });
});

test('the codec server answers at any path ending in /decode', async () => {
  const server = await serve();
  const reply = await call(`${server.url}/namespaces/default/decode`, { body: { payloads: [jsonPayload('plain')] } });
  expect(reply.status).toBe(200);
  expect(JSON.parse(reply.body)).toEqual({ payloads: [jsonPayload('plain')] });
});

test('the codec server refuses a request without the token when one is configured', async () => {
  const server = await serve({ token });
  const reply = await call(`${server.url}/decode`, { body: { payloads: [] } });
  expect(reply.status).toBe(401);
  expect(reply.headers['www-authenticate']).toBe('Bearer');
});

test('the codec server refuses a wrong token', async () => {
  const server = await serve({ token });
  const reply = await call(`${server.url}/decode`, { headers: { Authorization: `Bearer ${token}x` }, body: { payloads: [] } });
  expect(reply.status).toBe(401);
});

test('the codec server accepts the configured bearer token', async () => {
  const server = await serve({ token });
  const reply = await call(`${server.url}/decode`, { headers: { Authorization: `Bearer ${token}` }, body: { payloads: [] } });
  expect(reply.status).toBe(200);
  expect(JSON.parse(reply.body)).toEqual({ payloads: [] });
});

test('the codec server answers the Web UI preflight for its origin without a token', async () => {
  const server = await serve({ token });
  const reply = await call(`${server.url}/decode`, {
    method: 'OPTIONS',
    headers: { Origin: uiOrigin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace,authorization' },
  });
  expect(reply.status).toBe(204);
  expect(reply.headers['access-control-allow-origin']).toBe(uiOrigin);
  expect(String(reply.headers['access-control-allow-headers']).toLowerCase()).toContain('x-namespace');
  expect(String(reply.headers['access-control-allow-methods'])).toContain('POST');
});

test('the codec server refuses a browser origin it was not told about', async () => {
  const server = await serve();
  const reply = await call(`${server.url}/decode`, { headers: { Origin: 'http://evil.example' }, body: { payloads: [] } });
  expect(reply.status).toBe(403);
  expect(reply.headers['access-control-allow-origin']).toBeUndefined();
});

test('the codec server answers 400 to a body that is not payloads', async () => {
  const server = await serve();
  expect((await call(`${server.url}/decode`, { body: { nope: true } })).status).toBe(400);
  expect((await call(`${server.url}/decode`, { body: { payloads: [{ data: 'not base64!' }] } })).status).toBe(400);
});

test('the codec server answers 400 naming the key id of a payload it cannot decrypt', async () => {
  const other = await startCodecServer({ port: 0, keyring: Keyring.create({ current: 'k0', keys: { k0: randomBytes(32) } }) });
  servers.push(other);
  const encrypted = JSON.parse((await call(`${other.url}/encode`, { body: { payloads: [jsonPayload('x')] } })).body) as { payloads: unknown[] };
  const server = await serve();
  const reply = await call(`${server.url}/decode`, { body: encrypted });
  expect(reply.status).toBe(400);
  expect((JSON.parse(reply.body) as { message: string }).message).toContain('key "k0"');
});

test('the codec server will not listen beyond loopback without a token', async () => {
  await expect(startCodecServer({ port: 0, keyring, host: '0.0.0.0' })).rejects.toThrow(/without a token/);
});

test('codec server settings default to loopback port 8888 and the dev UI origins', () => {
  expect(codecServerSettingsFromEnv({})).toEqual({ port: 8888, host: '127.0.0.1', corsOrigin: ['http://localhost:8233', 'http://127.0.0.1:8233'], token: undefined });
  expect(codecServerSettingsFromEnv({ FLEETCMD_CODEC_SERVER_TOKEN: token, FLEETCMD_CODEC_SERVER_CORS_ORIGIN: 'https://ui.example' }).token).toBe(token);
});

test('a short codec server token is refused without being printed', () => {
  expect(() => codecServerSettingsFromEnv({ FLEETCMD_CODEC_SERVER_TOKEN: 'short-tok' })).toThrow(/FLEETCMD_CODEC_SERVER_TOKEN: must be at least 16 characters/);
  expect(() => codecServerSettingsFromEnv({ FLEETCMD_CODEC_SERVER_TOKEN: 'short-tok' })).not.toThrow(/short-tok/);
});
