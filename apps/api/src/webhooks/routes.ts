import { AppError } from '@digest/core';
import type { Db } from '@digest/db';
import { applyBounceEvents, parseBounceWebhook } from '@digest/subscribers';
import type { MiddlewareHandler } from 'hono';
import { Hono } from 'hono';
import { tokenMatcher } from '../admin/auth.ts';
import { readJson } from '../http/input.ts';

/** Confirms an SNS subscription by fetching its SubscribeURL (already checked to be SNS). */
export type ConfirmSubscription = (url: string) => Promise<void>;

const SNS_CONFIRM_TIMEOUT_MS = 5000;

async function fetchSubscribeUrl(url: string): Promise<void> {
  const response = await fetch(url, {
    signal: AbortSignal.timeout(SNS_CONFIRM_TIMEOUT_MS),
    redirect: 'error',
  });
  if (!response.ok)
    throw new AppError('unavailable', `SNS answered ${response.status} to the subscription confirmation.`);
}

/**
 * POST /api/webhooks/bounces: bounce and complaint events, in the documented JSON form or as
 * Amazon SES notifications over SNS (which sends text/plain and can only carry credentials in the
 * endpoint URL, hence Basic auth). Answers 404 unless BOUNCE_WEBHOOK_SECRET is set.
 */
export function webhookRoutes(
  db: Db,
  secret: string | undefined,
  confirmSubscription: ConfirmSubscription = fetchSubscribeUrl,
) {
  const off: MiddlewareHandler = () => {
    throw new AppError('not_found', 'The bounce webhook is off: set BOUNCE_WEBHOOK_SECRET to turn it on.');
  };
  return new Hono().post('/bounces', secret ? requireSecret(secret) : off, async (c) => {
    const parsed = parseBounceWebhook(await readJson(c));
    if (parsed.kind === 'subscribe') {
      await confirmSubscription(parsed.url);
      return c.json({ subscribed: true });
    }
    return c.json(await applyBounceEvents(db, parsed.events));
  });
}

/**
 * The shared secret as `Authorization: Bearer <secret>`, or as the password of HTTP Basic auth
 * (any user name), compared in constant time.
 */
function requireSecret(secret: string): MiddlewareHandler {
  const matches = tokenMatcher(secret);
  return async (c, next) => {
    const [scheme, value] = (c.req.header('authorization') ?? '').trim().split(/ +/, 2);
    const basic = Buffer.from(value ?? '', 'base64').toString('utf8');
    const given = /^bearer$/i.test(scheme ?? '')
      ? value
      : /^basic$/i.test(scheme ?? '')
        ? basic.slice(basic.indexOf(':') + 1)
        : undefined;
    if (!given || !matches(given)) {
      c.header('WWW-Authenticate', 'Basic realm="bounces"');
      throw new AppError(
        'unauthorized',
        'A valid webhook secret is required (Bearer token or Basic password).',
      );
    }
    await next();
  };
}
