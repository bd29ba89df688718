import type { CalendarSpec, DayOfWeek, Month, ScheduleSpec } from '@temporalio/client';
import type { PollPolicy } from '../runbook/execution';
import type { Runbook } from '../runbook/runbook';

/**
 * A maintenance schedule's options, read and checked before anything is sent
 * to Temporal: when it fires (cron expressions, calendars or a fixed
 * interval), in which time zone, each firing's window, overlap and catch-up.
 * Pure parsing and validation; schedules.ts runs the schedules on Temporal.
 * A bad option throws ScheduleOptionsError naming the option.
 */

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

/**
 * What happens when a firing comes while the last rollout still runs.
 * Temporal's terminate-other is left out on purpose: a terminated rollout
 * cannot clean up, and its targets' scripts keep running unsupervised.
 */
export type OverlapPolicy = 'skip' | 'bufferOne' | 'bufferAll' | 'allowAll' | 'cancelOther';
export const OVERLAP_POLICIES: readonly OverlapPolicy[] = ['skip', 'bufferOne', 'bufferAll', 'allowAll', 'cancelOther'];

export interface CreateScheduleOptions {
  scheduleId: string;
  runbook: Runbook;
  taskQueue: string;
  /** Cron expressions (5 to 7 fields, or @daily, @every 6h...); minute-grained at best. */
  cron?: string[];
  /** Calendars, as Temporal's CalendarSpec or in the text form parseCalendar reads (`"dayOfWeek=SAT hour=2"`). */
  calendar?: (string | CalendarSpec)[];
  /** A fixed interval (`6h`, `30m`, `5s`), counted from the Unix epoch: `1d` fires at 00:00 UTC. */
  every?: string;
  /** IANA time zone of cron and calendar times (default UTC). */
  timezone?: string;
  /** Each firing's maintenance window, from the rollout's start: no target starts after it. */
  windowSeconds?: number;
  /** Default skip: a firing while a rollout of this schedule still runs is dropped. */
  overlap?: OverlapPolicy;
  /**
   * How late a firing may still start after Temporal was unavailable at its
   * time (default 10 minutes; Temporal's own default is a year, which would
   * run a night's maintenance in the middle of the next day).
   */
  catchupWindowSeconds?: number;
  paused?: boolean;
  note?: string;
  defaultSubscriptionId?: string;
  poll?: PollPolicy;
}

/** A bad option, found before anything was sent to Temporal. */
export class ScheduleOptionsError extends Error {
  constructor(
    readonly option: keyof CreateScheduleOptions,
    message: string,
  ) {
    super(message);
    this.name = 'ScheduleOptionsError';
  }
}

// ---------------------------------------------------------------------------
// Validation: options to Temporal's ScheduleSpec
// ---------------------------------------------------------------------------

/** Checks every option and builds Temporal's spec; throws ScheduleOptionsError naming the first bad option. */
export function scheduleSpecOf(options: CreateScheduleOptions): ScheduleSpec {
  const fail = (option: keyof CreateScheduleOptions, message: string): never => {
    throw new ScheduleOptionsError(option, message);
  };
  if (!SCHEDULE_ID.test(options.scheduleId)) {
    fail('scheduleId', `${JSON.stringify(options.scheduleId)} is not a schedule id: use 1 to 200 letters, digits, '.', '_' or '-', starting with a letter or digit`);
  }
  if (!options.taskQueue) fail('taskQueue', 'is empty');
  const given = timesGiven(options);
  if (given.length === 0) fail('cron', 'no times given: set one of cron, calendar or every');
  if (given.length > 1) fail(given[1], `${given.join(' and ')} cannot be combined: give one of them`);
  if (options.timezone !== undefined && !isTimeZone(options.timezone)) {
    fail('timezone', `${JSON.stringify(options.timezone)} is not an IANA time zone like Europe/Paris or America/New_York`);
  }
  if (options.windowSeconds !== undefined && !(Number.isInteger(options.windowSeconds) && options.windowSeconds > 0)) {
    fail('windowSeconds', `must be a whole number of seconds above 0, not ${options.windowSeconds}`);
  }
  if (options.overlap !== undefined && !OVERLAP_POLICIES.includes(options.overlap)) {
    fail('overlap', `${JSON.stringify(options.overlap)} is not one of ${OVERLAP_POLICIES.join(', ')}`);
  }
  // Temporal refuses catch-up windows under 10 seconds.
  if (options.catchupWindowSeconds !== undefined && !(Number.isInteger(options.catchupWindowSeconds) && options.catchupWindowSeconds >= 10)) {
    fail('catchupWindowSeconds', `must be a whole number of seconds, at least 10, not ${options.catchupWindowSeconds}`);
  }

  const spec: ScheduleSpec = options.timezone ? { timezone: options.timezone } : {};
  if (options.cron?.length) {
    for (const expr of options.cron) {
      const problem = cronProblem(expr);
      if (problem) fail('cron', problem);
      if (options.timezone && /^\s*(CRON_)?TZ=/.test(expr)) fail('cron', `${JSON.stringify(expr)} names its own time zone; drop it or the timezone option`);
    }
    spec.cronExpressions = options.cron.map((c) => c.trim());
  }
  if (options.calendar?.length) {
    spec.calendars = options.calendar.map((c) => {
      try {
        return parseCalendar(c);
      } catch (err) {
        return fail('calendar', (err as Error).message);
      }
    });
  }
  if (options.every !== undefined) {
    let seconds = 0;
    try {
      seconds = parseDuration(options.every);
    } catch (err) {
      fail('every', (err as Error).message);
    }
    spec.intervals = [{ every: seconds * 1000 }];
  }
  return spec;
}

