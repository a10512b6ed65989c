import { AppError } from '@digest/core';
import type { Context, MiddlewareHandler } from 'hono';
import type { AdminSession, AdminSessions } from './session.ts';

export type AdminEnv = { Variables: { session: AdminSession } };

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Console pages send their origin along with their own requests (the site-wide policy is
 * no-referrer, under which a browser writes `Origin: null`), never to another site.
 */
export function sameOriginReferrers(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.header('Referrer-Policy', 'same-origin');
  };
}

/**
 * Every state-changing request must come from the console itself: its Origin is this server
 * (as the browser reached it, or PUBLIC_BASE_URL behind a proxy), or, for a browser that sends
 * no Origin, `Sec-Fetch-Site: same-origin`. Anything else, including a client sending neither, is
 * refused, unless it presents the bearer token.
 */
export function sameOriginOnly(publicBaseUrl: string, bearer: (c: Context) => boolean): MiddlewareHandler {
  const publicOrigin = new URL(publicBaseUrl).origin;
  return async (c, next) => {
    // A bearer token is never sent by a browser on its own: such a request is no forgery.
    if (!SAFE_METHODS.has(c.req.method) && !bearer(c)) {
      const origin = c.req.header('origin');
      // A browser sends "null" where the referrer policy withholds the origin.
      const allowed =
        origin !== undefined && origin !== 'null'
          ? origin === publicOrigin || origin === new URL(c.req.url).origin
          : c.req.header('sec-fetch-site') === 'same-origin';
      if (!allowed) throw new AppError('forbidden', 'This request did not come from the admin console.');
    }
    await next();
  };
}

/**
 * Pages need a signed-in admin: a browser asking for a page is sent to the sign-in form (and
 * back afterwards); any other request is refused with 401. With `bearer`, a client presenting
 * `Authorization: Bearer <ADMIN_TOKEN>` passes too (no browser sends that on its own, so it
 * opens no CSRF hole): the queue dashboard's API keeps serving scripts.
 */
export function requireSession(
  sessions: AdminSessions,
  signInPath: string,
  bearer?: (c: Context) => boolean,
): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const session = await sessions.read(c);
    if (session) c.set('session', session);
    else if (!bearer?.(c)) {
      const browsing = c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
      if (browsing) return c.redirect(`${signInPath}?next=${encodeURIComponent(pathWithQuery(c))}`, 303);
      c.header('WWW-Authenticate', 'Bearer realm="admin"');
      throw new AppError('unauthorized', 'Sign in to the admin console first.');
    }
    await next();
  };
}

/**
 * A state change must say what it sends: JSON, or no body at all (the queue dashboard's own
 * buttons send bodiless PUTs). A form or text/plain post, which any site can make a browser send,
 * is refused.
 */
export function jsonBodiesOnly(): MiddlewareHandler {
  return async (c, next) => {
    if (!SAFE_METHODS.has(c.req.method)) {
      const type = c.req.header('content-type');
      const length = c.req.header('content-length');
      const bodiless = type === undefined && (length === undefined || length === '0');
      if (!bodiless && !/^application\/json\s*(;|$)/i.test(type ?? '')) {
        throw new AppError('forbidden', 'State changes here take application/json only.');
      }
    }
    await next();
  };
}

/** Refuses every state change unless `writable`. */
export function readOnlyUnless(writable: boolean, what: string): MiddlewareHandler {
  return async (c, next) => {
    if (!writable && !SAFE_METHODS.has(c.req.method)) {
      throw new AppError(
        'forbidden',
        `${what} is read-only (set QUEUE_DASHBOARD_WRITE=true to allow actions).`,
      );
    }
    await next();
  };
}

export function pathWithQuery(c: Context): string {
  const url = new URL(c.req.url);
  return `${url.pathname}${url.search}`;
}
