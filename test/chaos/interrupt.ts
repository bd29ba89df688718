/**
 * Ctrl-C in the middle of a chaos run must leave nothing running: worker
 * processes, the emulator's scripts (in process groups of their own), the
 * Temporal servers and Azurite. Whatever is running registers how to stop it;
 * the command line's handler stops it all, newest first, before it exits.
 */
const closers: Array<() => Promise<void>> = [];

/** Registers a way to stop something; returns its unregistration. */
export function onInterrupt(close: () => Promise<void>): () => void {
  closers.push(close);
  return () => {
    const i = closers.indexOf(close);
    if (i >= 0) closers.splice(i, 1);
  };
}

/**
 * Takes over SIGINT, SIGTERM and SIGHUP for this process. The dev stack's
 * own handlers (src/devstack/processes.ts) exit as soon as the services have
 * stopped, which could cut short the stopping of the emulator's scripts and
 * the workers; they are replaced here, and `last` stops the services itself.
 */
export function installInterruptHandlers(last: () => Promise<void>, log: (line: string) => void): void {
  let interrupted = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.removeAllListeners(signal);
    process.on(signal, () => {
      if (interrupted) return;
      interrupted = true;
      log(`${signal}: stopping everything this run started`);
      void (async () => {
        for (const close of [...closers].reverse()) await close().catch(() => undefined);
        await last().catch(() => undefined);
        process.exit(signal === 'SIGINT' ? 130 : 143);
      })();
    });
  }
}
