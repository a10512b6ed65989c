import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '@digest/core';
import type { Context, MiddlewareHandler } from 'hono';

/** `Authorization: Bearer <token>`, for the JSON admin API. */
export function requireAdminToken(token: string): MiddlewareHandler {
  const presented = bearerMatcher(token);
  return async (c, next) => {
    if (!presented(c)) {
      c.header('WWW-Authenticate', 'Bearer realm="admin"');
      throw new AppError('unauthorized', 'A valid admin token is required (Authorization: Bearer …).');
    }
    await next();
  };
}

/** Whether the request carries `Authorization: Bearer <token>`. */
export function bearerMatcher(token: string): (c: Context) => boolean {
  const matches = tokenMatcher(token);
  return (c) => {
    const given = /^bearer +(\S+)$/i.exec((c.req.header('authorization') ?? '').trim())?.[1];
    return given !== undefined && matches(given);
  };
}

/** Compares in constant time (digests, so lengths match too). */
export function tokenMatcher(token: string): (given: string) => boolean {
  const expected = digest(token);
  return (given) => timingSafeEqual(digest(given), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
