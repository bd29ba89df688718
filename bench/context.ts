import { join } from 'node:path';

/** What every benchmark gets: a log for progress lines (stderr) and a folder for its files. */
export interface BenchContext {
  log(line: string): void;
  dir: string;
  file(name: string): string;
}

export function benchContext(dir: string, log: (line: string) => void): BenchContext {
  return { log, dir, file: (name) => join(dir, name) };
}
