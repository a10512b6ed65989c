import {
  type ClaimedDelivery,
  claimDueDeliveries,
  completeIssueIfDone,
  type DeliveryResult,
  findIssueById,
  recordDeliveryResults,
  releaseDeliveries,
  renewDeliveryLeases,
} from '@digest/db';
import {
  type CompiledMessage,
  classifySendError,
  compileMessage,
  droppedBySender,
  type MessageSource,
  type OutgoingMessage,
  type PartEncodings,
  personalise,
  RELAY_PROBE_MS,
  retryTime,
  withinRetryBudget,
} from '@digest/email';
import { subscriberLinks } from '@digest/subscribers';
import { issueEdition, renderIssueShell } from './build.ts';
import { type IssueMessages, issueMail, type SendContext } from './context.ts';
import { CLAIM_SIZE } from './dispatch.ts';
import { editionKey, editionPapers, type ReaderChoices, wantsPublishedIssue } from './edition.ts';
import { DeliveryLease } from './lease.ts';
import { LedgerWriter } from './ledger-writer.ts';
import { remember } from './remember.ts';

/** Sends in flight at once per run; the SMTP pool queues what its connections cannot take yet. */
const IN_FLIGHT = 50;

export type RunOutcome = Record<'sent' | 'retrying' | 'deferred' | 'failed' | 'bounced' | 'skipped', number>;

/**
 * One send run of an issue: leases due deliveries, personalises the issue's pre-built message for
 * each recipient, sends it through the pooled transport and records each outcome, until nothing
 * is due or sending must stop (relay away, lease not renewed, issue paused, `signal` aborted).
 * Whatever it leased but did not send goes back in the queue; a run that dies leaves it to lapse.
 */
export async function sendIssue(
  ctx: SendContext,
  issueId: number,
  options: { signal?: AbortSignal } = {},
): Promise<RunOutcome> {
  const outcome: RunOutcome = { sent: 0, retrying: 0, deferred: 0, failed: 0, bounced: 0, skipped: 0 };
  const messages = await issueMessages(ctx, issueId);
  if (!messages) return outcome;

  const lease = new DeliveryLease(ctx.settings.leaseMs, (owner) =>
    renewDeliveryLeases(ctx.db, owner, ctx.settings.leaseMs),
  );
  const ledger = new LedgerWriter(
    (results) => recordDeliveryResults(ctx.ledgerDb, messages.issue, lease.owner, results),
    (error) =>
      ctx.logger.warn({ err: error, issueId }, 'ledger write failed: sending waits, retrying the write'),
  );
  // Sending stops at once, and what the SMTP pool still holds of this run is dropped unsent, when
  // the lease is lost (its rows may be another run's), the ledger gives up, or the worker stops.
  // Aborted at the end of the run too, so that nothing of it stays tied to the worker's signal.
  const ended = new AbortController();
  const stopped = AbortSignal.any([
    lease.lost,
    ledger.gaveUp,
    ended.signal,
    ...(options.signal ? [options.signal] : []),
  ]);
  const mayGoOn = () => ctx.relay.open && !stopped.aborted;
  const canSend = () => lease.valid && mayGoOn();
  const record = (result: DeliveryResult) => {
    outcome[TALLY[result.outcome]]++;
    return ledger.add(result);
  };

  try {
    while (mayGoOn()) {
      const startedAt = Date.now();
      const claimed = await claimDueDeliveries(ctx.db, issueId, lease.owner, {
        limit: CLAIM_SIZE,
        leaseMs: ctx.settings.leaseMs,
      });
      if (claimed.length === 0) break;
      lease.claimed(startedAt);
      const blocked = await ctx.throttle.blockedDomains(claimed.map((delivery) => domainOf(delivery.email)));
      await runWithConcurrency(claimed, IN_FLIGHT, async (delivery) => {
        // A failing ledger write holds sending back until it goes through.
        await ledger.whenHealthy();
        if (!canSend()) return;
        // The session that carries this message sends no other until its outcome is written.
        const recorded = Promise.withResolvers<void>();
        let written = Promise.resolve();
        try {
          const result = await deliverOne(ctx, messages, delivery, blocked, canSend, {
            recorded: recorded.promise,
            signal: stopped,
          });
          if (result) written = record(result);
        } finally {
          void written.then(recorded.resolve);
        }
      });
      if (!lease.valid) break;
    }
  } finally {
    lease.stop();
    ended.abort(new Error('the send run has ended'));
    try {
      await ledger.flush();
    } finally {
      // Leased but not sent (the run stopped early): due again at once, for whichever run comes
      // next (skipped, if the issue was cancelled meanwhile).
      await releaseDeliveries(ctx.db, lease.owner);
    }
  }
  await completeIssueIfDone(ctx.db, issueId);
  return outcome;
}

const TALLY: Record<DeliveryResult['outcome'], keyof RunOutcome> = {
  sent: 'sent',
  retry: 'retrying',
  deferred: 'deferred',
  failed: 'failed',
  soft_bounce: 'failed',
  hard_bounce: 'bounced',
  no_match: 'skipped',
};

/**
 * Sends one delivery and says what became of it, or undefined when it was not sent because the
 * run must stop (it is released with the rest). Never throws: a throw would leave the run's
 * other sends unrecorded.
 */
