import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import forge from 'node-forge';

/**
 * The emulator's TLS material: a CA (kept across restarts, so a worker that
 * trusts it keeps working) and a server certificate for 127.0.0.1/localhost
 * signed by it. The Azure SDK refuses bearer tokens over plain http, hence
 * HTTPS at all.
 */
export interface TlsMaterial {
  caCertPath: string;
  caCertPem: string;
  serverCertPem: string;
  serverKeyPem: string;
}

const DAY_MS = 86_400_000;

function newKeyPair(): { privateKey: forge.pki.rsa.PrivateKey; publicKey: forge.pki.rsa.PublicKey; privateKeyPem: string } {
  // Native key generation: node-forge's pure-JS RSA takes seconds per key.
  const { privateKey: privateKeyPem } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const privateKey = forge.pki.privateKeyFromPem(privateKeyPem) as forge.pki.rsa.PrivateKey;
  const publicKey = forge.pki.setRsaPublicKey(privateKey.n, privateKey.e);
  return { privateKey, publicKey, privateKeyPem };
}

function serialNumber(): string {
  // A positive serial whose first byte is neither 0 (DER forbids that padding) nor >= 0x80 (negative).
  const bytes = randomBytes(15);
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return bytes.toString('hex');
}

function writeAtomic(path: string, content: string, mode: number): void {
  writeFileSync(`${path}.tmp`, content, { mode });
  renameSync(`${path}.tmp`, path);
}

function createCa(): { certPem: string; keyPem: string } {
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 3650 * DAY_MS);
  const subject = [
    { name: 'commonName', value: 'fleetcmd local Azure emulator CA' },
    { name: 'organizationName', value: 'fleetcmd' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCert(caCertPem: string, caKeyPem: string): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const caKey = forge.pki.privateKeyFromPem(caKeyPem);
  const keys = newKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = serialNumber();
  cert.validity.notBefore = new Date(Date.now() - DAY_MS);
  cert.validity.notAfter = new Date(Date.now() + 825 * DAY_MS);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 2, value: 'localhost' },
      ],
    },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function expiresWithinAMonth(certPem: string): boolean {
  const cert = forge.pki.certificateFromPem(certPem);
  return cert.validity.notAfter.getTime() - Date.now() < 30 * DAY_MS;
}

/** Loads the TLS material from `<dataDir>/tls`, creating what is missing. */
export function ensureTlsMaterial(dataDir: string): TlsMaterial {
  const dir = join(dataDir, 'tls');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const caCertPath = join(dir, 'ca.pem');
  const caKeyPath = join(dir, 'ca-key.pem');
  const serverCertPath = join(dir, 'server.pem');
  const serverKeyPath = join(dir, 'server-key.pem');

  let caCertPem: string;
  let caKeyPem: string;
  let caCreated = false;
  if (existsSync(caCertPath) && existsSync(caKeyPath)) {
    caCertPem = readFileSync(caCertPath, 'utf8');
    caKeyPem = readFileSync(caKeyPath, 'utf8');
  } else {
    ({ certPem: caCertPem, keyPem: caKeyPem } = createCa());
    writeAtomic(caKeyPath, caKeyPem, 0o600);
    writeAtomic(caCertPath, caCertPem, 0o644);
    caCreated = true;
  }

  let serverCertPem: string;
  let serverKeyPem: string;
  if (!caCreated && existsSync(serverCertPath) && existsSync(serverKeyPath) && !expiresWithinAMonth(readFileSync(serverCertPath, 'utf8'))) {
    serverCertPem = readFileSync(serverCertPath, 'utf8');
    serverKeyPem = readFileSync(serverKeyPath, 'utf8');
  } else {
    ({ certPem: serverCertPem, keyPem: serverKeyPem } = createServerCert(caCertPem, caKeyPem));
    writeAtomic(serverKeyPath, serverKeyPem, 0o600);
    writeAtomic(serverCertPath, serverCertPem, 0o644);
  }
  return { caCertPath, caCertPem, serverCertPem, serverKeyPem };
}