function timesGiven(options: CreateScheduleOptions): ('cron' | 'calendar' | 'every')[] {
  return (['cron', 'calendar', 'every'] as const).filter((k) => (k === 'every' ? options.every !== undefined : (options[k]?.length ?? 0) > 0));
}

export function timesOption(options: CreateScheduleOptions): 'cron' | 'calendar' | 'every' {
  return timesGiven(options)[0] ?? 'cron';
}

const SCHEDULE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz.length > 0;
  } catch {
    return false;
  }
}

/**
 * What is wrong with a cron expression, if anything, read the way Temporal
 * reads it (5 to 7 fields, ranges, steps, names, Sunday as 0 or 7, an
 * optional TZ= prefix and # comment), so a typo is caught before anything is
 * sent. The server still has the last word.
 */
export function cronProblem(expression: string): string | undefined {
  const shown = JSON.stringify(expression);
  let expr = expression.trim();
  const tz = /^(?:CRON_)?TZ=(\S*)(?:\s+|$)/.exec(expr);
  if (tz) {
    if (!isTimeZone(tz[1])) return `${shown}: ${JSON.stringify(tz[1])} is not an IANA time zone`;
    expr = expr.slice(tz[0].length);
  }
  expr = expr.split('#')[0].trim();
  if (!expr) return `${shown} has no fields`;
  if (expr.startsWith('@')) {
    if (/^@(yearly|annually|monthly|weekly|daily|midnight|hourly)$/.test(expr)) return undefined;
    const every = /^@every\s+([^/\s]+)(?:\/(\S+))?$/.exec(expr);
    if (!every) return `${shown} is not a cron shorthand (@yearly, @monthly, @weekly, @daily, @hourly, @every <interval>)`;
    try {
      parseDuration(every[1]);
      if (every[2] !== undefined) parseDuration(every[2]);
      return undefined;
    } catch (err) {
      return `${shown}: ${(err as Error).message}`;
    }
  }
  const fields = expr.split(/\s+/);
  const layout = CRON_LAYOUTS[fields.length];
  if (!layout) return `${shown} has ${fields.length} field(s); cron has 5 (minute hour dayOfMonth month dayOfWeek), 6 (+ year) or 7 (second first, + year)`;
  try {
    // Cron, unlike a calendar, also writes Sunday as 7.
    layout.forEach((field, i) => parseList(field, fields[i], field === 'dayOfWeek' ? { ...FIELDS.dayOfWeek, max: 7 } : FIELDS[field]));
    return undefined;
  } catch (err) {
    return `${shown}: ${(err as Error).message}`;
  }
}

// ---------------------------------------------------------------------------
// Durations: 2h, 90m, 1h30m, 45s, 1d
// ---------------------------------------------------------------------------

const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/** Seconds in a duration written like `2h`, `90m`, `1h30m`, `45s` or `1d12h` (units d, h, m, s, largest first). */
export function parseDuration(text: string): number {
  const match = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/.exec(text.trim());
  if (!match || !text.trim()) throw new Error(`${JSON.stringify(text)} is not a duration; write it like 2h, 90m or 1h30m`);
  const sizes = Object.values(UNIT_SECONDS);
  const seconds = match.slice(1).reduce((sum, n, i) => sum + Number(n ?? 0) * sizes[i], 0);
  if (seconds <= 0) throw new Error(`${JSON.stringify(text)} is zero; give a duration above 0`);
  return seconds;
}

/** The shortest form parseDuration reads back: 5400 -> `1h30m`. */
export function formatDuration(seconds: number): string {
  let left = Math.round(seconds);
  let out = '';
  for (const [unit, size] of Object.entries(UNIT_SECONDS)) {
    const n = Math.floor(left / size);
    if (n > 0) out += `${n}${unit}`;
    left -= n * size;
  }
  return out || '0s';
}

// ---------------------------------------------------------------------------
// Calendars: "dayOfWeek=SAT hour=2 minute=0", or JSON in Temporal's CalendarSpec shape
// ---------------------------------------------------------------------------

