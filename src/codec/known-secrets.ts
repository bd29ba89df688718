/**
 * Secret values a process has seen (a step's protectedParameters and
 * runAsPassword, the SAS signatures it minted), so that its logger can remove
 * them from any text, including messages the Temporal SDK writes itself
 * ("Activity failed", "Workflow failed" carry the error message verbatim).
 *
 * Bounded: a worker that lives for months sees many runbooks; the oldest
 * values go first, by which time the steps that used them are long done.
 */
export class SecretRegistry {
  private readonly max: number;
  private readonly known = new Set<string>();

  constructor(options: { max?: number } = {}) {
    this.max = options.max ?? 10_000;
  }

  add(values: Iterable<string>): void {
    for (const value of values) {
      if (value.length === 0) continue;
      // Re-adding moves a value to the young end, so the ones in use are not evicted.
      this.known.delete(value);
      this.known.add(value);
      if (this.known.size > this.max) this.known.delete(this.known.values().next().value as string);
    }
  }

  values(): string[] {
    return [...this.known];
  }
}

/** The worker process's registry: activities add what they see, the logger reads it. */
export const knownSecrets = new SecretRegistry();
