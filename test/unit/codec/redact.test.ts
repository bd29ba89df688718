import { collectSecrets, isSecretKey, redact, redactError, redactObject } from '../../../src/codec/redact';

const sig = 'Xk3%2Bq9ZlR0%2FabcDEF123ghiJKL%3D';
const sasUrl = `https://acct.blob.core.windows.net/fleetcmd-output/web-01/stdout?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=racw&sig=${sig}`;
const accountKey = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';
const jwt = 'eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL21hbmFnZW1lbnQuYXp1cmUuY29tIn0.c2lnbmF0dXJlLWJ5dGVz';

test('redact removes each given secret value wherever it appears', () => {
  const out = redact('patch.sh: login as admin with hunter2-pw (retry: hunter2-pw)', ['hunter2-pw']);
  expect(out).toBe('patch.sh: login as admin with REDACTED (retry: REDACTED)');
});

test('redact removes a secret value in its JSON-escaped, percent-encoded and base64 forms', () => {
  const secret = 'p@ss "word"/x';
  const text = `json ${JSON.stringify({ v: secret })} url ?p=${encodeURIComponent(secret)} b64 ${Buffer.from(secret).toString('base64')}`;
  const out = redact(text, [secret]);
  expect(out).not.toContain('ss \\"word');
  expect(out).not.toContain(encodeURIComponent(secret));
  expect(out).not.toContain(Buffer.from(secret).toString('base64'));
});

test('redact masks a SAS signature in a URL and keeps the rest of the URL', () => {
  const out = redact(`uploading to ${sasUrl} now`);
  expect(out).not.toContain(sig);
  expect(out).toContain('sig=REDACTED');
  expect(out).toContain('https://acct.blob.core.windows.net/fleetcmd-output/web-01/stdout?sv=2022-11-02&se=2030-01-01T00%3A00%3A00Z&sr=b&sp=racw&');
  expect(out).toMatch(/ now$/);
});

test('redact masks a SAS signature inside a percent-encoded URL', () => {
  const out = redact(`https://x.example/redirect?to=${encodeURIComponent(sasUrl)}&next=1`);
  expect(out).not.toContain(encodeURIComponent(sig));
  expect(out).toContain('sig%3DREDACTED&next=1');
});

test('redact masks AccountKey in a connection string and keeps the other fields', () => {
  const connectionString = `DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=${accountKey};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;`;
  const out = redact(`cannot connect with ${connectionString}`);
  expect(out).not.toContain(accountKey);
  expect(out).toContain('AccountName=devstoreaccount1;AccountKey=REDACTED;BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;');
});

test('redact masks Authorization headers and bearer tokens', () => {
  expect(redact(`Authorization: Bearer ${jwt}`)).toBe('Authorization: Bearer REDACTED');
  expect(redact(`{"authorization":"Bearer ${jwt}","accept":"application/json"}`)).toBe('{"authorization":"REDACTED","accept":"application/json"}');
  expect(redact(`headers: { authorization: 'Bearer opaque-token-1234567890' }`)).toBe(`headers: { authorization: 'Bearer REDACTED' }`);
  expect(redact(`curl -H "x: Bearer abcdefghijklmnop0123"`)).toBe('curl -H "x: Bearer REDACTED"');
});

test('redact masks a JWT with no label', () => {
  expect(redact(`token was ${jwt}.`)).toBe('token was REDACTED.');
});

test('redact masks secret-named JSON fields, including a protectedParameters array', () => {
  const json = JSON.stringify({ name: 'patch', runAsPassword: 'pw1', protectedParameters: [{ name: 'TOKEN', value: 'v1' }], parameters: [{ name: 'VERSION', value: '3.0.15' }] });
  const out = redact(json);
  expect(out).not.toContain('pw1');
  expect(out).not.toContain('v1');
  expect(out).toContain('"protectedParameters":"REDACTED"');
  expect(out).toContain('"parameters":[{"name":"VERSION","value":"3.0.15"}]');
});

test('redact masks password and token key=value pairs', () => {
  expect(redact('env: DB_PASSWORD=swordfish API_TOKEN="abc def" HOME=/root')).toBe('env: DB_PASSWORD=REDACTED API_TOKEN=REDACTED HOME=/root');
  expect(redact('runAsPassword: swordfish')).toBe('runAsPassword: REDACTED');
});

