import {
  type Db,
  findSubscriberById,
  latestIssue,
  type Subscriber,
  subscriberDeliveryHistory,
} from '@digest/db';
import {
  compileMessage,
  type MailTransport,
  personalise,
  renderConfirmationEmail,
  renderDataExportEmail,
  renderWelcomeEmail,
} from '@digest/email';
import { CONFIRM_TTL_SECONDS, confirmUrl, subscriberLinks } from './links.ts';
import type { TokenSigner } from './tokens.ts';

export interface MailSettings {
  publicBaseUrl: string;
  mailFrom: string;
  unsubscribeMailto?: string;
  postalAddress?: string;
}

export interface TransactionalMailContext {
  db: Db;
  tokens: TokenSigner;
  transport: MailTransport;
  settings: MailSettings;
}

/** Mails the double opt-in link; returns false when the address no longer awaits confirmation. */
export async function sendConfirmationMail(
  ctx: TransactionalMailContext,
  subscriberId: number,
): Promise<boolean> {
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
export async function sendWelcomeMail(ctx: TransactionalMailContext, subscriberId: number): Promise<boolean> {
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
export async function sendDataExportMail(
  ctx: TransactionalMailContext,
  subscriberId: number,
): Promise<boolean> {
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
