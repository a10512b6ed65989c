import { classifySendError, droppedBySender, type MailTransport, type SendFailureKind } from '@digest/email';
import { Counter, Histogram, type Registry } from 'prom-client';

/** What became of one send: accepted, rejected for good (5xx), or put back for a retry. */
export type DeliveryOutcome = 'sent' | 'failed' | 'deferred';
/** The class of the SMTP server's reply; `none` when there was no reply (connection failure). */
export type SmtpReplyClass = '2xx' | '4xx' | '5xx' | 'none';

/** Called once per digest delivery attempt, from the sending path. */
export interface DeliveryObserver {
  onDeliveryResult(outcome: DeliveryOutcome, replyClass: SmtpReplyClass, latencyMs: number): void;
}

/** Counters and a latency histogram of the deliveries this process attempted. */
export function deliveryMetrics(registry: Registry): DeliveryObserver {
  const deliveries = new Counter({
    name: 'digest_deliveries_total',
    help: 'Digest delivery attempts of this process, by outcome (sent, failed, deferred)',
    labelNames: ['status'],
    registers: [registry],
  });
  const replies = new Counter({
    name: 'digest_smtp_replies_total',
    help: 'SMTP replies to digest sends, by class (2xx, 4xx, 5xx; none for a connection failure)',
    labelNames: ['class'],
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'digest_send_duration_seconds',
    help: 'Time from handing a digest to the SMTP pool to its reply, by outcome',
    labelNames: ['status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // Zero from the start, so rate() and alerts see every series before its first increment.
  for (const status of ['sent', 'failed', 'deferred']) deliveries.inc({ status }, 0);
  for (const replyClass of ['2xx', '4xx', '5xx', 'none']) replies.inc({ class: replyClass }, 0);
  return {
    onDeliveryResult(outcome, replyClass, latencyMs) {
      deliveries.inc({ status: outcome });
      replies.inc({ class: replyClass });
      latency.observe({ status: outcome }, latencyMs / 1000);
    },
  };
}

/**
 * The transport, reporting each send to the observer. Until the sending path reports its final
 * ledger status itself, a temporary failure counts as `deferred` even on the job's last attempt.
 */
export function observedTransport(transport: MailTransport, observer: DeliveryObserver): MailTransport {
  return {
    ...transport,
    async send(message) {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      try {
        const reply = await transport.send(message);
        observer.onDeliveryResult('sent', replyClass(Number.parseInt(reply.response, 10)), elapsed());
        return reply;
      } catch (error) {
        // Dropped by its sender before the relay had its say: no outcome to count.
        if (droppedBySender(error, message)) throw error;
        const code = (error as { responseCode?: number }).responseCode;
        const outcome = PERMANENT.has(classifySendError(error).kind) ? 'failed' : 'deferred';
        observer.onDeliveryResult(outcome, replyClass(code), elapsed());
        throw error;
      }
    },
    verify: () => transport.verify(),
    connect: () => transport.connect(),
    close: () => transport.close(),
  };
}

/** Refusals that will not change on retry: the delivery ends there. */
const PERMANENT = new Set<SendFailureKind>(['mailbox', 'full', 'rejected']);

export function replyClass(code: number | undefined): SmtpReplyClass {
  if (code === undefined || !Number.isInteger(code)) return 'none';
  if (code >= 500) return '5xx';
  if (code >= 400) return '4xx';
  return '2xx';
}
