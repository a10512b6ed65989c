import type { Cadence } from '@digest/db';
import type { ImportResult, RankedPapers } from '@digest/digest';
import type { AdminSession, Notice } from '../session.ts';
import { type Html, html } from './html.ts';
import { mailFrame } from './issues.ts';
import { csrf, layout } from './layout.ts';
import { dataTable, withQuery } from './parts.ts';

interface PageProps {
  session: AdminSession;
  notice?: Notice;
}

const PERIODS: [Cadence, string][] = [
  ['daily', 'that day (daily issue)'],
  ['weekly', 'the seven days ending that day (weekly issue)'],
];

export function papersPage({
  session,
  notice,
  date,
  cadence,
  ranked,
  report,
}: PageProps & { date: string; cadence: Cadence; ranked: RankedPapers; report?: ImportResult }): Html {
  const rows = ranked.papers.map((paper, index) => {
    const inIssue = index < ranked.issueSize;
    return html`<tr${inIssue ? '' : html` class="dim"`}>
      <td class="num">${index + 1}</td>
      <td class="subject">${paper.paper_url ? html`<a href="${paper.paper_url}">${paper.title}</a>` : paper.title}</td>
      <td class="num">${paper.upvotes}</td>
      <td class="num">${paper.num_comments}</td>
      <td>${paper.organization ?? ''}</td>
      <td>${inIssue ? 'yes' : 'personal editions only'}</td>
    </tr>`;
  });
  return layout(
    { title: 'Papers', session, notice, section: 'papers' },
    html`${report ? importReport(report) : ''}
      <div class="columns">
        <form method="get" action="/admin/papers" class="card">
          <h2>Papers of a date</h2>
          <label for="papers-date">Date</label>
          <input id="papers-date" name="date" type="date" value="${date}" required />
          <label for="papers-cadence">Period</label>
          <select id="papers-cadence" name="cadence">
            ${PERIODS.map(
              ([value, label]) =>
                html`<option value="${value}"${value === cadence ? html` selected` : ''}>${label}</option>`,
            )}
          </select>
          <div class="actions">
            <button type="submit">Show</button>
            <a class="button secondary" href="${withQuery('/admin/papers/preview', { date, cadence })}"
              >Preview the issue</a
            >
          </div>
        </form>
        <form
          method="post"
          action="${withQuery('/admin/papers/import', { date, cadence })}"
          enctype="multipart/form-data"
          class="card"
        >
          <h2>Import papers</h2>
          ${csrf(session)}
          <label for="papers-file">Hugging Face daily_papers JSON file</label>
          <input id="papers-file" name="file" type="file" accept=".json,application/json" required />
          <p class="hint">A JSON array of daily_papers items or flat paper objects; known papers are updated.</p>
          <button type="submit">Import</button>
        </form>
      </div>
      <h2>Ranked as the ${cadence} digest of ${date} ranks them</h2>
      ${
        rows.length === 0
          ? html`<p>No paper was featured in this period.</p>`
          : dataTable(
              'Ranked papers',
              [
                { label: 'Rank', numeric: true },
                'Title',
                { label: 'Upvotes', numeric: true },
                { label: 'Comments', numeric: true },
                'Organisation',
                'In the issue',
              ],
              rows,
            )
      }`,
  );
}

function importReport(report: ImportResult): Html {
  const counts: [string, number][] = [
    ['received', report.received],
    ['inserted', report.inserted],
    ['updated', report.updated],
    ['merged', report.merged],
    ['rejected', report.rejected.length],
  ];
  return html`<section aria-labelledby="report-heading" class="card">
    <h2 id="report-heading">Import report</h2>
    <dl class="counts">
      ${counts.map(
        ([name, count]) =>
          html`<div class="count${name === 'rejected' && count > 0 ? ' failed' : ''}">
            <dt>${name}</dt>
            <dd>${count}</dd>
          </div>`,
      )}
    </dl>
    ${
      report.rejected.length > 0
        ? dataTable(
            'Rejected records',
            ['Record', 'Title', 'Why'],
            report.rejected.map(
              (record) => html`<tr>
                <td>${record.index}</td>
                <td class="subject">${record.title ?? '—'}</td>
                <td class="reason">${record.reason}</td>
              </tr>`,
            ),
          )
        : ''
    }
  </section>`;
}

export function previewPage({
  session,
  date,
  cadence,
  subject,
}: PageProps & { date: string; cadence: Cadence; subject: string }): Html {
  return layout(
    { title: `Preview: ${cadence} issue of ${date}`, session, section: 'papers' },
    html`<p class="lede">${subject}</p>
      <p class="muted">What the issue looks like (or would, built now), with neutral links in place of personal ones.</p>
      ${mailFrame(withQuery('/admin/mail', { date, cadence }))}`,
  );
}
