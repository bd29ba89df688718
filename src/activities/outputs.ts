import { createHash } from 'node:crypto';
import {
  BlobSASPermissions,
  BlobServiceClient,
  ContainerClient,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type UserDelegationKey,
} from '@azure/storage-blob';
import { DefaultAzureCredential } from '@azure/identity';
import type { AzureConfig } from '../azure/config';
import type { BlobRef } from '../runbook/execution';

export const DEFAULT_OUTPUT_CONTAINER = 'fleetcmd-output';
/** User-delegation keys live at most 7 days; so does a SAS signed with one. */
const MAX_SAS_MS = 7 * 24 * 3600_000;

/**
 * Where full outputs go: append blobs that the VM agent writes through a SAS
 * URI fleetcmd mints (account key for Azurite, user-delegation key for
 * Azure). SAS URIs are handed to Azure only, never returned into history.
 */
export class OutputStore {
  private readonly service: BlobServiceClient;
  private readonly sharedKey?: StorageSharedKeyCredential;
  private readonly delegationKeys = new Map<string, Promise<UserDelegationKey>>();
  private readonly ensured = new Set<string>();

  constructor(config: AzureConfig) {
    if (config.storageConnectionString) {
      this.service = BlobServiceClient.fromConnectionString(config.storageConnectionString);
      this.sharedKey = this.service.credential instanceof StorageSharedKeyCredential ? this.service.credential : undefined;
    } else if (config.storageAccountUrl) {
      this.service = new BlobServiceClient(config.storageAccountUrl, new DefaultAzureCredential());
    } else {
      throw new Error('no storage for outputs: set FLEETCMD_STORAGE_CONNECTION_STRING or FLEETCMD_STORAGE_ACCOUNT_URL');
    }
  }

  container(containerUrl: string | undefined): ContainerClient {
    if (!containerUrl) return this.service.getContainerClient(DEFAULT_OUTPUT_CONTAINER);
    const name = new URL(containerUrl).pathname.split('/').filter(Boolean).pop();
    if (!name) throw new Error(`output.container ${containerUrl} names no container`);
    return this.service.getContainerClient(name);
  }

  /**
   * Write-capable SAS URIs for the two append blobs of one step, valid over
   * `window`. The same window gives the same URIs (with the account key, and
   * with a user-delegation key while it is the same key), so a retried create
   * sends the same PUT body, which Azure does not run again.
   */
  async mintStepBlobUris(containerUrl: string | undefined, blobPrefix: string, window: SasWindow): Promise<{ outputBlobUri: string; errorBlobUri: string }> {
    await this.ensureContainer(this.container(containerUrl));
    return this.signStepBlobUris(containerUrl, blobPrefix, window);
  }

  /** The signing half of mintStepBlobUris (no request but a user-delegation key's, once per key window). */
  async signStepBlobUris(containerUrl: string | undefined, blobPrefix: string, window: SasWindow): Promise<{ outputBlobUri: string; errorBlobUri: string }> {
    const container = this.container(containerUrl);
    const key = this.sharedKey ? undefined : await this.userDelegationKey(delegationKeyWindow(window.startsOn));
    const expiresOn = key ? sasExpiryWithin(window.expiresOn, key.signedExpiresOn) : window.expiresOn;
    const sign = (blobName: string): string => {
      const blob = container.getAppendBlobClient(blobName);
      const options = {
        containerName: container.containerName,
        blobName,
        permissions: BlobSASPermissions.parse('racw'),
        startsOn: window.startsOn,
        expiresOn,
        protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
      };
      const sas = key ? generateBlobSASQueryParameters(options, key, this.service.accountName) : generateBlobSASQueryParameters(options, this.sharedKey as StorageSharedKeyCredential);
      return `${blob.url}?${sas.toString()}`;
    };
    return { outputBlobUri: sign(`${blobPrefix}/stdout`), errorBlobUri: sign(`${blobPrefix}/stderr`) };
  }

