import type { Page, Subscriber, SubscriberDelivery, SubscriberStatus } from '@digest/db';
import type { AdminSession, Notice } from '../session.ts';
import { type Html, html } from './html.ts';
import { CADENCES, issuePath } from './issues.ts';
import { layout } from './layout.ts';
import {
  badge,
  dataTable,
  deliveryOutcome,
  nextPage,
  OUTCOME_COLUMNS,
  select,
  time,
  withQuery,
} from './parts.ts';

export const SUBSCRIBER_STATUSES: SubscriberStatus[] = [
  'pending',
  'active',
  'unsubscribed',
  'bounced',
  'complained',
];

export interface SubscriberFilter {
  q?: string;
  status?: SubscriberStatus;
  cadence?: (typeof CADENCES)[number];
  after?: string;
}

interface PageProps {
  session: AdminSession;
  notice?: Notice;
}

export function subscriberPath(subscriber: Pick<Subscriber, 'id'>, suffix = ''): string {
  return `/admin/subscribers/${subscriber.id}${suffix}`;
}

export function subscribersPage({
  session,
  notice,
  filter,
  page,
}: PageProps & { filter: SubscriberFilter; page: Page<Subscriber> }): Html {
  const rows = page.items.map(
    (subscriber) => html`<tr>
      <td><a href="${subscriberPath(subscriber)}">${subscriber.email}</a></td>
      <td>${badge(subscriber.status)}</td>
      <td>${subscriber.cadence}</td>
      <td>${time(subscriber.created_at)}</td>
      <td>${time(subscriber.confirmed_at)}</td>
    </tr>`,
  );
  return layout(
    { title: 'Subscribers', session, notice, section: 'subscribers' },
    html`<form method="get" action="/admin/subscribers" class="card inline">
        <div class="grow">
          <label for="subscriber-q">Address starts with</label>
          <input id="subscriber-q" name="q" type="search" value="${filter.q ?? ''}" autocomplete="off" />
        </div>
        <div>
          <label for="subscriber-status">Status</label>
          ${select('subscriber-status', 'status', SUBSCRIBER_STATUSES, filter.status, 'any')}
        </div>
        <div>
          <label for="subscriber-cadence">Cadence</label>
          ${select('subscriber-cadence', 'cadence', CADENCES, filter.cadence, 'any')}
        </div>
        <button type="submit">Search</button>
      </form>
      ${
        rows.length === 0
          ? html`<p>No subscriber matches.</p>`
          : dataTable('Subscribers', ['Address', 'Status', 'Cadence', 'Signed up', 'Confirmed'], rows)
      }
      ${nextPage(
        page.next
          ? withQuery('/admin/subscribers', {
              q: filter.q,
              status: filter.status,
              cadence: filter.cadence,
              after: page.next,
            })
          : undefined,
      )}`,
  );
}

/** A definition list of facts; values are escaped like everything else. */
function facts(entries: [string, Html | string | number][]): Html {
  return html`<dl class="facts">${entries.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

export function subscriberPage({
  session,
  notice,
  subscriber,
  history,
  today,
}: PageProps & { subscriber: Subscriber; history: SubscriberDelivery[]; today: string }): Html {
  const confirm = subscriberPath(subscriber, '/confirm');
  const active = subscriber.status === 'active';
  const confirmButton = (action: string, label: string, kind: 'secondary' | 'danger') =>
    html`<form method="get" action="${confirm}">
      <input type="hidden" name="action" value="${action}" />
      <button type="submit" class="${kind}">${label}</button>
    </form>`;
  return layout(
    { title: subscriber.email, session, notice, section: 'subscribers' },
    html`<div class="columns">
        <section aria-labelledby="status-heading" class="card">
          <h2 id="status-heading">Subscription</h2>
          ${facts([
            ['Status', html`${badge(subscriber.status)}${subscriber.paused_at ? ' (paused)' : ''}`],
            ['Signed up', time(subscriber.created_at)],
            ['Confirmed', time(subscriber.confirmed_at)],
            ['Unsubscribed', time(subscriber.unsubscribed_at)],
          ])}
        </section>
        <section aria-labelledby="preferences-heading" class="card">
          <h2 id="preferences-heading">Preferences</h2>
          ${facts([
            ['Cadence', subscriber.cadence],
            [
              'Keywords',
              subscriber.keywords.length > 0 ? subscriber.keywords.join(', ') : 'none (every paper)',
            ],
            ['Papers per email', subscriber.papers_per_email ?? 'default'],
            ['Paused', subscriber.paused_at ? time(subscriber.paused_at) : 'no'],
          ])}
        </section>
        <section aria-labelledby="consent-heading" class="card">
          <h2 id="consent-heading">Consent</h2>
          ${facts([
            ['Given', time(subscriber.consent_at)],
            ['Source', subscriber.consent_source],
            ['IP address', subscriber.consent_ip ?? '—'],
            ['User agent', subscriber.consent_user_agent ?? '—'],
          ])}
        </section>
      </div>

      <section aria-labelledby="subscriber-actions-heading">
        <h2 id="subscriber-actions-heading">Actions</h2>
        ${
          active
            ? html`<form method="get" action="${confirm}" class="inline">
                <input type="hidden" name="action" value="resend" />
                <div>
                  <label for="resend-date">Issue date</label>
                  <input id="resend-date" name="date" type="date" value="${history[0]?.issueDate ?? today}" required />
                </div>
                <div>
                  <label for="resend-cadence">Cadence</label>
                  ${select('resend-cadence', 'cadence', CADENCES, subscriber.cadence)}
                </div>
                <button type="submit" class="secondary">Resend the issue…</button>
              </form>`
            : ''
        }
        <div class="actions">
          ${active || subscriber.status === 'pending' ? confirmButton('unsubscribe', 'Unsubscribe…', 'secondary') : ''}
          ${confirmButton('erase', 'Erase…', 'danger')}
        </div>
      </section>

      <section aria-labelledby="history-heading">
        <h2 id="history-heading">Delivery history</h2>
        ${
          history.length === 0
            ? html`<p class="muted">Nothing was sent to this address yet.</p>`
            : dataTable(
                'Delivery history',
                ['Issue', 'Subject', ...OUTCOME_COLUMNS],
                history.map(
                  (row) => html`<tr>
                    <td>
                      <a href="${issuePath({ cadence: row.cadence, date: row.issueDate })}"
                        >${row.issueDate} ${row.cadence}</a
                      >
                    </td>
                    <td class="subject">${row.subject}</td>
                    ${deliveryOutcome(row)}
                  </tr>`,
                ),
              )
        }
      </section>`,
  );
}
