export { type BuildOutcome, buildIssue, renderIssue, resumeIssue, toIssuePaper } from './build.ts';
export {
  archiveUrl,
  type DigestContext,
  type DigestSettings,
  type IssueKey,
  type IssueMail,
  issueMail,
  type SendContext,
} from './context.ts';
export { requestBuild } from './dispatch.ts';
export { type ImportResult, importPapers } from './import.ts';
export {
  type CountsWithTotal,
  type IssueLedger,
  type IssueOverview,
  issueLedger,
  listIssueOverviews,
  type RankedPapers,
  rankedPapers,
  requireIssue,
} from './ledger.ts';
export type { RejectedRecord } from './paper-import.ts';
export { type IssueReport, issueReport, previewIssue, publicCopy, settledIssueReport } from './report.ts';
export { type ResendRequest, resendIssue } from './resend.ts';
export { issuePeriod, issuesDueAt } from './schedule.ts';
export { type BatchJob, type BatchOutcome, sendBatch } from './send.ts';
