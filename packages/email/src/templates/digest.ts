import { type IssuePaper, isoDateSchema, MAX_PAPERS_PER_EMAIL, oneLine, parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml, stripLineBreaks } from '../html.ts';
import { renderMjml } from '../render.ts';
import { formatDate, safeHttpUrl, truncate, wrap } from './format.ts';
import {
  COLORS,
  type Footer,
  footerText,
  layoutMjml,
  link,
  type RenderedEmail,
  subscriberFooterLinks,
} from './layout.ts';
import { newSlotNonce, slotMarkers } from './placeholders.ts';
import { cadenceSchema, httpUrlSchema, issuePaperSchema } from './schemas.ts';

export const digestPropsSchema = z.object({
  cadence: cadenceSchema,
  issueDate: isoDateSchema,
  papers: z.array(issuePaperSchema).min(1).max(MAX_PAPERS_PER_EMAIL),
  /** The subscriber's keywords, for an edition picked by them. */
  keywords: z.array(z.string()).default([]),
  /** This issue's page in the web archive. */
  archiveUrl: httpUrlSchema,
  /** The signup page. */
  siteUrl: httpUrlSchema,
});

export type DigestProps = z.input<typeof digestPropsSchema>;

const MAX_SUBJECT = 120;
// Bounds per paper, so even 50 hostile or verbose papers stay far below Gmail's 102 KB clip.
const MAX_TITLE = 300;
const MAX_SUMMARY = 400;
const MAX_AI_SUMMARY = 600;
const MAX_AUTHOR = 80;
const MAX_ORGANIZATION = 100;
const MAX_KEYWORDS = 8;
const MAX_KEYWORD = 40;

/** A paper reduced to the plain strings both parts print (unescaped) and its safe links. */
interface PaperView {
  rank: number;
  title: string;
  paperUrl: string | null;
  codeUrl: string | null;
  stats: string;
  byline: string | null;
  summary: string | null;
  keywords: string | null;
}

function byline(paper: IssuePaper): string | null {
  const names = paper.authors.map((name) => truncate(oneLine(name), MAX_AUTHOR)).filter(Boolean);
  let people: string | null = null;
  if (names.length > 3) people = `${names.slice(0, 3).join(', ')} et al.`;
  else if (names.length > 0) people = names.join(', ');
  else if (paper.authorCount && paper.authorCount > 0) {
    people = paper.authorCount === 1 ? '1 author' : `${paper.authorCount} authors`;
  }
  const organization = paper.organization ? truncate(oneLine(paper.organization), MAX_ORGANIZATION) : '';
  return [people, organization].filter(Boolean).join(' · ') || null;
}

function view(paper: IssuePaper, index: number): PaperView {
  const aiSummary = oneLine(paper.aiSummary ?? '');
  const summary = aiSummary
    ? truncate(aiSummary, MAX_AI_SUMMARY)
    : truncate(oneLine(paper.summary), MAX_SUMMARY);
  const keywords = paper.aiKeywords
    .map((keyword) => truncate(oneLine(keyword), MAX_KEYWORD))
    .filter(Boolean)
    .slice(0, MAX_KEYWORDS);
  const published = paper.publishedOn ? oneLine(paper.publishedOn) : '';
  return {
    rank: index + 1,
    title: truncate(oneLine(paper.title), MAX_TITLE),
    paperUrl: safeHttpUrl(paper.paperUrl),
    codeUrl: safeHttpUrl(paper.codeUrl),
    stats: [`▲ ${paper.upvotes}`, published && `Published ${formatDate(published)}`]
      .filter(Boolean)
      .join(' · '),
    byline: byline(paper),
    summary: summary || null,
    keywords: keywords.length > 0 ? keywords.join(' · ') : null,
  };
}

function issueTitle(cadence: DigestProps['cadence'], issueDate: string): string {
  const date = formatDate(issueDate);
  return cadence === 'weekly' ? `Weekly Papers — week of ${date}` : `Daily Papers — ${date}`;
}

function subjectLine(heading: string, topTitle: string): string {
  const prefix = `${heading}: `;
  return stripLineBreaks(`${prefix}${truncate(topTitle, MAX_SUBJECT - prefix.length)}`);
}

