import { AppError } from '@digest/core';
import type { DigestContext } from '@digest/digest';
import type { Queues } from '@digest/queue';
import { type Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { clientBucket } from '../http/client.ts';
import { readForm } from '../http/input.ts';
import { bearerMatcher, tokenMatcher } from './auth.ts';
import { assertCsrf } from './forms.ts';
import {
  type AdminEnv,
  jsonBodiesOnly,
  readOnlyUnless,
  requireSession,
  sameOriginOnly,
  sameOriginReferrers,
} from './guard.ts';
import { issuePages } from './issue-pages.ts';
import { paperPages } from './paper-pages.ts';
import { queueDashboard } from './queue-dashboard.ts';
import { AdminSessions, CONSOLE_PATH } from './session.ts';
import { subscriberPages } from './subscriber-pages.ts';
import { errorPage } from './views/layout.ts';
import { loginPage } from './views/login.ts';

export interface ConsoleOptions {
  ctx: DigestContext;
  queues: Queues;
  clientAddress: (c: Context) => string;
  /** Throws a rate_limited AppError once a client has tried to sign in too often. */
  limitSignIns: (client: string) => Promise<void>;
  adminToken: string;
  publicBaseUrl: string;
  queueDashboardWrite: boolean;
  /** Answers what the console does not (unexpected errors, JSON callers). */
  fallbackError: (error: Error, c: Context) => Response | Promise<Response>;
}

const SIGN_IN_PATH = `${CONSOLE_PATH}/login`;

/**
 * The admin console at /admin: sign-in, issues, subscribers, papers and the queue dashboard,
 * all behind one signed session cookie. Every state change must come from the console's own
 * origin and carry the session's CSRF token (or, for the dashboard, be JSON).
 */
export function adminConsole(options: ConsoleOptions) {
  const { ctx } = options;
  const sessions = new AdminSessions(options.adminToken, options.publicBaseUrl, ctx.db);
  const tokenMatches = tokenMatcher(options.adminToken);
  const bearer = bearerMatcher(options.adminToken);

  return (
    new Hono<AdminEnv>()
      .onError(async (error, c) => {
        if (!(error instanceof AppError) || c.req.path.startsWith(`${CONSOLE_PATH}/queues/api/`)) {
          return options.fallbackError(error, c);
        }
        if (error.code === 'rate_limited') c.header('Retry-After', String(error.retryAfterSeconds ?? 60));
        // The page shows who is signed in; with Postgres away, no one.
        const session = await sessions.read(c).catch(() => undefined);
        return c.html(errorPage(error.message, session), error.status as ContentfulStatusCode);
      })
      .use('*', sameOriginReferrers(), sameOriginOnly(options.publicBaseUrl, bearer))

      .get('/login', async (c) => {
        if (await sessions.read(c)) return c.redirect(CONSOLE_PATH, 303);
        return c.html(loginPage({ next: safeNext(c.req.query('next')), csrf: sessions.signInToken(c) }));
      })
      .post('/login', async (c) => {
        // Every attempt counts, checked before the token is: a guesser over the limit learns nothing.
        await options.limitSignIns(clientBucket(options.clientAddress(c)));
        const form = await readForm(c);
        if (!sessions.signInTokenValid(c, form._csrf)) {
          throw new AppError('forbidden', 'This sign-in form has expired. Reload the page and try again.');
        }
        if (!tokenMatches(form.token ?? '')) {
          ctx.logger.warn('admin sign-in refused');
          return c.html(
            loginPage({
              next: safeNext(form.next),
              csrf: sessions.signInToken(c),
              error: 'That is not the admin token.',
            }),
            401,
          );
        }
        sessions.start(c);
        return c.redirect(safeNext(form.next), 303);
      })

      // Before the console's own session check: the dashboard also takes the bearer token.
      .use('/queues/*', requireSession(sessions, SIGN_IN_PATH, bearer))
      .use('/queues/*', jsonBodiesOnly(), readOnlyUnless(options.queueDashboardWrite, 'The queue dashboard'))
      .route('/queues', queueDashboard(options.queues, options.queueDashboardWrite))
      .use('*', requireSession(sessions, SIGN_IN_PATH))
      .get('/', (c) => c.redirect(`${CONSOLE_PATH}/issues`, 303))
      .post('/logout', async (c) => {
        assertCsrf(sessions, c, (await readForm(c))._csrf);
        await sessions.end(c);
        return c.redirect(SIGN_IN_PATH, 303);
      })
      .route('/issues', issuePages(ctx, sessions))
      .route('/subscribers', subscriberPages(ctx, sessions))
      .route('/', paperPages(ctx, sessions))
  );
}

/** Only a console path: never another site, nor `//host` which a browser reads as one. */
function safeNext(next: string | undefined): string {
  return next && /^\/admin(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : CONSOLE_PATH;
}
