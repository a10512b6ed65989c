export { type BuildOutcome, buildIssue, toIssuePaper } from './build.ts';
export {
  archiveUrl,
  type DigestContext,
  type DigestSettings,
  type IssueKey,
  type IssueMail,
  issueMail,
  type SendContext,
} from './context.ts';
export { controlIssue, type IssueAction } from './control.ts';
export { DUE_COUNTED, requestBuild } from './dispatch.ts';
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
export { RECONCILE_INTERVAL_MS, type ReconcileReport, reconcile } from './reconcile.ts';
export {
  type IssueReport,
  issueReport,
  previewIssue,
  publicCopy,
  settledIssueReport,
  statusLabel,
} from './report.ts';
export { type ResendRequest, resendIssue } from './resend.ts';
export { issuePeriod, issuesDueAt } from './schedule.ts';
export { type RunOutcome, sendIssue } from './send.ts';
