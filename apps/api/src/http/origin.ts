import { AppError } from '@digest/core';
import type { MiddlewareHandler } from 'hono';

/**
 * Refuses what a browser sends on behalf of another site (it always adds Origin or
 * Sec-Fetch-Site to a cross-site POST), unless that site is listed in `allowed`. Clients that
 * send neither (curl, scripts, RFC 8058 unsubscribe) are not browsers and cannot be forged into
 * posting, so they pass.
 */
export function sameSiteOr(publicBaseUrl: string, allowed: readonly string[] = []): MiddlewareHandler {
  const ownOrigin = new URL(publicBaseUrl).origin;
  return async (c, next) => {
    const origin = c.req.header('origin');
    const site = c.req.header('sec-fetch-site');
    // Under `Referrer-Policy: no-referrer` a browser sends `Origin: null` even for our own
    // pages; then only its Sec-Fetch-Site tells, and an opaque origin without one is refused.
    const permitted =
      origin !== undefined && origin !== 'null'
        ? origin === ownOrigin || origin === new URL(c.req.url).origin || allowed.includes(origin)
        : site === 'same-origin' || site === 'none' || (site === undefined && origin === undefined);
    if (!permitted) throw new AppError('forbidden', 'Requests from other sites are not accepted here.');
    await next();
  };
}

/** Only `application/json` bodies: a `text/plain` post is what a cross-site form can send without asking. */
export const requireJson: MiddlewareHandler = async (c, next) => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json') {
    throw new AppError('unsupported_media_type', 'Send the request as Content-Type: application/json.');
  }
  await next();
};
