import type { CountsWithTotal } from '@digest/digest';
import { type Html, html } from './html.ts';

/** Times in UTC, to the minute: the same for every admin whatever their browser's zone. */
export function time(at: Date | null | undefined): Html {
  if (!at) return html`<span class="muted">—</span>`;
  const iso = at.toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
}

export function badge(status: string): Html {
  return html`<span class="badge ${status}">${status}</span>`;
}

/** Settled deliveries out of all of them, as a progress bar with its numbers beside it. */
export function progress(counts: CountsWithTotal): Html {
  const done = counts.total - counts.queued - counts.sending;
  const percent = counts.total === 0 ? 100 : Math.floor((done / counts.total) * 100);
  return html`<span class="progress"
    ><progress max="${counts.total || 1}" value="${counts.total === 0 ? 1 : done}" aria-label="Deliveries settled"
      >${percent}%</progress
    ><span class="muted">${done} / ${counts.total}</span></span
  >`;
}

/** A column heading; numeric columns are right-aligned. */
export type Column = string | { label: string; numeric: true };

/**
 * A labelled table with its headings; it scrolls sideways on a narrow screen instead of widening
 * the page, and the scrolling region is reachable by keyboard (tabindex).
 */
export function dataTable(label: string, columns: Column[], rows: Html[]): Html {
  return html`<section class="table-wrap" aria-label="${label}" tabindex="0">
    <table>
      <thead>
        <tr>
          ${columns.map((column) =>
            typeof column === 'string'
              ? html`<th scope="col">${column}</th>`
              : html`<th scope="col" class="num">${column.label}</th>`,
          )}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </section>`;
}

/** The headings of `deliveryOutcome`'s cells. */
export const OUTCOME_COLUMNS: Column[] = [
  'Status',
  { label: 'Attempts', numeric: true },
  'Sent',
  'Last error',
];

/** How one delivery ended: status, attempts, when it was sent, its last error. */
export function deliveryOutcome(row: {
  status: string;
  attempts: number;
  sentAt: Date | null;
  lastError: string | null;
}): Html {
  return html`<td>${badge(row.status)}</td>
    <td class="num">${row.attempts}</td>
    <td>${time(row.sentAt)}</td>
    <td class="reason">${row.lastError ?? ''}</td>`;
}

export function nextPage(href: string | undefined): Html | '' {
  return href ? html`<p class="pager"><a href="${href}" rel="next">Next page →</a></p>` : '';
}

/** A select of `values`, with "any" (an empty value) first when `anyLabel` is given. */
export function select(
  id: string,
  name: string,
  values: readonly string[],
  selected: string | undefined,
  anyLabel?: string,
): Html {
  return html`<select id="${id}" name="${name}">
    ${anyLabel ? html`<option value="">${anyLabel}</option>` : ''}
    ${values.map((value) => html`<option value="${value}"${value === selected ? html` selected` : ''}>${value}</option>`)}
  </select>`;
}

/** `base` with the query parameters that are set (empty ones dropped). */
export function withQuery(base: string, params: Record<string, string | undefined>): string {
  const query = new URLSearchParams(
    Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])),
  ).toString();
  return query ? `${base}?${query}` : base;
}
