import { describe, expect, it } from 'vitest';
import { issuePeriod, issuesDueAt } from './schedule.ts';

describe('schedule', () => {
  it('makes the daily issue every day and the weekly one on its weekday, in the digest time zone', () => {
    const settings = { timeZone: 'UTC', weekday: 'monday' };
    expect(issuesDueAt(new Date('2026-05-23T08:00:00Z'), settings)).toEqual([
      { cadence: 'daily', date: '2026-05-23' },
    ]);
    expect(issuesDueAt(new Date('2026-05-25T08:00:00Z'), settings)).toEqual([
      { cadence: 'daily', date: '2026-05-25' },
      { cadence: 'weekly', date: '2026-05-25' },
    ]);
    // 23:00 UTC on Sunday is already Monday in Tokyo.
    expect(
      issuesDueAt(new Date('2026-05-24T23:00:00Z'), { timeZone: 'Asia/Tokyo', weekday: 'monday' }),
    ).toHaveLength(2);
  });

  it('covers one day, or the seven days ending on the issue date', () => {
    expect(issuePeriod({ cadence: 'daily', date: '2026-05-25' })).toEqual({
      from: '2026-05-25',
      to: '2026-05-25',
    });
    expect(issuePeriod({ cadence: 'weekly', date: '2026-05-25' })).toEqual({
      from: '2026-05-19',
      to: '2026-05-25',
    });
  });
});
