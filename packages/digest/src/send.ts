import {
  type ClaimedDelivery,
  claimDeliveries,
  completeIssueIfDone,
  type DeliveryResult,
  findIssueById,
  recordDeliveryResults,
} from '@digest/db';
import { type CompiledMessage, classifySendError, compileMessage, personalise } from '@digest/email';
import { subscriberLinks } from '@digest/subscribers';
import { renderIssue } from './build.ts';
import { type IssueMail, type IssueMessages, issueMail, type SendContext } from './context.ts';
import { editionKey, editionPapers, type ReaderChoices, wantsPublishedIssue } from './edition.ts';
import { LedgerWriter } from './ledger-writer.ts';

export interface BatchJob {
  issueId: number;
  deliveryIds: number[];
}

export interface BatchOutcome {
  sent: number;
  failed: number;
  /** Transient failures put back in the queue for the job's next attempt. */
  deferred: number;
  /** The reason of the first deferred delivery, for the retry's error message. */
  deferredReason?: string;
}

/** Sends in flight at once per batch; the SMTP pool queues what its connections cannot take yet. */
const IN_FLIGHT = 50;

/**
 * Sends one batch: claims its deliveries, personalises the issue's pre-built message for each
 * recipient, sends through the pooled transport and records each outcome. A 5xx reply fails the
 * delivery; a 4xx reply or a connection error puts it back for a later attempt, unless this is
 * the job's last attempt, when it fails too.
 */
export async function sendBatch(
  ctx: SendContext,
  job: BatchJob,
  options: { lastAttempt: boolean; owner: string },
): Promise<BatchOutcome> {
  const outcome: BatchOutcome = { sent: 0, failed: 0, deferred: 0 };
  const messages = await issueMessages(ctx, job.issueId);
  if (!messages) return outcome;

  const claimed = await claimDeliveries(ctx.db, job.issueId, job.deliveryIds, options.owner);
  const ledger = new LedgerWriter((results) => recordDeliveryResults(ctx.db, options.owner, results));
  const deliver = async (delivery: ClaimedDelivery) => {
    const result = await deliverOne(ctx, messages, delivery, options.lastAttempt);
    if (result.status === 'sent') outcome.sent++;
    else if (result.status === 'failed') outcome.failed++;
    else {
      outcome.deferred++;
      outcome.deferredReason ??= result.error;
    }
    ledger.add(result);
  };
  await runWithConcurrency(claimed, IN_FLIGHT, deliver);
  await ledger.flush();

  if (outcome.deferred === 0) await completeIssueIfDone(ctx.db, job.issueId);
  return outcome;
}

/** Every outcome is recorded, never thrown: a throw would leave the batch's other sends unrecorded. */
async function deliverOne(
  ctx: SendContext,
  messages: IssueMessages,
  delivery: ClaimedDelivery,
  lastAttempt: boolean,
): Promise<DeliveryResult> {
  let message: CompiledMessage;
  try {
    message = await messageFor(ctx, messages, delivery);
  } catch (error) {
    const reason = `personal edition not rendered: ${(error as Error).message}`;
    return { id: delivery.id, status: lastAttempt ? 'failed' : 'queued', error: reason };
  }
  return sendOne(ctx, message, delivery, lastAttempt);
}

async function sendOne(
  ctx: SendContext,
  message: CompiledMessage,
  delivery: ClaimedDelivery,
  lastAttempt: boolean,
): Promise<DeliveryResult> {
  const { raw, messageId } = personalise(message, {
    to: delivery.email,
    ...subscriberLinks(ctx.settings.publicBaseUrl, ctx.tokens, delivery.subscriberId),
  });
  try {
    await ctx.transport.send({ from: message.envelopeFrom, to: delivery.email, raw });
    return { id: delivery.id, status: 'sent', smtpMessageId: messageId };
  } catch (error) {
    const failure = classifySendError(error);
    const status = failure.permanent || lastAttempt ? 'failed' : 'queued';
    return { id: delivery.id, status, error: failure.reason };
  }
}

const COMPILED_ISSUES_KEPT = 8;
/**
 * Personal editions kept per issue (each up to ~100 KB compiled): beyond this, the least
 * recently used choices are rendered again when next needed.
 */
const EDITIONS_KEPT = 100;

/** The issue's messages, compiled once per worker and issue (issues are immutable). */
async function issueMessages(ctx: SendContext, issueId: number): Promise<IssueMessages | undefined> {
  const { compiledIssues } = ctx;
  const cached = compiledIssues.get(issueId);
  if (cached) return cached;
  const issue = await findIssueById(ctx.db, issueId);
  if (!issue || issue.status === 'skipped') return undefined;
  const messages: IssueMessages = { issue, published: compile(ctx, issueMail(issue)), editions: new Map() };
  return remember(compiledIssues, issueId, messages, COMPILED_ISSUES_KEPT);
}

/**
 * The message for one subscriber: their personal edition, rendered once per distinct choice and
 * shared by everyone who made it; the published issue when they chose nothing, or when no paper
 * matches their keywords (every active subscriber gets each issue).
 */
function messageFor(
  ctx: SendContext,
  messages: IssueMessages,
  choices: ReaderChoices,
): CompiledMessage | Promise<CompiledMessage> {
  const { issue, published, editions } = messages;
  if (wantsPublishedIssue(issue, choices)) return published;
  const key = editionKey(choices);
  let edition = editions.get(key);
  if (!edition) {
    edition = renderEdition(ctx, messages, choices);
    // A failed render is not kept: the next delivery that needs it tries again.
    edition.catch(() => editions.delete(key));
  }
  // Stored again on every use, so the choice dropped is the least recently used one.
  return remember(editions, key, edition, EDITIONS_KEPT);
}

/** Stores `value` as the newest entry of `map`, dropping the oldest once it holds `limit`. */
function remember<K, V>(map: Map<K, V>, key: K, value: V, limit: number): V {
  map.delete(key);
  if (map.size >= limit) map.delete(map.keys().next().value as K);
  map.set(key, value);
  return value;
}

async function renderEdition(
  ctx: SendContext,
  { issue, published }: IssueMessages,
  choices: ReaderChoices,
): Promise<CompiledMessage> {
  const papers = editionPapers(issue, choices);
  // No match, or a size the period cannot fill beyond the issue: the same mail as published.
  const sameAsPublished = choices.keywords.length === 0 && papers.length === issue.papers.length;
  if (papers.length === 0 || sameAsPublished) return published;
  const key = { cadence: issue.cadence, date: issue.issue_date };
  return compile(ctx, await renderIssue(ctx, key, papers, choices.keywords));
}

function compile(ctx: SendContext, mail: IssueMail): CompiledMessage {
  return compileMessage({
    from: ctx.settings.mailFrom,
    subject: mail.subject,
    html: mail.html,
    text: mail.text,
    slotNonce: mail.slotNonce,
    listUnsubscribe: { mailto: ctx.settings.unsubscribeMailto },
  });
}

async function runWithConcurrency<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}
