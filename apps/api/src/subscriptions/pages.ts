import type { Issue, Subscriber } from '@digest/db';
import { formatDate } from '@digest/email';
import { html } from 'hono/html';
import { controlState, field, paperCard, problemSummary } from '../http/components.ts';
import type { FormProblems } from '../http/forms.ts';
import { messagePage, page } from '../http/layout.ts';

export interface SignupFormValues {
  email?: string;
  cadence?: string;
  keywords?: string;
  timezone?: string;
}

export interface LandingData {
  latest: Issue | undefined;
  keywords: string[];
}

const selected = (on: boolean) => (on ? html`selected` : '');
const checked = (on: boolean) => (on ? html`checked` : '');

function signupForm(values: SignupFormValues, keywords: string[], problems?: FormProblems) {
  return html`<div class="card"><form method="post" action="/subscribe">
    ${problemSummary(problems)}
    ${field(
      'email',
      'Email address',
      (ids, invalid) =>
        html`<input id="email" name="email" type="email" required maxlength="254" autocomplete="email" value="${values.email ?? ''}" ${controlState(ids, invalid)} />`,
      { problems },
    )}
    ${field(
      'cadence',
      'How often',
      (ids, invalid) => html`<select id="cadence" name="cadence" ${controlState(ids, invalid)}>
          <option value="daily" ${selected(values.cadence !== 'weekly')}>Every morning</option>
          <option value="weekly" ${selected(values.cadence === 'weekly')}>Once a week</option>
        </select>`,
      { problems },
    )}
    ${field(
      'keywords',
      'Keywords (optional)',
      (ids, invalid) =>
        html`<input id="keywords" name="keywords" type="text" maxlength="400" value="${values.keywords ?? ''}" ${controlState(ids, invalid)} />`,
      {
        hint: 'Comma-separated. Only papers matching one of them; leave empty for the top papers.',
        problems,
      },
    )}
    ${
      keywords.length > 0
        ? html`<p class="hint" id="keyword-list">Popular: ${keywords.join(', ')}</p>
          <ul class="chips" id="keyword-chips" hidden aria-label="Popular keywords: add one">
            ${keywords.map((word) => html`<li><button type="button" class="chip" data-keyword="${word}" aria-pressed="false">${word}</button></li>`)}
          </ul>`
        : ''
    }
    <input type="hidden" name="timezone" value="${values.timezone ?? ''}" />
    <div class="actions"><button type="submit">Subscribe</button></div>
  </form></div>`;
}

/** The landing page: the pitch, a sample of the latest issue, the form, what happens next. */
export function signupPage(data: LandingData, values: SignupFormValues = {}, problems?: FormProblems) {
  const top = data.latest?.papers.slice(0, 3) ?? [];
  return page(
    problems ? 'Check the form' : 'Trending research papers in your inbox',
    html`<div class="hero">
        <section>
          <h1>The day’s most upvoted research papers, in your inbox every morning</h1>
          <p class="lead">Daily Papers reads the community’s daily list of trending papers and sends you the top ones: title, who wrote them, upvotes and a short summary, with links to the paper and its code.</p>
          <h2>What happens next</h2>
          <ol class="steps">
            <li>We email you a confirmation link (it works for 48 hours).</li>
            <li>After you confirm, a welcome email arrives with your preferences link.</li>
            <li>The next issue reaches you in the morning, in your own time zone. Every email has a one-click unsubscribe.</li>
          </ol>
        </section>
        <section aria-labelledby="signup-title">
          <h2 id="signup-title" class="sr-only">Subscribe</h2>
          ${signupForm(values, data.keywords, problems)}
        </section>
      </div>
      ${
        top.length > 0 && data.latest
          ? html`<section aria-labelledby="latest-title">
              <h2 id="latest-title">In the latest issue · ${formatDate(data.latest.issue_date)}</h2>
              <ul class="papers grid">${top.map((paper) => paperCard(paper, { clamp: true }))}</ul>
              <p><a href="/archive/${data.latest.issue_date}">Read the whole issue</a> · <a href="/archive">All past issues</a></p>
            </section>`
          : html`<p><a href="/archive">Past issues</a></p>`
      }`,
    {
      description: 'The most upvoted research papers of the day, by email, every morning.',
      scripts: ['signup.js'],
      current: 'subscribe',
    },
  );
}

