/**
 * Problems found in a runbook: where (a path like `steps[2].dependsOn[0]`,
 * and the line when the text is at hand) and what, as a plain sentence.
 * Validation collects every problem before answering, so a user fixes a
 * file in one pass instead of one error per run.
 *
 * Pure code: no Node built-ins, so anything may import it.
 */

export interface Problem {
  /** Where in the document, e.g. `steps[2].dependsOn[0]`; '' for the whole file. */
  path: string;
  /** A plain sentence saying what is wrong and, where it helps, what to write instead. */
  message: string;
  /** 1-based line in the source text, when known. */
  line?: number;
}

export type PathSegment = string | number;

/** `['steps', 2, 'dependsOn', 0]` -> `steps[2].dependsOn[0]`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** Inverse of formatPath, for mapping problem paths between documents. */
export function parsePath(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  const re = /([A-Za-z_$][\w$-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g;
  for (let m = re.exec(path); m !== null; m = re.exec(path)) {
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else if (m[3] !== undefined) out.push(JSON.parse(m[3]) as string);
  }
  return out;
}

/** Edit distance (insertions, deletions, substitutions, adjacent swaps). */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[][] = Array.from({ length: rows }, (_, i) => Array.from({ length: cols }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2][j - 2] + 1);
      d[i][j] = best;
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate a typo most likely meant, or undefined when none is close.
 * Close means a small edit distance relative to the word's length (a third
 * of it, at least 1) or the word being the start of the candidate,
 * compared case-insensitively so `dependson` finds `dependsOn`; ties go to
 * the earlier candidate.
 */
export function closest(word: string, candidates: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    if (candidate === word) continue;
    const other = candidate.toLowerCase();
    // A cut-short word ("val" for "value") is as likely a slip as a typo.
    const distance = lower.length >= 3 && other.startsWith(lower) ? 1 : editDistance(lower, other);
    const limit = Math.max(1, Math.floor(Math.max(word.length, candidate.length) / 3));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** `; did you mean "dependsOn"?` or '' when nothing is close. */
export function didYouMean(word: string, candidates: Iterable<string>): string {
  const guess = closest(word, candidates);
  return guess === undefined ? '' : `; did you mean "${guess}"?`;
}

/** A value as a user wrote it, short enough for a one-line message. */
export function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * The CLI's text: one problem per line, `file:line path: message`, in file
 * order (problems without a line last, in the order they were found).
 */
export function formatProblems(problems: readonly Problem[], filename: string): string {
  return sortProblems(problems)
    .map((p) => {
      const where = p.line === undefined ? `${filename}:` : `${filename}:${p.line}`;
      const what = p.path === '' ? p.message : `${p.path}: ${p.message}`;
      return `${where} ${what}`;
    })
    .join('\n');
}

/** File order: by line, then as found; problems without a line keep their order at the end. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort((a, b) => (a.p.line ?? Infinity) - (b.p.line ?? Infinity) || a.i - b.i)
    .map(({ p }) => p);
}

/** Drops exact repeats (same path and message), which several checks can produce. */
export function uniqueProblems(problems: readonly Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
