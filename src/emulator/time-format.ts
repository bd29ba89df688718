/**
 * Azure's two time formats: resources (instance views) carry RFC3339 to the
 * second with "+00:00"; async operations carry 7 fractional digits.
 */

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

function datePart(d: Date): string {
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "2022-05-19T03:06:34+00:00" */
export function resourceTime(ms: number): string {
  return `${datePart(new Date(ms))}+00:00`;
}

/** "2022-05-19T03:06:26.5943963+00:00"; the digits past milliseconds come from the high-resolution clock. */
export function operationTime(ms: number): string {
  const d = new Date(ms);
  const sub = Number(process.hrtime.bigint() % 10000n);
  return `${datePart(d)}.${pad(d.getUTCMilliseconds(), 3)}${pad(sub, 4)}+00:00`;
}