async function deliverOne(
  ctx: SendContext,
  messages: IssueMessages,
  delivery: ClaimedDelivery,
  blocked: Map<string, Date>,
  canSend: () => boolean,
  gates: Pick<OutgoingMessage, 'recorded' | 'signal'>,
): Promise<DeliveryResult | undefined> {
  const domain = domainOf(delivery.email);
  const backingOff = blocked.get(domain);
  if (backingOff) {
    return {
      id: delivery.id,
      outcome: 'deferred',
      nextAttemptAt: backingOff,
      error: `${domain} is throttling us`,
    };
  }
  let message: CompiledMessage | undefined;
  try {
    message = await messageFor(ctx, messages, delivery);
    if (message) await ctx.throttle.acquire(domain);
  } catch (error) {
    return retryLater(ctx, delivery, `not sent: ${(error as Error).message}`);
  }
  // Never a wasted email: their keywords matched nothing, and they asked for nothing then.
  if (!message) return { id: delivery.id, outcome: 'no_match', error: 'no paper matched the keywords' };
  // Waiting for a rate slot may outlast the lease or the relay.
  if (!canSend()) return undefined;

  const { raw, messageId } = personalise(message, {
    to: delivery.email,
    ...subscriberLinks(ctx.settings.publicBaseUrl, ctx.tokens, delivery.subscriberId),
  });
  try {
    await ctx.transport.send({ from: message.envelopeFrom, to: delivery.email, raw, ...gates });
    return {
      id: delivery.id,
      outcome: 'sent',
      smtpMessageId: messageId,
      clearsSoftBounces: delivery.softBounces > 0,
    };
  } catch (error) {
    // Dropped or cut off because the run stopped: not sent, and released with the rest. A refusal
    // that arrives after the stop is still the relay's word on this message, and is recorded.
    if (droppedBySender(error, gates)) return undefined;
    const failure = classifySendError(error);
    switch (failure.kind) {
      case 'relay':
        ctx.relay.unreachable(failure.reason);
        return {
          id: delivery.id,
          outcome: 'deferred',
          nextAttemptAt: new Date(Date.now() + RELAY_PROBE_MS),
          error: `relay unreachable: ${failure.reason}`,
        };
      case 'throttled': {
        const until = await ctx.throttle.backOff(domain).catch(() => new Date(Date.now() + RELAY_PROBE_MS));
        blocked.set(domain, until);
        // Within the same budget as any temporary failure: a domain that never lets up fails it.
        if (!withinRetryBudget(until, delivery.queuedAt, ctx.settings.retryHours)) {
          return { id: delivery.id, outcome: 'soft_bounce', error: failure.reason };
        }
        return { id: delivery.id, outcome: 'retry', nextAttemptAt: until, error: failure.reason };
      }
      case 'transient':
        return retryLater(ctx, delivery, failure.reason);
      case 'mailbox':
        return { id: delivery.id, outcome: 'hard_bounce', error: failure.reason };
      case 'full':
        return { id: delivery.id, outcome: 'soft_bounce', error: failure.reason };
      case 'rejected':
        return { id: delivery.id, outcome: 'failed', error: failure.reason };
    }
  }
}

/** A temporary failure: back off and try again, until SEND_RETRY_HOURS after it was queued. */
function retryLater(ctx: SendContext, delivery: ClaimedDelivery, reason: string): DeliveryResult {
  const at = retryTime(delivery.attempts + 1, delivery.queuedAt, ctx.settings.retryHours);
  // Still refused when the budget is spent: it fails, and counts as a soft bounce.
  if (!at) return { id: delivery.id, outcome: 'soft_bounce', error: reason };
  return { id: delivery.id, outcome: 'retry', nextAttemptAt: at, error: reason };
}

function domainOf(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

/** A reader's message, or undefined when there is nothing for them today. */
type Edition = CompiledMessage | undefined;

const COMPILED_ISSUES_KEPT = 4;
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
  const messages: IssueMessages = {
    issue,
    published: compile(ctx, issueMail(issue)),
    editions: new Map(),
    encodings: new Map(),
  };
  return remember(compiledIssues, issueId, messages, COMPILED_ISSUES_KEPT);
}

/**
 * The message for one subscriber: their personal edition, rendered once per distinct choice and
 * shared by everyone who made it; the published issue when they chose nothing. When no paper
 * matches their keywords: the published issue if they asked for the top papers then, else none.
 */
function messageFor(
  ctx: SendContext,
  messages: IssueMessages,
  choices: ReaderChoices,
): Edition | Promise<Edition> {
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

async function renderEdition(
  ctx: SendContext,
  messages: IssueMessages,
  choices: ReaderChoices,
): Promise<Edition> {
  const { issue, published } = messages;
  const papers = editionPapers(issue, choices);
  if (papers.length === 0) return choices.topWhenNoMatch ? published : undefined;
  // A size the period cannot fill beyond the issue: the same mail as published.
  if (choices.keywords.length === 0 && papers.length === issue.papers.length) return published;
  if (!messages.shell) {
    // The number the issue was built with: earlier dates filled in since do not renumber it.
    const key = { cadence: issue.cadence, date: issue.issue_date };
    messages.shell = renderIssueShell(ctx, key, issue.issue_number ?? undefined);
    // A failed render is not kept: the next edition tries again.
    messages.shell.catch(() => {
      messages.shell = undefined;
    });
  }
  return compile(ctx, issueEdition(await messages.shell, papers, choices.keywords), messages.encodings);
}

/** The published issue (its HTML whole), or an edition (its HTML in parts, sharing `encodings`). */
function compile(
  ctx: SendContext,
  mail: Pick<MessageSource, 'subject' | 'html' | 'text' | 'slotNonce'>,
  encodings?: PartEncodings,
): CompiledMessage {
  return compileMessage(
    {
      from: ctx.settings.mailFrom,
      subject: mail.subject,
      html: mail.html,
      text: mail.text,
      slotNonce: mail.slotNonce,
      listUnsubscribe: { mailto: ctx.settings.unsubscribeMailto },
    },
    encodings,
  );
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
