import { AppError, oneLine, parseInput } from '@digest/core';
import { type Db, findSubscriberByEmail, recordSoftBounce, suppressSubscriber } from '@digest/db';
import { z } from 'zod';

/** One bounce or complaint, whatever format it came in. */
export interface BounceEvent {
  type: 'bounce' | 'soft_bounce' | 'complaint';
  email: string;
  reason?: string;
}

const documentedEvent = z.strictObject({
  type: z.enum(['bounce', 'complaint']),
  email: z.string().trim().min(3).max(320),
  reason: z.string().max(1000).optional(),
});

/** The documented form: one event or a list of up to 1,000. */
export const bounceWebhookSchema = z.union([documentedEvent, z.array(documentedEvent).min(1).max(1000)]);

/** An SNS envelope (https://docs.aws.amazon.com/sns/latest/dg/sns-message-and-json-formats.html). */
const snsEnvelope = z.object({
  Type: z.enum(['SubscriptionConfirmation', 'Notification', 'UnsubscribeConfirmation']),
  Message: z.string().optional(),
  SubscribeURL: z.string().optional(),
});

const recipients = z.array(z.object({ emailAddress: z.string(), diagnosticCode: z.string().optional() }));

/** An SES bounce or complaint, as notification (`notificationType`) or event publishing (`eventType`). */
const sesMessage = z.object({
  notificationType: z.string().optional(),
  eventType: z.string().optional(),
  bounce: z
    .object({ bounceType: z.string(), bounceSubType: z.string().optional(), bouncedRecipients: recipients })
    .optional(),
  complaint: z
    .object({ complainedRecipients: recipients, complaintFeedbackType: z.string().optional() })
    .optional(),
});

export type ParsedWebhook =
  | { kind: 'events'; events: BounceEvent[] }
  /** SNS asks us to confirm the subscription by fetching this URL. */
  | { kind: 'subscribe'; url: string };

/**
 * Reads a webhook body: the documented JSON form, or Amazon SES notifications delivered over SNS.
 * Anything else is an `invalid_input` error, and nothing is changed.
 */
export function parseBounceWebhook(body: unknown): ParsedWebhook {
  const sns = snsEnvelope.safeParse(body);
  if (!sns.success) {
    const parsed = parseInput(bounceWebhookSchema, body, 'bounce event');
    return { kind: 'events', events: Array.isArray(parsed) ? parsed : [parsed] };
  }
  const envelope = sns.data;
  if (envelope.Type === 'SubscriptionConfirmation') {
    return { kind: 'subscribe', url: snsSubscribeUrl(envelope.SubscribeURL) };
  }
  if (envelope.Type === 'UnsubscribeConfirmation' || !envelope.Message) return { kind: 'events', events: [] };
  let message: unknown;
  try {
    message = JSON.parse(envelope.Message);
  } catch {
    throw new AppError('invalid_input', 'The SNS Message is not JSON.');
  }
  return { kind: 'events', events: sesEvents(parseInput(sesMessage, message, 'SES notification')) };
}

function sesEvents(message: z.infer<typeof sesMessage>): BounceEvent[] {
  const type = message.notificationType ?? message.eventType;
  if (type === 'Bounce' && message.bounce) {
    // Transient bounces (mailbox full, auto-replies) only count towards suppression.
    const kind = message.bounce.bounceType === 'Permanent' ? 'bounce' : 'soft_bounce';
    return message.bounce.bouncedRecipients.map((recipient) => ({
      type: kind,
      email: recipient.emailAddress,
      reason: recipient.diagnosticCode ?? `SES ${message.bounce?.bounceType} bounce`,
    }));
  }
  if (type === 'Complaint' && message.complaint) {
    return message.complaint.complainedRecipients.map((recipient) => ({
      type: 'complaint',
      email: recipient.emailAddress,
      reason: `complaint${message.complaint?.complaintFeedbackType ? `: ${message.complaint.complaintFeedbackType}` : ''}`,
    }));
  }
  // Deliveries, opens and the like carry nothing to act on.
  return [];
}

/** Only an SNS endpoint over HTTPS is fetched: the body must not make us call anything else. */
function snsSubscribeUrl(url: string | undefined): string {
  const parsed = URL.canParse(url ?? '') ? new URL(url as string) : undefined;
  if (
    !parsed ||
    parsed.protocol !== 'https:' ||
    !/^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(parsed.hostname)
  ) {
    throw new AppError('invalid_input', 'SubscribeURL must be an https:// SNS endpoint.');
  }
  return parsed.toString();
}

export interface BounceReport {
  received: number;
  /** Addresses suppressed (or a step closer, for soft bounces) by this call. */
  applied: number;
  /** Unknown or already suppressed addresses: accepted and ignored. */
  ignored: number;
}

/** An event's reason as stored: one line (no NUL, which Postgres refuses), at most this long. */
const REASON_MAX = 1000;

/**
 * Applies bounce and complaint events: a hard bounce makes the subscriber `bounced`, a complaint
 * `complained` (both never mailed again), a soft bounce counts towards the limit. All or none:
 * a batch that fails part way changes nothing, so the sender's retry finds it as it was.
 */
export async function applyBounceEvents(db: Db, events: BounceEvent[]): Promise<BounceReport> {
  // In address order: two batches naming the same readers lock their rows in the same order,
  // so one waits for the other instead of both deadlocking.
  const addressOf = (event: BounceEvent) => event.email.trim().toLowerCase();
  const ordered = events.toSorted((a, b) => addressOf(a).localeCompare(addressOf(b)));
  const applied = await db.transaction().execute(async (trx) => {
    let applied = 0;
    for (const event of ordered) {
      const email = event.email.trim();
      // An address with a control character is nobody's.
      if (/\p{Cc}/u.test(email)) continue;
      const subscriber = await findSubscriberByEmail(trx, email);
      if (!subscriber) continue;
      const reason = oneLine(event.reason).slice(0, REASON_MAX) || event.type;
      const changed =
        event.type === 'soft_bounce'
          ? await recordSoftBounce(trx, subscriber.id, reason)
          : await suppressSubscriber(
              trx,
              subscriber.id,
              event.type === 'bounce' ? 'bounced' : 'complained',
              reason,
            );
      if (changed) applied++;
    }
    return applied;
  });
  return { received: events.length, applied, ignored: events.length - applied };
}
