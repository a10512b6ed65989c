import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@digest/core';
import type { MiddlewareHandler } from 'hono';

/**
 * `Authorization: Bearer <token>`, compared in constant time (digests, so lengths match too).
 * With `allowBasic`, a browser may log in with any user name and the token as password.
 */
export function requireAdminToken(token: string, options: { allowBasic?: boolean } = {}): MiddlewareHandler {
  const expected = digest(token);
  return async (c, next) => {
    const given = presentedToken(c.req.header('authorization') ?? '', options.allowBasic === true);
    if (given === undefined || !timingSafeEqual(digest(given), expected)) {
      c.header('WWW-Authenticate', options.allowBasic ? 'Basic realm="admin"' : 'Bearer realm="admin"');
      throw new AppError('unauthorized', 'A valid admin token is required (Authorization: Bearer …).');
    }
    await next();
  };
}

function presentedToken(header: string, allowBasic: boolean): string | undefined {
  const match = /^(\S+) +(\S+)$/.exec(header.trim());
  const scheme = match?.[1]?.toLowerCase();
  const value = match?.[2];
  if (!value) return undefined;
  if (scheme === 'bearer') return value;
  if (allowBasic && scheme === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    return decoded.slice(decoded.indexOf(':') + 1);
  }
  return undefined;
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
