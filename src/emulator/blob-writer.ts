import { open } from 'node:fs/promises';
import { AnonymousCredential, AppendBlobClient } from '@azure/storage-blob';

/**
 * Streams a growing local file (a script's stdout or stderr) to an append blob
 * through the SAS URI the run command was given: create-or-replace first (the
 * handler's "If AppendBlob already exists, blob gets cleared"), then append the
 * bytes written since the last flush. Unlike the handler, large flushes are cut
 * into blocks of at most 4 MiB, Storage's per-block limit.
 */

export const MAX_APPEND_BLOCK_BYTES = 4 * 1024 * 1024;

/** The blob URL without its SAS query: what may be shown or logged. */
export function withoutSas(uri: string): string {
  const q = uri.indexOf('?');
  return q === -1 ? uri : uri.slice(0, q);
}

export class AppendBlobStream {
  private readonly client: AppendBlobClient;
  private offset = 0;
  private flushing: Promise<void> = Promise.resolve();

  constructor(
    readonly blobUri: string,
    private readonly filePath: string,
  ) {
    this.client = new AppendBlobClient(blobUri, new AnonymousCredential(), { retryOptions: { maxTries: 2, tryTimeoutInMs: 30_000 } });
  }

  /** Creates (or clears) the blob. */
  async create(): Promise<void> {
    await this.client.create();
    this.offset = 0;
  }

  /** Appends whatever the file gained since the last flush; flushes never overlap. */
  flush(): Promise<void> {
    const next = this.flushing.then(() => this.appendNewBytes());
    this.flushing = next.catch(() => undefined);
    return next;
  }

  private async appendNewBytes(): Promise<void> {
    let handle;
    try {
      handle = await open(this.filePath, 'r');
    } catch {
      return;
    }
    try {
      const { size } = await handle.stat();
      while (this.offset < size) {
        const length = Math.min(MAX_APPEND_BLOCK_BYTES, size - this.offset);
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, this.offset);
        if (bytesRead === 0) break;
        await this.client.appendBlock(buffer.subarray(0, bytesRead), bytesRead);
        this.offset += bytesRead;
      }
    } finally {
      await handle.close();
    }
  }
}
