import { randomUUID } from 'node:crypto';
import {
  claimOutboxMail,
  type Db,
  findSubscriberById,
  latestIssue,
  type OutboxKind,
  type OutboxOutcome,
  recordOutboxOutcome,
  type Subscriber,
  subscriberDeliveryHistory,
  suppressSubscriber,
} from '@digest/db';
import {
  classifySendError,
  compileMessage,
  type MailTransport,
  personalise,
  RELAY_PROBE_MS,
  type RelayGate,
  renderConfirmationEmail,
  renderDataExportEmail,
  renderWelcomeEmail,
  retryTime,
} from '@digest/email';
import { CONFIRM_TTL_SECONDS, confirmUrl, subscriberLinks } from './links.ts';
import type { TokenSigner } from './tokens.ts';

export interface MailSettings {
  publicBaseUrl: string;
  mailFrom: string;
  unsubscribeMailto?: string;
  postalAddress?: string;
  /** How long a temporarily refused mail is retried (SEND_RETRY_HOURS). */
  retryHours: number;
}

export interface TransactionalMailContext {
  db: Db;
  tokens: TokenSigner;
  transport: MailTransport;
  relay: RelayGate;
  settings: MailSettings;
}

/** A mail's lease while one worker sends it; far longer than one SMTP exchange. */
const OUTBOX_LEASE_MS = 120_000;

const SENDERS: Record<OutboxKind, (ctx: TransactionalMailContext, subscriberId: number) => Promise<boolean>> =
  {
    confirmation: sendConfirmationMail,
    welcome: sendWelcomeMail,
    'data-export': sendDataExportMail,
  };

/**
 * Sends one outbox mail and records the outcome in its row: sent, skipped (the subscriber moved
 * on), queued again for a temporary failure (backoff within SEND_RETRY_HOURS; an unreachable
 * relay uses up no attempt), or failed. A dead mailbox suppresses the address. Returns what was
 * recorded, or undefined when the mail was not due or another worker holds it.
 */
export async function sendOutboxMail(
  ctx: TransactionalMailContext,
  outboxId: number,
): Promise<OutboxOutcome['status'] | undefined> {
  const owner = randomUUID();
  const mail = await claimOutboxMail(ctx.db, outboxId, owner, OUTBOX_LEASE_MS);
  if (!mail) return undefined;
  const outcome = await attempt(ctx, mail.kind, mail.subscriber_id, mail.attempts + 1, mail.created_at);
  await recordOutboxOutcome(ctx.db, mail.id, owner, outcome);
  return outcome.status;
}

async function attempt(
  ctx: TransactionalMailContext,
  kind: OutboxKind,
  subscriberId: number,
  attemptNumber: number,
  createdAt: Date,
): Promise<OutboxOutcome> {
  if (!ctx.relay.open) return relayAway(ctx.relay.status.reason ?? 'relay unreachable');
  try {
    return { status: (await SENDERS[kind](ctx, subscriberId)) ? 'sent' : 'skipped' };
  } catch (error) {
    const failure = classifySendError(error);
    if (failure.kind === 'relay') {
      ctx.relay.unreachable(failure.reason);
      return relayAway(failure.reason);
    }
    if (failure.kind === 'transient' || failure.kind === 'throttled') {
      const nextAttemptAt = retryTime(attemptNumber, createdAt, ctx.settings.retryHours);
      if (nextAttemptAt) return { status: 'queued', error: failure.reason, nextAttemptAt, counted: true };
    }
    if (failure.kind === 'mailbox') await suppressSubscriber(ctx.db, subscriberId, 'bounced', failure.reason);
    return { status: 'failed', error: failure.reason };
  }
}

function relayAway(reason: string): OutboxOutcome {
  const nextAttemptAt = new Date(Date.now() + RELAY_PROBE_MS);
  return { status: 'queued', error: `relay unreachable: ${reason}`, nextAttemptAt, counted: false };
}

/** Mails the double opt-in link; returns false when the address no longer awaits confirmation. */
async function sendConfirmationMail(ctx: TransactionalMailContext, subscriberId: number): Promise<boolean> {
  const subscriber = await findSubscriberById(ctx.db, subscriberId);
  if (subscriber?.status !== 'pending') return false;
  const mail = await renderConfirmationEmail({
    confirmUrl: confirmUrl(ctx.settings.publicBaseUrl, ctx.tokens, subscriber.id),
    cadence: subscriber.cadence,
    keywords: subscriber.keywords,
    siteUrl: `${ctx.settings.publicBaseUrl}/`,
    validHours: CONFIRM_TTL_SECONDS / 3600,
    postalAddress: ctx.settings.postalAddress,
  });
  // No List-Unsubscribe: there is no subscription to leave until the link is followed.
  await deliver(ctx, subscriber, compileMessage({ from: ctx.settings.mailFrom, ...mail }));
  return true;
}

/** Greets a newly confirmed subscriber with their preference and unsubscribe links. */
async function sendWelcomeMail(ctx: TransactionalMailContext, subscriberId: number): Promise<boolean> {
  const subscriber = await findSubscriberById(ctx.db, subscriberId);
  if (subscriber?.status !== 'active') return false;
  const mail = await renderWelcomeEmail({
    cadence: subscriber.cadence,
    siteUrl: `${ctx.settings.publicBaseUrl}/`,
    archiveUrl: `${ctx.settings.publicBaseUrl}/archive`,
    deliveryTime: subscriber.timezone ? `(${subscriber.timezone} time)` : undefined,
    latestPapers: (await latestIssue(ctx.db, subscriber.cadence))?.papers.slice(0, 3) ?? [],
    postalAddress: ctx.settings.postalAddress,
  });
  const message = compileMessage({
    from: ctx.settings.mailFrom,
    ...mail,
    listUnsubscribe: { mailto: ctx.settings.unsubscribeMailto },
  });
  await deliver(ctx, subscriber, message);
  return true;
}

/** Mails a subscriber everything stored about them (GDPR access); false when they are gone. */
async function sendDataExportMail(ctx: TransactionalMailContext, subscriberId: number): Promise<boolean> {
  const subscriber = await findSubscriberById(ctx.db, subscriberId);
  if (!subscriber) return false;
  const deliveries = await subscriberDeliveryHistory(ctx.db, subscriber.id);
  const { id: _id, ...stored } = subscriber;
  const mail = await renderDataExportEmail({
    json: JSON.stringify({ subscriber: stored, deliveries }, null, 2),
    siteUrl: `${ctx.settings.publicBaseUrl}/`,
    postalAddress: ctx.settings.postalAddress,
  });
  await deliver(ctx, subscriber, compileMessage({ from: ctx.settings.mailFrom, ...mail }));
  return true;
}

async function deliver(
  ctx: TransactionalMailContext,
  subscriber: Subscriber,
  message: ReturnType<typeof compileMessage>,
): Promise<void> {
  const { raw } = personalise(message, {
    to: subscriber.email,
    ...subscriberLinks(ctx.settings.publicBaseUrl, ctx.tokens, subscriber.id),
  });
  await ctx.transport.send({ from: message.envelopeFrom, to: subscriber.email, raw });
}
