import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { writeFile, rename } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The emulator's state file: written whole, atomically (temp file + rename),
 * debounced. The pause between writes grows with how long a write takes, so a
 * big state under churn never costs more than about a tenth of the CPU.
 */

const MIN_INTERVAL_MS = 250;

export class StateFile<T> {
  readonly path: string;
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastWriteMs = 0;

  constructor(
    dataDir: string,
    private readonly snapshot: () => T,
  ) {
    mkdirSync(dataDir, { recursive: true });
    this.path = join(dataDir, 'state.json');
  }

  load(): unknown {
    try {
      return JSON.parse(readFileSync(this.path, 'utf8')) as unknown;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read emulator state ${this.path}: ${(error as Error).message}`);
    }
  }

  /** Something changed: write soon. */
  schedule(): void {
    this.dirty = true;
    if (this.timer || this.writing) return;
    const delay = Math.max(MIN_INTERVAL_MS, this.lastWriteMs * 10);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.write();
    }, delay);
    this.timer.unref();
  }

  private async write(): Promise<void> {
    if (!this.dirty) return;
    this.dirty = false;
    const started = Date.now();
    const json = JSON.stringify(this.snapshot());
    const tmp = `${this.path}.tmp`;
    this.writing = writeFile(tmp, json, { mode: 0o600 }).then(() => rename(tmp, this.path));
    try {
      await this.writing;
    } finally {
      this.writing = undefined;
      this.lastWriteMs = Date.now() - started;
    }
    if (this.dirty) this.schedule();
  }

  /** Writes now, synchronously (stop, crash-safe points). */
  flushSync(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    const tmp = `${this.path}.sync.tmp`;
    writeFileSync(tmp, JSON.stringify(this.snapshot()), { mode: 0o600 });
    renameSync(tmp, this.path);
  }

  async flush(): Promise<void> {
    if (this.writing) await this.writing.catch(() => undefined);
    this.flushSync();
  }
}