export function checkInboxPage(email: string) {
  return messagePage(
    'Check your inbox',
    html`If ${email} can receive mail, a confirmation link is on its way. Open it within 48 hours to start receiving papers.`,
    html`<p class="muted">Nothing after a few minutes? Look in the spam folder, or <a href="/">try again</a> with another address.</p>`,
  );
}

/** The button, and what it subscribes to: the keywords the confirmation mail only counts. */
export function confirmPage(token: string, subscriber: Subscriber) {
  const when = subscriber.cadence === 'weekly' ? 'once a week' : 'every morning';
  const keywords = subscriber.keywords.length > 0 ? html`, matching: ${subscriber.keywords.join(', ')}` : '';
  return page(
    'Confirm your subscription',
    html`<h1>Confirm your subscription</h1>
      <p>One more step: confirm that you want to receive Daily Papers ${when}${keywords}.</p>
      <form method="post" action="/confirm/${token}"><button type="submit">Confirm subscription</button></form>`,
    { narrow: true },
  );
}

export function confirmExpiredPage(token: string) {
  return page(
    'This link has expired',
    html`<h1>This link has expired</h1>
      <p>Confirmation links work for 48 hours, and this one is older. We can send you a fresh one.</p>
      <form method="post" action="/confirm/${token}/renew"><button type="submit">Email me a new link</button></form>`,
    { narrow: true },
  );
}

export function renewedPage(outcome: 'sent' | 'already-active' | 'not-pending') {
  if (outcome === 'already-active') {
    return messagePage(
      'You are already subscribed',
      'This address is confirmed; the next issue is on its way in the morning.',
    );
  }
  if (outcome === 'not-pending') {
    return messagePage(
      'Nothing to confirm',
      'This address is not waiting for confirmation.',
      html`<p><a class="button" href="/">Subscribe again</a></p>`,
    );
  }
  return messagePage('Check your inbox', 'A new confirmation link is on its way. It works for 48 hours.');
}

export function confirmedPage(subscriber: Subscriber, preferencesUrl: string) {
  const when = subscriber.cadence === 'weekly' ? 'once a week' : 'every morning';
  return page(
    'You are subscribed',
    html`<h1>You are subscribed</h1>
      <p>The top papers will reach ${subscriber.email} ${when}. A welcome email with your links is on its way.</p>
      <h2>Next steps</h2>
      <ul class="steps">
        <li><a href="${preferencesUrl}">Choose keywords, papers per email or weekly delivery</a> in your preferences.</li>
        <li>Add the sender to your contacts so the digest stays out of spam.</li>
        <li>Meanwhile, <a href="/archive">read past issues</a>.</li>
      </ul>`,
    { narrow: true },
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
    { narrow: true },
  );
}

/** After unsubscribing: undo is a fresh opt-in (a confirmation link), never a silent re-subscribe. */
export function unsubscribedPage(email?: string) {
  return page(
    'You are unsubscribed',
    html`<h1>You are unsubscribed</h1>
      <p>You will not receive any more digests${email ? html` at ${email}` : ''}.</p>
      ${
        email
          ? html`<h2>Changed your mind?</h2>
            <form method="post" action="/subscribe">
              <input type="hidden" name="email" value="${email}" />
              <button type="submit" class="secondary">Subscribe again</button>
            </form>
            <p class="hint">We will email you a confirmation link first.</p>`
          : ''
      }`,
    { narrow: true },
  );
}

