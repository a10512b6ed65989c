import { AppError } from '@digest/core';
import {
  type Consent,
  confirm,
  parseSignup,
  type Signup,
  type SubscriptionContext,
  savePreferences,
  subscribe,
  subscriberForToken,
  unsubscribe,
  verifiedLink,
} from '@digest/subscribers';
import { type Context, Hono } from 'hono';
import { csrf } from 'hono/csrf';
import type { MiddlewareHandler } from 'hono/types';
import { clientAddress, readForm, readJson } from '../http/input.ts';
import {
  checkInboxPage,
  confirmedPage,
  confirmPage,
  preferencesPage,
  signupPage,
  unsubscribedPage,
  unsubscribePage,
} from './pages.ts';

export interface SubscriptionRoutesOptions {
  ctx: SubscriptionContext;
  publicBaseUrl: string;
  /** Throws a rate_limited AppError when the client has signed up too often. */
  limitSignups: (client: string) => Promise<void>;
}

const ACCEPTED = {
  status: 'pending',
  message: 'If the address can receive mail, a confirmation link is on its way.',
} as const;

export function subscriptionRoutes({ ctx, publicBaseUrl, limitSignups }: SubscriptionRoutesOptions) {
  const sameSiteForms = browserFormsFrom(publicBaseUrl);
  const consent = (c: Context, source: Consent['source']): Consent => ({
    source,
    ip: clientAddress(c),
    userAgent: c.req.header('user-agent'),
  });

  return (
    new Hono()
      .get('/', (c) => c.html(signupPage()))

      .post('/subscribe', sameSiteForms, async (c) => {
        const form = await readForm(c);
        let signup: Signup;
        try {
          signup = parseSignup(formSignup(form));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return c.html(signupPage({ ...form, error: error.message }), 400);
        }
        // Counted once the request is a valid signup: a typo does not use up the budget.
        await limitSignups(clientAddress(c));
        await subscribe(ctx, signup, consent(c, 'form'));
        return c.html(checkInboxPage());
      })

      .post('/api/subscribe', async (c) => {
        const signup = parseSignup(await readJson(c));
        await limitSignups(clientAddress(c));
        await subscribe(ctx, signup, consent(c, 'api'));
        return c.json(ACCEPTED, 202);
      })

      // Mail scanners follow links: a GET only shows a button, the POST confirms.
      .get('/confirm/:token', async (c) => {
        await subscriberForToken(ctx, 'confirm', c.req.param('token'));
        return c.html(confirmPage(c.req.param('token')));
      })
      .post('/confirm/:token', sameSiteForms, async (c) =>
        c.html(confirmedPage(await confirm(ctx, c.req.param('token')))),
      )

      // RFC 8058 one-click: mail providers POST without Origin or cookies, so no CSRF check here;
      // the signed token is the authority.
      .get('/unsubscribe/:token', (c) => {
        // Only the link is checked: an erased subscriber's link still leads to "unsubscribed".
        verifiedLink(ctx, 'unsubscribe', c.req.param('token'));
        return c.html(unsubscribePage(c.req.param('token')));
      })
      .post('/unsubscribe/:token', async (c) => {
        await unsubscribe(ctx, c.req.param('token'));
        return c.html(unsubscribedPage());
      })

      .get('/preferences/:token', async (c) => {
        const token = c.req.param('token');
        return c.html(preferencesPage(token, await subscriberForToken(ctx, 'preferences', token)));
      })
      .post('/preferences/:token', sameSiteForms, async (c) => {
        const token = c.req.param('token');
        const saved = await savePreferences(ctx, token, await readForm(c));
        return c.html(preferencesPage(token, saved, 'Your preferences are saved.'));
      })
  );
}

/** Form fields are strings; an empty optional field means "not given". */
function formSignup(form: Record<string, string>) {
  return {
    email: form.email ?? '',
    cadence: form.cadence || undefined,
    keywords: form.keywords || undefined,
    size: form.size || undefined,
  };
}

/**
 * Hono's CSRF check for requests a browser makes (they carry Origin or Sec-Fetch-Site); a
 * cross-site form post is refused. Clients that send neither (curl, scripts) are not browsers
 * and cannot be forged into posting, so they pass.
 */
function browserFormsFrom(publicBaseUrl: string): MiddlewareHandler {
  const check = csrf({
    origin: (origin, c) => origin === new URL(publicBaseUrl).origin || origin === new URL(c.req.url).origin,
  });
  return async (c, next) => {
    if (c.req.header('origin') === undefined && c.req.header('sec-fetch-site') === undefined) return next();
    return check(c, next);
  };
}
