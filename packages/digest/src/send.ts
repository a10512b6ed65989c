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
import type { SendContext } from './context.ts';
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
  const message = await compiledIssue(ctx, job.issueId);
  if (!message) return outcome;

  const claimed = await claimDeliveries(ctx.db, job.issueId, job.deliveryIds, options.owner);
  const ledger = new LedgerWriter((results) => recordDeliveryResults(ctx.db, options.owner, results));
  const deliver = async (delivery: ClaimedDelivery) => {
    const result = await sendOne(ctx, message, delivery, options.lastAttempt);
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

/** The issue's message, compiled once per worker and issue (issues are immutable). */
async function compiledIssue(ctx: SendContext, issueId: number): Promise<CompiledMessage | undefined> {
  const { compiledIssues } = ctx;
  const cached = compiledIssues.get(issueId);
  if (cached) return cached;
  const issue = await findIssueById(ctx.db, issueId);
  if (!issue || issue.status === 'skipped') return undefined;
  const message = compileMessage({
    from: ctx.settings.mailFrom,
    subject: issue.subject,
    html: issue.html,
    text: issue.text,
    listUnsubscribe: { mailto: ctx.settings.unsubscribeMailto },
  });
  if (compiledIssues.size >= COMPILED_ISSUES_KEPT) {
    const oldest = compiledIssues.keys().next().value;
    if (oldest !== undefined) compiledIssues.delete(oldest);
  }
  compiledIssues.set(issueId, message);
  return message;
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
