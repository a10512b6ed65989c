import type { DeliveryListing, DeliveryStatus, Issue } from '@digest/db';
import type { IssueKey, IssueLedger, IssueOverview } from '@digest/digest';
import type { AdminSession, Notice } from '../session.ts';
import { type Html, html } from './html.ts';
import { layout } from './layout.ts';
import {
  badge,
  dataTable,
  deliveryOutcome,
  nextPage,
  OUTCOME_COLUMNS,
  progress,
  select,
  time,
  withQuery,
} from './parts.ts';

export const DELIVERY_STATUSES: DeliveryStatus[] = [
  'queued',
  'sending',
  'sent',
  'failed',
  'bounced',
  'skipped',
];
export const CADENCES = ['daily', 'weekly'] as const;

export function issuePath(key: IssueKey, suffix = ''): string {
  return `/admin/issues/${key.cadence}/${key.date}${suffix}`;
}

interface PageProps {
  session: AdminSession;
  notice?: Notice;
}

/** A button that leads to the action's confirmation page (a GET: nothing changes yet). */
function actionButton(key: IssueKey, action: string, label: string, kind = 'secondary'): Html {
  return html`<form method="get" action="${issuePath(key, '/confirm')}">
    <input type="hidden" name="action" value="${action}" />
    <button type="submit" class="${kind}">${label}</button>
  </form>`;
}

/** Marks a part the page script refreshes, quickly while an issue is sending. */
function live(id: string, sending: boolean, content: Html): Html {
  return html`<div id="${id}" data-live${sending ? html` data-sending` : ''}>${content}</div>`;
}

export function issuesPage({
  session,
  notice,
  issues,
  today,
}: PageProps & { issues: IssueOverview[]; today: string }): Html {
  const sending = issues.some((issue) => issue.status === 'sending');
  const rows = issues.map(
    (issue) => html`<tr>
      <td><a href="${issuePath({ cadence: issue.cadence, date: issue.issue_date })}">${issue.issue_date}</a></td>
      <td>${issue.cadence}</td>
      <td class="subject">${issue.subject}</td>
      <td>${badge(issue.status)}</td>
      <td class="num">${issue.deliveries.sent}</td>
      <td class="num">${issue.deliveries.failed}</td>
      <td class="num">${issue.deliveries.bounced}</td>
      <td class="num">${issue.deliveries.queued + issue.deliveries.sending}</td>
      <td>${issue.status === 'sending' ? progress(issue.deliveries) : ''}</td>
    </tr>`,
  );
  return layout(
    { title: 'Issues', session, notice, section: 'issues' },
    html`<form method="get" action="/admin/issues/confirm" class="card inline">
        <input type="hidden" name="action" value="send" />
        <div>
          <label for="send-date">Date</label>
          <input id="send-date" name="date" type="date" value="${today}" required />
        </div>
        <div>
          <label for="send-cadence">Cadence</label>
          ${select('send-cadence', 'cadence', CADENCES, 'daily')}
        </div>
        <button type="submit">Send an issue now…</button>
      </form>
      ${live(
        'issues-live',
        sending,
        issues.length === 0
          ? html`<p>No issue has been built yet.</p>`
          : dataTable(
              'Issues',
              [
                'Date',
                'Cadence',
                'Subject',
                'Status',
                { label: 'Sent', numeric: true },
                { label: 'Failed', numeric: true },
                { label: 'Bounced', numeric: true },
                { label: 'Queued', numeric: true },
                'Progress',
              ],
              rows,
            ),
      )}`,
  );
}

export interface DeliveryFilter {
  status?: DeliveryStatus;
  q?: string;
  after?: string;
}