test('redact leaves text without secrets unchanged', () => {
  const text = 'step patch on web-01: Succeeded, exit 0 after 12s; signal approve received; Bearer token required; see https://acct.blob.core.windows.net/out/web-01?sv=2022-11-02&se=2030-01-01';
  expect(redact(text, ['not-present'])).toBe(text);
});

test('redactObject replaces secret-named fields at any depth and redacts strings elsewhere', () => {
  const record = {
    msg: 'step started',
    rollout: 'patch-openssl',
    step: { name: 'patch', runAsUser: 'azureuser', runAsPassword: 'pw1', protectedParameters: [{ name: 'TOKEN', value: 'v1' }] },
    outputBlobUri: sasUrl,
    storage: { accountKey: 'k', sasToken: 'sv=1&sig=abc' },
    request: { headers: { Authorization: 'Bearer x' } },
    attempts: [{ admin_password: 'pw2', exitCode: 1 }],
    signalName: 'approve',
  };
  const out = redactObject(record);
  expect(out).toEqual({
    msg: 'step started',
    rollout: 'patch-openssl',
    step: { name: 'patch', runAsUser: 'azureuser', runAsPassword: 'REDACTED', protectedParameters: 'REDACTED' },
    outputBlobUri: sasUrl.replace(sig, 'REDACTED'),
    storage: { accountKey: 'REDACTED', sasToken: 'REDACTED' },
    request: { headers: { Authorization: 'REDACTED' } },
    attempts: [{ admin_password: 'REDACTED', exitCode: 1 }],
    signalName: 'approve',
  });
  expect(record.step.runAsPassword).toBe('pw1');
});

test('redactObject survives cycles', () => {
  const record: Record<string, unknown> = { password: 'pw', name: 'x' };
  record.self = record;
  record.list = [record];
  expect(redactObject(record)).toEqual({ password: 'REDACTED', name: 'x', self: '[Circular]', list: ['[Circular]'] });
});

test('redactObject keeps a value that appears twice without a cycle', () => {
  const shared = { region: 'westus' };
  expect(redactObject({ a: shared, b: shared })).toEqual({ a: { region: 'westus' }, b: { region: 'westus' } });
});

test('redactObject turns errors into plain redacted fields and URLs into redacted strings', () => {
  const error = Object.assign(new Error(`PUT failed for ${sasUrl}`), { code: 'AuthorizationFailed', request: { authorization: 'Bearer t' } });
  const out = redactObject({ err: error, url: new URL(sasUrl) }) as unknown as { err: Record<string, unknown>; url: string };
  expect(out.err.name).toBe('Error');
  expect(out.err.code).toBe('AuthorizationFailed');
  expect(out.err.message).toContain('sig=REDACTED');
  expect(String(out.err.stack)).not.toContain(sig);
  expect(out.err.request).toEqual({ authorization: 'REDACTED' });
  expect(out.url).toContain('sig=REDACTED');
});

test('redactObject removes given secret values from every string', () => {
  expect(redactObject({ output: 'connected with hunter2' }, undefined, { secrets: ['hunter2'] })).toEqual({ output: 'connected with REDACTED' });
});

test('redactError prints the cause chain redacted', () => {
  const error = new Error('workflow failed', { cause: new Error(`script said: password hunter2 rejected; log at ${sasUrl}`) });
  const out = redactError(error, { secrets: ['hunter2'] });
  expect(out).toBe(`Error: workflow failed\ncaused by Error: script said: password REDACTED rejected; log at ${sasUrl.replace(sig, 'REDACTED')}`);
});

test('collectSecrets gathers protected values, passwords and SAS signatures but not parameter names', () => {
  const runbook = {
    steps: [
      { name: 'patch', runAsPassword: 'pw1', protectedParameters: [{ name: 'TOKEN', value: 'v1' }], parameters: [{ name: 'VERSION', value: '3.0.15' }] },
      { name: 'fetch', scriptUri: sasUrl },
    ],
  };
  expect(collectSecrets(runbook).sort()).toEqual(['pw1', 'v1', sig, decodeURIComponent(sig)].sort());
});

test('secret field names match by word: password in runAsPassword, but sig not in signal', () => {
  expect(['runAsPassword', 'admin_password', 'SASToken', 'x-ms-authorization', 'accountKey', 'sig'].filter((k) => isSecretKey(k))).toHaveLength(6);
  expect(['signal', 'signalName', 'passwordless', 'name', 'keyId', 'tokens'].filter((k) => isSecretKey(k))).toEqual([]);
});