  /** Size and sha256 of a step's blob; undefined when the agent never created it. */
  async describe(containerUrl: string | undefined, blobName: string): Promise<BlobRef | undefined> {
    const blob = this.container(containerUrl).getBlobClient(blobName);
    try {
      const download = await blob.download();
      const hash = createHash('sha256');
      let size = 0;
      for await (const chunk of download.readableStreamBody as AsyncIterable<Buffer>) {
        hash.update(chunk);
        size += chunk.length;
      }
      return { url: blob.url, size, sha256: hash.digest('hex') };
    } catch (err) {
      if ((err as { statusCode?: number }).statusCode === 404) return undefined;
      throw err;
    }
  }

  /** A small JSON document beside the outputs (a rollout's resolved target list). */
  async writeJson(containerUrl: string | undefined, blobName: string, value: unknown): Promise<void> {
    const container = this.container(containerUrl);
    await this.ensureContainer(container);
    const body = JSON.stringify(value);
    await container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  }

  async readJson<T>(containerUrl: string | undefined, blobName: string): Promise<T> {
    const buffer = await this.container(containerUrl).getBlobClient(blobName).downloadToBuffer();
    return JSON.parse(buffer.toString('utf8')) as T;
  }

  private async ensureContainer(container: ContainerClient): Promise<void> {
    if (this.ensured.has(container.containerName)) return;
    await container.createIfNotExists();
    this.ensured.add(container.containerName);
  }

  /** One key per window: every SAS of a window is signed with the same key, so it comes out the same. */
  private async userDelegationKey(window: { startsOn: Date; expiresOn: Date }): Promise<UserDelegationKey> {
    const id = window.startsOn.toISOString();
    let key = this.delegationKeys.get(id);
    if (!key) {
      key = this.service.getUserDelegationKey(window.startsOn, window.expiresOn);
      // A failed fetch is not kept: the next step asks again.
      key.catch(() => this.delegationKeys.delete(id));
      this.delegationKeys.set(id, key);
      for (const old of [...this.delegationKeys.keys()].filter((k) => Date.parse(k) + MAX_SAS_MS < Date.now())) this.delegationKeys.delete(old);
    }
    return key;
  }
}

/** The times a step's SAS is valid: derived from the step, never from now, so every attempt signs the same. */
export interface SasWindow {
  startsOn: Date;
  expiresOn: Date;
}

/** Clock skew allowance before the step was issued. */
const SAS_START_SKEW_MS = 5 * 60_000;

/**
 * The SAS window of a step issued at `issuedAtMs` whose agent may take
 * `lifetimeMs` to start the script and finish writing: at most 7 days, the
 * longest a user-delegation key (and so its SAS) lives.
 */
export function sasWindow(issuedAtMs: number, lifetimeMs: number): SasWindow {
  const startsOn = new Date(issuedAtMs - SAS_START_SKEW_MS);
  return { startsOn, expiresOn: new Date(startsOn.getTime() + Math.min(MAX_SAS_MS, lifetimeMs + SAS_START_SKEW_MS)) };
}

/**
 * The user-delegation key a SAS starting at `sasStartsOn` is signed with:
 * keys start on the hour (so the steps of an hour share one key) and live
 * 7 days less a minute, Azure's limit.
 */
export function delegationKeyWindow(sasStartsOn: Date): { startsOn: Date; expiresOn: Date } {
  const startsOn = new Date(Math.floor(sasStartsOn.getTime() / 3600_000) * 3600_000);
  return { startsOn, expiresOn: new Date(startsOn.getTime() + MAX_SAS_MS - 60_000) };
}

/** A SAS signed with a user-delegation key is refused once the key has expired: it never asks for longer. */
export function sasExpiryWithin(wanted: Date, keyExpiresOn: Date): Date {
  return wanted.getTime() > keyExpiresOn.getTime() ? new Date(keyExpiresOn.getTime()) : wanted;
}