const SMALL = `font-size:13px;color:${COLORS.muted}`;

function paperHtml(paper: PaperView): string {
  const title = escapeHtml(paper.title);
  const titleHtml = paper.paperUrl
    ? link(paper.paperUrl, title, `color:${COLORS.link};text-decoration:none`)
    : title;
  const parts = [
    `<h2 style="margin:0 0 4px;font-size:18px;line-height:1.35;font-weight:600"><span style="color:${COLORS.muted}">${paper.rank}.</span> ${titleHtml}</h2>`,
    `<p style="margin:0 0 4px;${SMALL}">${escapeHtml(paper.stats)}</p>`,
  ];
  if (paper.byline) parts.push(`<p style="margin:0 0 10px;${SMALL}">${escapeHtml(paper.byline)}</p>`);
  if (paper.summary) parts.push(`<p style="margin:0 0 10px">${escapeHtml(paper.summary)}</p>`);
  if (paper.codeUrl)
    parts.push(`<p style="margin:0 0 10px;font-size:14px">${link(paper.codeUrl, 'Code')}</p>`);
  if (paper.keywords) {
    parts.push(`<p style="margin:0;font-size:12px;color:${COLORS.muted}">${escapeHtml(paper.keywords)}</p>`);
  }
  return `<div style="border-top:1px solid ${COLORS.rule};padding:20px 0">${parts.join('')}</div>`;
}

function paperText(paper: PaperView): string {
  // The title stays on one line: readers (and scripts) search the text for it.
  const lines = [`${paper.rank}. ${paper.title}`, paper.stats];
  if (paper.byline) lines.push(wrap(paper.byline));
  if (paper.summary) lines.push('', wrap(paper.summary));
  const tail: string[] = [];
  if (paper.paperUrl) tail.push(`Paper: ${paper.paperUrl}`);
  if (paper.codeUrl) tail.push(`Code: ${paper.codeUrl}`);
  if (paper.keywords) tail.push(wrap(`Keywords: ${paper.keywords}`));
  if (tail.length > 0) lines.push('', ...tail);
  return lines.join('\n');
}

/** Renders one issue of the digest; the per-recipient slots are left for the sender. */
export async function renderDigestEmail(props: DigestProps): Promise<RenderedEmail> {
  const { cadence, issueDate, papers, keywords, archiveUrl, siteUrl } = parseInput(
    digestPropsSchema,
    props,
    'digest email',
  );
  const slotNonce = newSlotNonce();
  const views = papers.map(view);
  const heading = issueTitle(cadence, issueDate);
  const top = views[0] as PaperView; // the schema guarantees at least one paper
  const subject = subjectLine(heading, top.title);
  const period = cadence === 'weekly' ? 'this week' : 'today';
  const matching = keywords.length > 0 ? ` matching ${oneLine(keywords.join(', '))}` : '';
  const intro =
    views.length === 1
      ? `The most upvoted research paper ${period}${matching}.`
      : `The ${views.length} most upvoted research papers ${period}${matching}.`;
  const more = views.length > 1 ? `, and ${views.length - 1} more` : '';
  const footer: Footer = {
    reason: 'You receive this because you subscribed at',
    siteUrl,
    links: [...subscriberFooterLinks(slotMarkers(slotNonce)), { label: 'View in browser', href: archiveUrl }],
  };

  // One mj-text for all papers: MJML wraps each mj-text in ~450 bytes of table markup.
  const body = `<mj-text>
          <h1 style="margin:0 0 4px;font-size:22px;line-height:1.3">${escapeHtml(heading)}</h1>
          <p style="margin:0 0 20px;${SMALL}">${escapeHtml(intro)}</p>
          ${views.map(paperHtml).join('\n')}
        </mj-text>`;
  const html = await renderMjml(
    layoutMjml({
      title: subject,
      preview: `${truncate(top.title, 90)}${more}`,
      siteUrl,
      body,
      footer,
    }),
  );

  const text = [heading, intro, ...views.map(paperText), footerText(footer)].join('\n\n');
  return { subject, html, text: `${text}\n`, slotNonce };
}