type CalendarField = 'second' | 'minute' | 'hour' | 'dayOfMonth' | 'month' | 'year' | 'dayOfWeek';

interface FieldRule {
  min: number;
  max: number;
  /** Names for values from `min` on (months from 1, days from 0). */
  names?: readonly string[];
  /** Shortest prefix of a name that is accepted (Temporal: 3 for months, 2 for days). */
  prefix?: number;
}

const MONTH_NAMES: readonly Month[] = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'];
const DAY_NAMES: readonly DayOfWeek[] = ['SUNDAY', 'MONDAY', 'TUESDAY', 'WEDNESDAY', 'THURSDAY', 'FRIDAY', 'SATURDAY'];

const FIELDS: Record<CalendarField, FieldRule> = {
  second: { min: 0, max: 59 },
  minute: { min: 0, max: 59 },
  hour: { min: 0, max: 23 },
  dayOfMonth: { min: 1, max: 31 },
  month: { min: 1, max: 12, names: MONTH_NAMES, prefix: 3 },
  // Temporal's calendars know these years only.
  year: { min: 2000, max: 2100 },
  dayOfWeek: { min: 0, max: 6, names: DAY_NAMES, prefix: 2 },
};
const FIELD_NAMES = Object.keys(FIELDS) as CalendarField[];

/** Which calendar field each cron field is, by the expression's field count. */
const CRON_LAYOUTS: Record<number, CalendarField[]> = {
  5: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'],
  6: ['minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
  7: ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek', 'year'],
};

interface NumRange {
  start: number;
  end: number;
  step: number;
}

export const CALENDAR_SYNTAX = `A calendar is space-separated field=value pairs, e.g. "dayOfWeek=SAT hour=2 minute=30".
Fields: ${FIELD_NAMES.join(', ')}. second, minute and hour default to 0; the others to any (*).
Values: 5, 1-5, */15, 0-30/10, lists like 1,15 or MON-FRI,SUN; months JAN..DEC, days SUN..SAT (0-6).
Or JSON in Temporal's CalendarSpec shape: '{"dayOfWeek":"SATURDAY","hour":2}'.`;

/**
 * Reads one calendar in the text form above, JSON, or a CalendarSpec object,
 * and returns a fully checked CalendarSpec (every range with start, end and
 * step; names where Temporal wants names).
 */
export function parseCalendar(input: string | CalendarSpec): CalendarSpec {
  if (typeof input === 'string') {
    const text = input.trim();
    if (!text) throw new Error(`is empty. ${CALENDAR_SYNTAX}`);
    if (text.startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new Error(`is not valid JSON: ${(err as Error).message}`);
      }
      return parseCalendarObject(json);
    }
    return parseCalendarText(text);
  }
  return parseCalendarObject(input);
}

function parseCalendarText(text: string): CalendarSpec {
  const parsed: Partial<Record<CalendarField, NumRange[] | '*'>> = {};
  for (const token of text.split(/\s+/)) {
    const eq = token.indexOf('=');
    if (eq <= 0 || eq === token.length - 1) throw new Error(`${JSON.stringify(token)} is not field=value. ${CALENDAR_SYNTAX}`);
    const field = fieldNamed(token.slice(0, eq));
    if (parsed[field] !== undefined) throw new Error(`${field} is given twice`);
    parsed[field] = parseList(field, token.slice(eq + 1));
  }
  return toCalendarSpec(parsed);
}

function parseCalendarObject(value: unknown): CalendarSpec {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error('must be an object like {"dayOfWeek":"SATURDAY","hour":2}');
  const parsed: Partial<Record<CalendarField, NumRange[] | '*'>> = {};
  let comment: string | undefined;
  for (const [key, v] of Object.entries(value)) {
    if (key === 'comment') {
      if (typeof v !== 'string') throw new Error('comment must be a string');
      comment = v;
      continue;
    }
    const field = fieldNamed(key);
    if (parsed[field] !== undefined) throw new Error(`${field} is given twice`);
    parsed[field] = parseJsonValue(field, v);
  }
  return { ...toCalendarSpec(parsed), ...(comment !== undefined ? { comment } : {}) };
}

function fieldNamed(name: string): CalendarField {
  const field = FIELD_NAMES.find((f) => f.toLowerCase() === name.toLowerCase());
  if (!field) throw new Error(`unknown field ${JSON.stringify(name)}; use ${FIELD_NAMES.join(', ')}`);
  return field;
}