export function preferencesPage(
  token: string,
  subscriber: Subscriber,
  unsubscribeUrl: string,
  options: {
    notice?: string;
    values?: Record<string, string>;
    problems?: FormProblems;
    deleteRefused?: boolean;
  } = {},
) {
  // After a refused save, the form shows what was typed, not what is stored.
  const values = options.values;
  const cadence = values?.cadence ?? subscriber.cadence;
  const keywords = values?.keywords ?? subscriber.keywords.join(', ');
  const size = values?.size ?? String(subscriber.papers_per_email ?? '');
  const timezone = values?.timezone ?? subscriber.timezone ?? '';
  const paused = values ? values.paused === 'on' : subscriber.paused_at !== null;
  const topWhenNoMatch = values ? values.topWhenNoMatch === 'on' : subscriber.top_when_no_match;
  const problems = options.problems;
  return page(
    'Your preferences',
    html`<h1>Your preferences</h1>
      <p class="muted">For ${subscriber.email}</p>
      ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
      <div class="card"><form method="post" action="/preferences/${token}">
        ${problemSummary(problems)}
        <fieldset>
          <legend>How often</legend>
          <label class="choice"><input type="radio" name="cadence" value="daily" ${checked(cadence !== 'weekly')} /> Every morning</label>
          <label class="choice"><input type="radio" name="cadence" value="weekly" ${checked(cadence === 'weekly')} /> Once a week</label>
        </fieldset>
        ${field(
          'keywords',
          'Keywords',
          (ids, invalid) =>
            html`<input id="keywords" name="keywords" type="text" maxlength="400" value="${keywords}" ${controlState(ids, invalid)} />`,
          { hint: 'Comma-separated: only papers matching one of them. Empty for the top papers.', problems },
        )}
        <label class="choice"><input type="checkbox" name="topWhenNoMatch" ${checked(topWhenNoMatch)} /> When no paper matches my keywords, send me the top papers</label>
        <p class="hint">Without it, a day when nothing matches your keywords sends you no email at all.</p>
        <div class="row">
          ${field(
            'size',
            'Papers per email',
            (ids, invalid) =>
              html`<input id="size" name="size" type="number" inputmode="numeric" min="1" max="50" value="${size}" ${controlState(ids, invalid)} />`,
            { hint: '1 to 50; empty for the usual 10.', problems },
          )}
          ${field(
            'timezone',
            'Time zone',
            (ids, invalid) =>
              html`<input id="timezone" name="timezone" type="text" maxlength="64" autocomplete="off" spellcheck="false" value="${timezone}" ${controlState(ids, invalid)} />`,
            { hint: 'Such as Europe/Paris or Asia/Tokyo; empty for the list’s default.', problems },
          )}
        </div>
        <label class="choice"><input type="checkbox" name="paused" ${checked(paused)} /> Pause emails for now</label>
        <div class="actions"><button type="submit">Save preferences</button></div>
      </form></div>
      <h2>Your data</h2>
      <div class="actions">
        <form method="post" action="/preferences/${token}/export"><button type="submit" class="secondary">Email me my data</button></form>
      </div>
      <form method="post" action="/preferences/${token}/delete" class="stack">
        <label class="choice"><input type="checkbox" name="confirm" required ${options.deleteRefused ? html`aria-invalid="true" aria-describedby="delete-error"` : ''} /> Yes, erase my address, choices and delivery history now; this cannot be undone</label>
        ${options.deleteRefused ? html`<span class="field-error" id="delete-error">Tick the box to confirm, then press “Delete me” again.</span>` : ''}
        <button type="submit" class="danger">Delete me</button>
      </form>
      <p><a href="${unsubscribeUrl}">Unsubscribe from Daily Papers</a></p>`,
    { narrow: true, scripts: ['signup.js'] },
  );
}

export function deletedPage() {
  return messagePage(
    'Your data is deleted',
    'We erased your address, your choices and the record of what we sent you. You will receive nothing more.',
    html`<p><a href="/">Subscribe again</a> at any time.</p>`,
  );
}
