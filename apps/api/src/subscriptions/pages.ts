import type { Subscriber } from '@digest/db';
import { html } from 'hono/html';
import { messagePage, page } from '../http/layout.ts';

export interface SignupFormValues {
  email?: string;
  cadence?: string;
  keywords?: string;
  error?: string;
}

/** The signup form: plain HTML that works without JavaScript. */
export function signupPage(values: SignupFormValues = {}) {
  const weekly = values.cadence === 'weekly';
  return page(
    'Subscribe',
    html`<h1>Daily Papers</h1>
      <p>Get trending papers in your email inbox: the most upvoted research papers of the day, once a day or once a week.</p>
      ${values.error ? html`<p class="error" role="alert">${values.error}</p>` : ''}
      <form method="post" action="/subscribe">
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="${values.email ?? ''}" />
        <label for="cadence">How often</label>
        <select id="cadence" name="cadence">
          <option value="daily" ${weekly ? '' : 'selected'}>Daily</option>
          <option value="weekly" ${weekly ? 'selected' : ''}>Weekly</option>
        </select>
        <label for="keywords">Keywords <span class="hint">(optional, comma-separated: only papers matching one)</span></label>
        <input id="keywords" name="keywords" type="text" maxlength="400" value="${values.keywords ?? ''}" />
        <button type="submit">Subscribe</button>
      </form>
      <p class="hint">We send a confirmation link first. Every email has a one-click unsubscribe link.</p>
      <p class="hint"><a href="/archive">Past issues</a></p>`,
  );
}

export function checkInboxPage() {
  return messagePage(
    'Check your inbox',
    'If the address can receive mail, a confirmation link is on its way. Follow it to start receiving papers.',
  );
}

export function confirmPage(token: string) {
  return page(
    'Confirm your subscription',
    html`<h1>Confirm your subscription</h1>
      <p>One more step: confirm that you want to receive Daily Papers.</p>
      <form method="post" action="/confirm/${token}"><button type="submit">Confirm subscription</button></form>`,
  );
}

export function confirmedPage(subscriber: Subscriber) {
  return messagePage(
    'You are subscribed',
    `You will receive the ${subscriber.cadence} digest at ${subscriber.email}. A welcome email with your preference and unsubscribe links is on its way.`,
  );
}

export function unsubscribePage(token: string) {
  return page(
    'Unsubscribe',
    html`<h1>Unsubscribe</h1>
      <p>Stop receiving Daily Papers at this address?</p>
      <form method="post" action="/unsubscribe/${token}">
        <input type="hidden" name="List-Unsubscribe" value="One-Click" />
        <button type="submit">Unsubscribe</button>
      </form>`,
  );
}

export function unsubscribedPage() {
  return messagePage(
    'You are unsubscribed',
    'You will not receive any more digests. You can subscribe again at any time.',
  );
}

export function preferencesPage(token: string, subscriber: Subscriber, notice?: string) {
  const weekly = subscriber.cadence === 'weekly';
  return page(
    'Preferences',
    html`<h1>Your preferences</h1>
      <p class="hint">For ${subscriber.email}</p>
      ${notice ? html`<p role="status">${notice}</p>` : ''}
      <form method="post" action="/preferences/${token}">
        <fieldset>
          <label><input type="radio" name="cadence" value="daily" ${weekly ? '' : 'checked'} /> Daily</label>
          <label><input type="radio" name="cadence" value="weekly" ${weekly ? 'checked' : ''} /> Weekly</label>
        </fieldset>
        <label for="keywords">Keywords <span class="hint">(comma-separated: only papers matching one)</span></label>
        <input id="keywords" name="keywords" type="text" maxlength="400" value="${subscriber.keywords.join(', ')}" />
        <label for="size">Papers per email <span class="hint">(1–50, empty for the default)</span></label>
        <input id="size" name="size" type="number" min="1" max="50" value="${subscriber.papers_per_email ?? ''}" />
        <label><input type="checkbox" name="paused" ${subscriber.paused_at ? 'checked' : ''} /> Pause emails</label>
        <button type="submit">Save</button>
      </form>`,
  );
}
