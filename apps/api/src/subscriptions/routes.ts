import { AppError } from '@digest/core';
import { latestIssue, popularKeywords } from '@digest/db';
import {
  type Consent,
  confirm,
  eraseByPreferencesLink,
  isExpiredConfirmation,
  mailboxKey,
  parseSignup,
  renewConfirmation,
  requestDataExport,
  type Signup,
  type SubscriptionContext,
  savePreferences,
  subscribe,
  subscriberForToken,
  subscriberLinks,
  unsubscribe,
  verifiedLink,
} from '@digest/subscribers';
import { type Context, Hono } from 'hono';
import { clientBucket } from '../http/client.ts';
import { formProblems } from '../http/forms.ts';
import { readForm, readJson } from '../http/input.ts';
import { requireJson, sameSiteOr } from '../http/origin.ts';
import type { SlidingWindow } from '../http/rate-limit.ts';
import {
  checkInboxPage,
  confirmExpiredPage,
  confirmedPage,
  confirmPage,
  deletedPage,
  type LandingData,
  preferencesPage,
  renewedPage,
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

const SUGGESTED_KEYWORDS = 8;

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
  const landing = async (): Promise<LandingData> => ({
    latest: await latestIssue(ctx.db, 'daily'),
    keywords: await popularKeywords(ctx.db, SUGGESTED_KEYWORDS),
  });
  const links = (subscriberId: number) => subscriberLinks(publicBaseUrl, ctx.tokens, subscriberId);

  return (
    new Hono()
      .get('/', async (c) => c.html(signupPage(await landing())))

      .post('/subscribe', sameSiteOrEmbedding, async (c) => {
        const form = await readForm(c);
        let signup: Signup;
        try {
          signup = parseSignup(formSignup(form));
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'invalid_input') throw error;
          return c.html(signupPage(await landing(), form, formProblems(error)), 400);
        }
        await signUp(c, signup, 'form');
        return c.html(checkInboxPage(signup.email));
      })

      .post('/api/subscribe', sameSiteOrEmbedding, requireJson, async (c) => {
        await signUp(c, parseSignup(await readJson(c)), 'api');
        return c.json(ACCEPTED, 202);
      })

      // Mail scanners follow links: a GET only shows a button, the POST confirms.
      .get('/confirm/:token', async (c) => {
        const token = c.req.param('token');
        if (isExpiredConfirmation(ctx, token)) return c.html(confirmExpiredPage(token), 410);
        return c.html(confirmPage(token, await subscriberForToken(ctx, 'confirm', token)));
      })
      .post('/confirm/:token', sameSiteForms, async (c) => {
        const token = c.req.param('token');
        if (isExpiredConfirmation(ctx, token)) return c.html(confirmExpiredPage(token), 410);
        const subscriber = await confirm(ctx, token);
        return c.html(confirmedPage(subscriber, links(subscriber.id).preferencesUrl));
      })
      .post('/confirm/:token/renew', sameSiteForms, async (c) => {
        await limitSignups(clientBucket(clientAddress(c)));
        return c.html(
          renewedPage(
            await renewConfirmation(
              ctx,
              c.req.param('token'),
              async (email) => (await mailboxWindow.take(mailboxKey(email))) === 0,
            ),
          ),
        );
      })

      // RFC 8058 one-click: mail providers POST without Origin or cookies, so no CSRF check here;
      // the signed token is the authority.
      .get('/unsubscribe/:token', (c) => {
        // Only the link is checked: an erased subscriber's link still leads to "unsubscribed".
        verifiedLink(ctx, 'unsubscribe', c.req.param('token'));
        return c.html(unsubscribePage(c.req.param('token')));
      })
      .post('/unsubscribe/:token', async (c) => {
        const subscriber = await unsubscribe(ctx, c.req.param('token'));
        // Undo is offered only to someone who was unsubscribed, not to a bounced address.
        return c.html(unsubscribedPage(subscriber?.status === 'unsubscribed' ? subscriber.email : undefined));
      })

      .get('/preferences/:token', async (c) => {
        const token = c.req.param('token');
        const subscriber = await subscriberForToken(ctx, 'preferences', token);
        return c.html(preferencesPage(token, subscriber, links(subscriber.id).unsubscribeUrl));
      })
      .post('/preferences/:token', sameSiteForms, async (c) => {
        const token = c.req.param('token');
        const subscriber = await subscriberForToken(ctx, 'preferences', token);
        const unsubscribeUrl = links(subscriber.id).unsubscribeUrl;
        const form = await readForm(c);
        try {
          const saved = await savePreferences(ctx, token, form);
          return c.html(
            preferencesPage(token, saved, unsubscribeUrl, { notice: 'Your preferences are saved.' }),
          );
        } catch (error) {
          if (!(error instanceof AppError) || error.code !== 'invalid_input') throw error;
          // The error stays on this page, with what was typed, and nothing is saved.
          const problems = formProblems(error);
          return c.html(preferencesPage(token, subscriber, unsubscribeUrl, { values: form, problems }), 400);
        }
      })
      .post('/preferences/:token/export', sameSiteForms, async (c) => {
        const token = c.req.param('token');
        const subscriber = await requestDataExport(ctx, token);
        const notice = `A copy of your data is on its way to ${subscriber.email}.`;
        return c.html(preferencesPage(token, subscriber, links(subscriber.id).unsubscribeUrl, { notice }));
      })
      .post('/preferences/:token/delete', sameSiteForms, async (c) => {
        const token = c.req.param('token');
        // Erasing cannot be undone: only with the box ticked (the browser asks for it too).
        if ((await readForm(c)).confirm !== 'on') {
          const subscriber = await subscriberForToken(ctx, 'preferences', token);
          const unsubscribeUrl = links(subscriber.id).unsubscribeUrl;
          return c.html(preferencesPage(token, subscriber, unsubscribeUrl, { deleteRefused: true }), 400);
        }
        await eraseByPreferencesLink(ctx, token);
        return c.html(deletedPage());
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
    timezone: form.timezone || undefined,
  };
}
