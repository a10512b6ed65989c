import { AppError } from '@digest/core';
import {
  type Consent,
  confirm,
  mailboxKey,
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
import { clientBucket } from '../http/client.ts';
import { readForm, readJson } from '../http/input.ts';
import { requireJson, sameSiteOr } from '../http/origin.ts';
import type { SlidingWindow } from '../http/rate-limit.ts';
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
  /** Sites that may embed the signup (ALLOWED_ORIGINS). */
  allowedOrigins: readonly string[];
  /** The client's address (see TRUST_PROXY). */
  clientAddress: (c: Context) => string;
  /** Throws a rate_limited AppError when the client (its bucket) has signed up too often. */
  limitSignups: (bucket: string) => Promise<void>;
  /** Confirmation mails per inbox (see mailboxKey); 0 while the inbox may get one more. */
  mailboxWindow: SlidingWindow;
}

const ACCEPTED = {
  status: 'pending',
  message: 'If the address can receive mail, a confirmation link is on its way.',
} as const;

export function subscriptionRoutes(options: SubscriptionRoutesOptions) {
  const { ctx, publicBaseUrl, clientAddress, limitSignups, mailboxWindow } = options;
  const sameSiteForms = sameSiteOr(publicBaseUrl);
  const sameSiteOrEmbedding = sameSiteOr(publicBaseUrl, options.allowedOrigins);

  // Counted once the request is a valid signup: a typo does not use up the budget.
  const signUp = async (c: Context, signup: Signup, source: Consent['source']) => {
    const ip = clientAddress(c);
    await limitSignups(clientBucket(ip));
    // An inbox that had its share of confirmation mails gets no more; the answer is the same,
    // so it tells nothing about the address, and nothing is changed.
    if ((await mailboxWindow.take(mailboxKey(signup.email))) > 0) return;
    await subscribe(ctx, signup, { source, ip, userAgent: c.req.header('user-agent') });
  };

  return (
    new Hono()
      .get('/', (c) => c.html(signupPage()))

      .post('/subscribe', sameSiteOrEmbedding, async (c) => {
        const form = await readForm(c);
        let signup: Signup;
        try {
          signup = parseSignup(formSignup(form));
        } catch (error) {
          if (!(error instanceof AppError)) throw error;
          return c.html(signupPage({ ...form, error: error.message }), 400);
        }
        await signUp(c, signup, 'form');
        return c.html(checkInboxPage());
      })

      .post('/api/subscribe', sameSiteOrEmbedding, requireJson, async (c) => {
        await signUp(c, parseSignup(await readJson(c)), 'api');
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
