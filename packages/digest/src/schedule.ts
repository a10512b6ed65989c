import { addDays, dateInZone, weekdayOf } from '@digest/core';
import type { DigestSettings, IssueKey } from './context.ts';

/** The calendar days an issue covers: its own day, or the seven days ending on it. */
export function issuePeriod(key: IssueKey): { from: string; to: string } {
  return { from: key.cadence === 'weekly' ? addDays(key.date, -6) : key.date, to: key.date };
}

/** The issues due when the scheduler fires at `now`: today's daily, and the weekly on its weekday. */
export function issuesDueAt(now: Date, settings: Pick<DigestSettings, 'timeZone' | 'weekday'>): IssueKey[] {
  const date = dateInZone(now, settings.timeZone);
  const due: IssueKey[] = [{ cadence: 'daily', date }];
  if (weekdayOf(date) === settings.weekday) due.push({ cadence: 'weekly', date });
  return due;
}
