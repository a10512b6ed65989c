export {
  addDays,
  canonicalTimeZone,
  dateInZone,
  type IsoDate,
  isIsoDate,
  isoDateSchema,
  monthStart,
  timeZoneSchema,
  weekdayOf,
} from './dates.ts';
export { AppError, ERROR_STATUS, type ErrorCode, type ErrorIssue } from './errors.ts';
export { groupCommit } from './group-commit.ts';
export { createLogger, type Logger } from './logger.ts';
export { type Cadence, type IssuePaper, MAX_PAPERS_PER_EMAIL } from './papers.ts';
export { oneLine } from './text.ts';
export { parseInput } from './validation.ts';
