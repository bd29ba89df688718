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
  private delegationKey?: { key: UserDelegationKey; expiresOn: number };
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

  /** Write-capable SAS URIs for the two append blobs of one step. */
  async mintStepBlobUris(containerUrl: string | undefined, blobPrefix: string, validForMs: number): Promise<{ outputBlobUri: string; errorBlobUri: string }> {
    const container = this.container(containerUrl);
    await this.ensureContainer(container);
    const expiresOn = new Date(Date.now() + Math.min(MAX_SAS_MS, validForMs));
    const sign = async (blobName: string): Promise<string> => {
      const blob = container.getAppendBlobClient(blobName);
      const options = {
        containerName: container.containerName,
        blobName,
        permissions: BlobSASPermissions.parse('racw'),
        startsOn: new Date(Date.now() - 5 * 60_000),
        expiresOn,
        protocol: blob.url.startsWith('https:') ? SASProtocol.Https : SASProtocol.HttpsAndHttp,
      };
      const sas = this.sharedKey
        ? generateBlobSASQueryParameters(options, this.sharedKey)
        : generateBlobSASQueryParameters(options, await this.userDelegationKey(expiresOn), this.service.accountName);
      return `${blob.url}?${sas.toString()}`;
    };
    return { outputBlobUri: await sign(`${blobPrefix}/stdout`), errorBlobUri: await sign(`${blobPrefix}/stderr`) };
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

  /**
   * Creates a small JSON document only if no blob of that name exists (a
   * conditional create, If-None-Match: *): true when this call created it,
   * false when it was already there. Storage decides, so two writers racing
   * for one name cannot both win.
   */
  async createJsonIfAbsent(containerUrl: string | undefined, blobName: string, value: unknown): Promise<boolean> {
    const container = this.container(containerUrl);
    await this.ensureContainer(container);
    const body = JSON.stringify(value);
    try {
      await container.getBlockBlobClient(blobName).upload(body, Buffer.byteLength(body), {
        blobHTTPHeaders: { blobContentType: 'application/json' },
        conditions: { ifNoneMatch: '*' },
      });
      return true;
    } catch (err) {
      const { statusCode, code } = err as { statusCode?: number; code?: string };
      if (statusCode === 409 || statusCode === 412 || code === 'BlobAlreadyExists') return false;
      throw err;
    }
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

  private async userDelegationKey(until: Date): Promise<UserDelegationKey> {
    if (!this.delegationKey || this.delegationKey.expiresOn < until.getTime()) {
      const expiresOn = new Date(Date.now() + MAX_SAS_MS - 60_000);
      const key = await this.service.getUserDelegationKey(new Date(Date.now() - 5 * 60_000), expiresOn);
      this.delegationKey = { key, expiresOn: expiresOn.getTime() };
    }
    return this.delegationKey.key;
  }
}