export function issuePage({
  session,
  notice,
  issueKey: key,
  issue,
  ledger,
  filter,
}: PageProps & { issueKey: IssueKey; issue: Issue; ledger: IssueLedger; filter: DeliveryFilter }): Html {
  const path = issuePath(key);
  const { counts } = ledger;
  const sent = issue.status !== 'skipped';
  const sending = issue.status === 'sending';
  return layout(
    {
      title: `${key.cadence === 'daily' ? 'Daily' : 'Weekly'} issue of ${key.date}`,
      session,
      notice,
      section: 'issues',
    },
    html`<p class="lede">${badge(issue.status)} <span class="subject">${issue.subject}</span></p>
      <p class="muted">
        Built ${time(issue.created_at)}${issue.completed_at ? html` · completed ${time(issue.completed_at)}` : ''}
      </p>

      <section aria-labelledby="counts-heading">
        <h2 id="counts-heading">Deliveries</h2>
        ${live(
          'issue-counts',
          sending,
          html`<dl class="counts">
              ${DELIVERY_STATUSES.map(
                (status) => html`<div class="count ${status}${counts[status] === 0 ? ' zero' : ''}">
                  <dt>${status}</dt>
                  <dd><a href="${withQuery(path, { status })}">${counts[status]}</a></dd>
                </div>`,
              )}
              <div class="count"><dt>total</dt><dd>${counts.total}</dd></div>
            </dl>
            ${sending ? progress(counts) : ''}`,
        )}
      </section>

      <section aria-labelledby="actions-heading">
        <h2 id="actions-heading">Actions</h2>
        <div class="actions">
          ${actionButton(key, 'send', 'Send now…')}
          ${sending ? actionButton(key, 'pause', 'Pause…') : ''}
          ${issue.status === 'paused' ? actionButton(key, 'resume', 'Resume…') : ''}
          ${sent ? actionButton(key, 'resend-failed', 'Resend failed…') : ''}
          ${sent ? actionButton(key, 'resend-missing', 'Resend missing…') : ''}
          ${sending || issue.status === 'paused' ? actionButton(key, 'cancel', 'Cancel…', 'danger') : ''}
        </div>
        ${
          sent
            ? html`<form method="get" action="${issuePath(key, '/confirm')}" class="inline">
                <input type="hidden" name="action" value="resend-email" />
                <div class="grow">
                  <label for="resend-email">Resend to an address</label>
                  <input id="resend-email" name="email" type="email" required placeholder="reader@example.org" />
                </div>
                <button type="submit" class="secondary">Resend…</button>
              </form>`
            : ''
        }
      </section>

      <section aria-labelledby="failures-heading">
        <h2 id="failures-heading">Failures by reason</h2>
        ${live(
          'issue-failures',
          sending,
          ledger.failures.length === 0
            ? html`<p class="muted">No delivery failed.</p>`
            : dataTable(
                'Failures by reason',
                ['Status', 'Reason', { label: 'Deliveries', numeric: true }],
                ledger.failures.map(
                  (group) => html`<tr>
                    <td>${badge(group.status)}</td>
                    <td class="reason">${group.reason}</td>
                    <td class="num"><a href="${withQuery(path, { status: group.status })}">${group.count}</a></td>
                  </tr>`,
                ),
              ),
        )}
      </section>

      <section aria-labelledby="deliveries-heading">
        <h2 id="deliveries-heading">Who was sent what</h2>
        <form method="get" action="${path}" class="inline">
          <div class="grow">
            <label for="delivery-q">Address starts with</label>
            <input id="delivery-q" name="q" type="search" value="${filter.q ?? ''}" />
          </div>
          <div>
            <label for="delivery-status">Status</label>
            ${select('delivery-status', 'status', DELIVERY_STATUSES, filter.status, 'any')}
          </div>
          <button type="submit" class="secondary">Search</button>
        </form>
        ${deliveries(ledger.deliveries.items)}
        ${nextPage(
          ledger.deliveries.next
            ? withQuery(path, { status: filter.status, q: filter.q, after: ledger.deliveries.next })
            : undefined,
        )}
      </section>

      <section aria-labelledby="papers-heading">
        <h2 id="papers-heading">Papers</h2>
        <ol class="papers">
          ${issue.papers.map(
            (paper) =>
              html`<li>
                ${paper.paperUrl ? html`<a href="${paper.paperUrl}">${paper.title}</a>` : paper.title}
                <span class="muted">▲ ${paper.upvotes}</span>
              </li>`,
          )}
        </ol>
      </section>

      ${
        sent
          ? html`<section aria-labelledby="mail-heading">
              <h2 id="mail-heading">The mail</h2>
              ${mailFrame(withQuery('/admin/mail', { date: key.date, cadence: key.cadence }))}
            </section>`
          : ''
      }`,
  );
}

/** Mail HTML is shown sandboxed, from its own URL whose policy allows no script at all. */
export function mailFrame(src: string): Html {
  return html`<iframe
    class="mail"
    src="${src}"
    title="The rendered mail"
    sandbox="allow-popups allow-popups-to-escape-sandbox"
  ></iframe>`;
}

function deliveries(rows: DeliveryListing[]): Html {
  if (rows.length === 0) return html`<p class="muted">No delivery matches.</p>`;
  return dataTable(
    'Deliveries',
    ['Address', ...OUTCOME_COLUMNS],
    rows.map(
      (row) => html`<tr>
        <td><a href="${withQuery('/admin/subscribers', { q: row.email })}">${row.email}</a></td>
        ${deliveryOutcome(row)}
      </tr>`,
    ),
  );
}
