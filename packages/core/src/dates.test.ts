import { describe, expect, it } from 'vitest';
import { addDays, canonicalTimeZone, dateInZone, isIsoDate, monthStart, weekdayOf } from './dates.ts';

describe('dates', () => {
  it('accepts only real calendar dates', () => {
    expect(isIsoDate('2026-05-22')).toBe(true);
    expect(isIsoDate('2026-02-30')).toBe(false);
    expect(isIsoDate('2026-5-22')).toBe(false);
    expect(isIsoDate('yesterday')).toBe(false);
    expect(isIsoDate('0000-01-01')).toBe(false);
    expect(isIsoDate('0001-01-01')).toBe(true);
  });

  it('reads the calendar date in a time zone', () => {
    const instant = new Date('2026-05-22T23:30:00Z');
    expect(dateInZone(instant, 'UTC')).toBe('2026-05-22');
    expect(dateInZone(instant, 'Europe/Berlin')).toBe('2026-05-23');
    expect(dateInZone(instant, 'America/Los_Angeles')).toBe('2026-05-22');
  });

  it('adds days across month ends and names weekdays', () => {
    expect(addDays('2026-05-31', 1)).toBe('2026-06-01');
    expect(addDays('2026-03-01', -7)).toBe('2026-02-22');
    expect(weekdayOf('2026-05-25')).toBe('monday');
  });

  it('finds the first day of a month, months away across year ends', () => {
    expect(monthStart('2026-12-31')).toBe('2026-12-01');
    expect(monthStart('2026-12-31', 1)).toBe('2027-01-01');
    expect(monthStart('2026-03-31', -1)).toBe('2026-02-01');
    expect(monthStart('2026-02-15', -14)).toBe('2024-12-01');
  });

  it('takes IANA zone names, legacy ones with digits too, in their canonical spelling; no offsets', () => {
    expect(['asia/tokyo', 'EST5EDT', 'Etc/GMT+5', 'UTC'].map(canonicalTimeZone)).toEqual([
      'Asia/Tokyo',
      'America/New_York',
      'Etc/GMT+5',
      'UTC',
    ]);
    expect(['+05:00', 'Mars/Olympus', '5EST'].map(canonicalTimeZone)).toEqual([
      undefined,
      undefined,
      undefined,
    ]);
  });
});
