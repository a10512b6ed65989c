import { z } from 'zod';

/** Calendar dates travel as ISO `YYYY-MM-DD` strings: no time, no zone. */
export type IsoDate = string;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

export function isIsoDate(value: string): value is IsoDate {
  // Year 0 is ISO 8601's 1 BC, which Postgres does not have.
  if (!ISO_DATE.test(value) || value.startsWith('0000')) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().startsWith(value);
}

/** A real calendar date as YYYY-MM-DD. */
export const isoDateSchema = z.string().refine(isIsoDate, 'must be a real calendar date (YYYY-MM-DD)');

/** The calendar date of `instant` as seen in `timeZone`. */
export function dateInZone(instant: Date, timeZone: string): IsoDate {
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(instant);
}

export function addDays(date: IsoDate, days: number): IsoDate {
  const next = new Date(`${date}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + days);
  return next.toISOString().slice(0, 10);
}

/** The first day of the month `months` after (or before, when negative) the month of `date`. */
export function monthStart(date: IsoDate, months = 0): IsoDate {
  const first = new Date(`${date.slice(0, 7)}-01T00:00:00Z`);
  first.setUTCMonth(first.getUTCMonth() + months);
  return first.toISOString().slice(0, 10);
}

/** Lower-case English weekday name of a calendar date. */
export function weekdayOf(date: IsoDate): string {
  return new Date(`${date}T00:00:00Z`)
    .toLocaleDateString('en-US', { weekday: 'long', timeZone: 'UTC' })
    .toLowerCase();
}

/** Zone names only (`Asia/Tokyo`, `UTC`, `EST5EDT`): Intl also accepts offsets like `+05:00`, which are not places. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_]*(?:\/[A-Za-z0-9_+-]+)*$/;

/** The canonical spelling of an IANA time zone name, or undefined when it is not one. */
export function canonicalTimeZone(name: string): string | undefined {
  if (!ZONE_NAME.test(name) || name.length > 64) return undefined;
  try {
    return new Intl.DateTimeFormat('en', { timeZone: name }).resolvedOptions().timeZone;
  } catch {
    return undefined;
  }
}

/** An IANA time zone name, returned in its canonical spelling (`asia/tokyo` → `Asia/Tokyo`). */
export const timeZoneSchema = z
  .string({ error: 'timezone must be a time zone name such as Europe/Paris' })
  .trim()
  .transform((name, context) => {
    const zone = canonicalTimeZone(name);
    if (zone) return zone;
    context.addIssue({
      code: 'custom',
      message: `"${name.slice(0, 64)}" is not a time zone name such as Europe/Paris`,
    });
    return z.NEVER;
  });
