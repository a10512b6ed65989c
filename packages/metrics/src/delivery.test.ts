import { createSmtpTransport, type MailTransport } from '@digest/email';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/processes.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { deliveryMetrics, observedTransport } from './delivery.ts';
import { createRegistry } from './registry.ts';

const raw = 'From: a@example.org\r\nTo: b@example.org\r\nSubject: hi\r\n\r\nhello\r\n';
const message = (to: string) => ({ from: 'a@example.org', to, raw });

/** The value of one series of the registry's text output. */
async function value(
  registry: ReturnType<typeof createRegistry>,
  series: string,
): Promise<number | undefined> {
  const line = (await registry.metrics()).split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('delivery metrics, counted on the sending path', () => {
  let smtp: TestSmtpServer;
  let transports: MailTransport[];

  beforeEach(async () => {
    smtp = await startTestSmtpServer();
    transports = [];
  });
  afterEach(async () => {
    for (const transport of transports) transport.close();
    await smtp.close();
  });

  function observed(url: string) {
    const registry = createRegistry();
    const transport = createSmtpTransport({ url, poolSize: 1 });
    transports.push(transport);
    return { registry, transport: observedTransport(transport, deliveryMetrics(registry)) };
  }

  it('counts sent, failed and deferred sends with their SMTP reply class and latency', async () => {
    smtp.rejectRecipient((address) => address.startsWith('gone'), 550, '5.1.1 no such user');
    smtp.rejectRecipient((address) => address.startsWith('later'), 451, '4.3.0 try later');
    const { registry, transport } = observed(smtp.url);
    expect(await value(registry, 'digest_deliveries_total{status="sent"}')).toBe(0);

    await transport.send(message('ok1@example.org'));
    await transport.send(message('ok2@example.org'));
    await expect(transport.send(message('gone@example.org'))).rejects.toThrow(/550/);
    await expect(transport.send(message('later@example.org'))).rejects.toThrow(/451/);

    expect(await value(registry, 'digest_deliveries_total{status="sent"}')).toBe(2);
    expect(await value(registry, 'digest_deliveries_total{status="failed"}')).toBe(1);
    expect(await value(registry, 'digest_deliveries_total{status="deferred"}')).toBe(1);
    expect(await value(registry, 'digest_smtp_replies_total{class="2xx"}')).toBe(2);
    expect(await value(registry, 'digest_smtp_replies_total{class="5xx"}')).toBe(1);
    expect(await value(registry, 'digest_smtp_replies_total{class="4xx"}')).toBe(1);
    expect(await value(registry, 'digest_send_duration_seconds_count{status="sent"}')).toBe(2);
  });

  it('counts a refused connection as deferred, with no reply', async () => {
    const { registry, transport } = observed(`smtp://127.0.0.1:${await freePort()}`);
    await expect(transport.send(message('ok@example.org'))).rejects.toThrow();
    expect(await value(registry, 'digest_deliveries_total{status="deferred"}')).toBe(1);
    expect(await value(registry, 'digest_smtp_replies_total{class="none"}')).toBe(1);
  });
});