function parseJsonValue(field: CalendarField, value: unknown): NumRange[] | '*' {
  if (value === '*') return '*';
  const items = Array.isArray(value) ? value : [value];
  if (items.length === 0) throw new Error(`${field}: an empty list matches nothing`);
  return items.flatMap((item): NumRange[] => {
    if (typeof item === 'number' || typeof item === 'string') {
      const parsed = parseList(field, String(item));
      if (parsed === '*') throw new Error(`${field}: "*" cannot be part of a list`);
      return parsed;
    }
    if (item !== null && typeof item === 'object' && 'start' in item) {
      const r = item as { start: unknown; end?: unknown; step?: unknown };
      const start = valueOf(field, r.start);
      const end = r.end === undefined ? start : valueOf(field, r.end);
      const step = r.step === undefined ? 1 : r.step;
      if (typeof step !== 'number' || !Number.isInteger(step) || step < 1) throw new Error(`${field}: step must be a whole number from 1, not ${JSON.stringify(step)}`);
      return [checkedRange(field, start, end, step)];
    }
    throw new Error(`${field}: ${JSON.stringify(item)} is not a value, a range {start, end, step} or "*"`);
  });
}

/** `1,15`, `MON-FRI`, `*`, `*\/15`, `0-30/10`, `5/20` (5 to the end, every 20). */
function parseList(field: CalendarField, text: string, rule: FieldRule = FIELDS[field]): NumRange[] | '*' {
  if (text === '*') return '*';
  return text.split(',').map((item) => {
    const m = /^([^/-]+)(?:-([^/-]+))?(?:\/(\d+))?$/.exec(item);
    if (!m) throw new Error(`${field}: ${JSON.stringify(item)} is not a value, a range like 1-5, or a step like */15`);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    if (!(step >= 1)) throw new Error(`${field}: the step in ${JSON.stringify(item)} must be 1 or more`);
    if (m[1] === '*') {
      if (m[2] !== undefined) throw new Error(`${field}: ${JSON.stringify(item)} is not a range`);
      return checkedRange(field, rule.min, rule.max, step);
    }
    const start = valueOf(field, m[1], rule);
    const end = m[2] !== undefined ? valueOf(field, m[2], rule) : m[3] !== undefined ? rule.max : start;
    return checkedRange(field, start, end, step);
  });
}

function valueOf(field: CalendarField, raw: unknown, rule: FieldRule = FIELDS[field]): number {
  if (typeof raw === 'number' || (typeof raw === 'string' && /^\d+$/.test(raw))) {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < rule.min || n > rule.max) throw new Error(`${field}: ${raw} is out of range ${rule.min}-${rule.max}`);
    return n;
  }
  if (typeof raw === 'string' && rule.names) {
    const upper = raw.toUpperCase();
    const index = upper.length >= (rule.prefix ?? 3) ? rule.names.findIndex((name) => name.startsWith(upper)) : -1;
    if (index >= 0) return rule.min + index;
    throw new Error(`${field}: ${JSON.stringify(raw)} is not one of ${rule.names.map((n) => n.slice(0, 3)).join(', ')} (or ${rule.min}-${rule.max})`);
  }
  throw new Error(`${field}: ${JSON.stringify(raw)} is not a number from ${rule.min} to ${rule.max}`);
}

function checkedRange(field: CalendarField, start: number, end: number, step: number): NumRange {
  if (end < start) throw new Error(`${field}: range ${start}-${end} runs backwards`);
  return { start, end, step };
}

function toCalendarSpec(parsed: Partial<Record<CalendarField, NumRange[] | '*'>>): CalendarSpec {
  const spec: CalendarSpec = {};
  const named = <T extends string>(names: readonly T[], offset: number, v: NumRange[] | '*') =>
    v === '*' ? ('*' as const) : v.map((r) => ({ start: names[r.start - offset], end: names[r.end - offset], step: r.step }));
  for (const field of FIELD_NAMES) {
    const v = parsed[field];
    if (v === undefined) continue;
    if (field === 'month') spec.month = named(MONTH_NAMES, 1, v);
    else if (field === 'dayOfWeek') spec.dayOfWeek = named(DAY_NAMES, 0, v);
    else spec[field] = v;
  }
  return spec;
}

/** A CalendarSpec in the text form (`dayOfWeek=SAT hour=2 minute=0`). */
export function formatCalendar(spec: CalendarSpec): string {
  const show = (v: unknown): string => {
    if (Array.isArray(v)) return v.map(show).join(',');
    if (v !== null && typeof v === 'object' && 'start' in v) {
      const r = v as { start: unknown; end?: unknown; step?: number };
      const end = r.end !== undefined && r.end !== r.start ? `-${show(r.end)}` : '';
      return `${show(r.start)}${end}${r.step && r.step > 1 ? `/${r.step}` : ''}`;
    }
    return typeof v === 'string' && v !== '*' ? v.slice(0, 3) : String(v);
  };
  return FIELD_NAMES.filter((f) => spec[f] !== undefined)
    .map((f) => `${f}=${show(spec[f])}`)
    .join(' ');
}
