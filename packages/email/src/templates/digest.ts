import { type IssuePaper, isoDateSchema, MAX_PAPERS_PER_EMAIL, oneLine, parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml, stripLineBreaks } from '../html.ts';
import { type BodyPart, joinParts } from '../mime.ts';
import { formatDate, longDate, safeHttpUrl, truncate, wrap } from './format.ts';
import {
  CLASS,
  COLORS,
  type Footer,
  footerText,
  H1,
  link,
  P,
  type RenderedEmail,
  SMALL,
  smallButton,
  subscriberFooterLinks,
} from './layout.ts';
import { type PaperView, paperStats, viewPaper } from './paper.ts';
import { newSlotNonce, slotMarkers } from './placeholders.ts';
import { cadenceSchema, httpUrlSchema, issuePaperSchema } from './schemas.ts';
import { fillShell, type MailShell, renderShell } from './shell.ts';

/** What every edition of one issue shares: everything but its papers and the reader's keywords. */
export const digestShellPropsSchema = z.object({
  cadence: cadenceSchema,
  issueDate: isoDateSchema,
  /** This issue's page in the web archive. */
  archiveUrl: httpUrlSchema,
  /** The signup page. */
  siteUrl: httpUrlSchema,
  /** Which issue of its cadence this is (1 for the first). */
  issueNumber: z.number().int().positive().optional(),
  /** MAIL_POSTAL_ADDRESS, printed in the footer. */
  postalAddress: z.string().optional(),
  /** DIGEST_THUMBNAILS: an image URL template with `{id}`, the paper's id; no images without it. */
  thumbnails: z.string().optional(),
});

const editionSchema = z.object({
  papers: z.array(issuePaperSchema).min(1).max(MAX_PAPERS_PER_EMAIL),
  /** The subscriber's keywords, for an edition picked by them. */
  keywords: z.array(z.string()).default([]),
});

export const digestPropsSchema = digestShellPropsSchema.extend(editionSchema.shape);

export type DigestShellProps = z.input<typeof digestShellPropsSchema>;
export type DigestProps = z.input<typeof digestPropsSchema>;

const MAX_SUBJECT = 120;
/** Thumbnails are drawn at the Open Graph ratio (1.91:1), full card width. */
const THUMB_WIDTH = 496;
const THUMB_HEIGHT = 260;

/** The `{id}` template of DIGEST_THUMBNAILS filled with a paper's id, when it gives an http(s) URL. */
function thumbnailFor(template: string | undefined, paper: IssuePaper): string | null {
  // An id stored before import refused lone surrogates would make encodeURIComponent throw.
  if (!template || !paper.externalId.isWellFormed()) return null;
  return safeHttpUrl(template.replaceAll('{id}', encodeURIComponent(paper.externalId)));
}

function issueTitle(cadence: DigestProps['cadence'], issueDate: string): string {
  const date = formatDate(issueDate);
  return cadence === 'weekly' ? `Weekly Papers — week of ${date}` : `Daily Papers — ${date}`;
}

function subjectLine(heading: string, topTitle: string): string {
  const prefix = `${heading}: `;
  return stripLineBreaks(`${prefix}${truncate(topTitle, MAX_SUBJECT - prefix.length)}`);
}

const CARD = `border:1px solid ${COLORS.border};border-radius:10px;background-color:${COLORS.surface}`;

function paperHtml(paper: PaperView, rank: number, thumbnail: string | null): string {
  const title = escapeHtml(paper.title);
  const titleHtml = paper.paperUrl
    ? link(paper.paperUrl, title, `color:${COLORS.text};text-decoration:none`, CLASS.text)
    : title;
  const meta = [paper.byline, paperStats(paper)].filter(Boolean).join(' · ');
  const parts: string[] = [];
  if (thumbnail) {
    parts.push(
      `<img src="${escapeHtml(thumbnail)}" alt="${escapeHtml(`First page of “${paper.title}”`)}" width="${THUMB_WIDTH}" height="${THUMB_HEIGHT}" style="display:block;width:100%;max-width:${THUMB_WIDTH}px;height:auto;border-radius:6px;margin:0 0 12px" />`,
    );
  }
  parts.push(
    `<h2 class="${CLASS.text}" style="margin:0 0 6px;font-size:18px;line-height:1.35;font-weight:650;color:${COLORS.text}"><span class="${CLASS.muted}" style="color:${COLORS.muted}">${rank}.</span> ${titleHtml}</h2>`,
    `<p class="${CLASS.muted}" style="margin:0 0 10px;font-size:14px;color:${COLORS.muted}">${escapeHtml(meta)}</p>`,
  );
  if (paper.summary) parts.push(`<p ${P.replace('0 0 14px', '0 0 12px')}>${escapeHtml(paper.summary)}</p>`);
  // The title links the paper; a repository gets its own button.
  if (paper.codeUrl) parts.push(`<p style="margin:0">${smallButton(paper.codeUrl, 'Code')}</p>`);
  return `<table role="presentation" class="${CLASS.surface}" width="100%" cellpadding="0" cellspacing="0" style="${CARD};margin:0 0 14px"><tr><td class="dp-card-pad" style="padding:18px 20px">${parts.join('')}</td></tr></table>`;
}

function paperText(paper: PaperView, rank: number): string {
  // The title stays on one line: readers (and scripts) search the text for it.
  const lines = [`${rank}. ${paper.title}`, [paper.byline, paperStats(paper)].filter(Boolean).join(' · ')];
  if (paper.summary) lines.push('', wrap(paper.summary));
  const tail: string[] = [];
  if (paper.paperUrl) tail.push(`Paper: ${paper.paperUrl}`);
  if (paper.codeUrl) tail.push(`Code: ${paper.codeUrl}`);
  if (paper.keywords.length > 0) tail.push(wrap(`Keywords: ${paper.keywords.join(' · ')}`));
  if (tail.length > 0) lines.push('', ...tail);
  return lines.join('\n');
}

/**
 * One issue's mail rendered by MJML once (see MailShell): each personal edition of the issue is
 * then filled into it, not rendered again.
 */
export interface DigestShell {
  props: z.output<typeof digestShellPropsSchema>;
  shell: MailShell;
  /** The nonce of the per-recipient markers in the footer, shared by every edition. */
  slotNonce: string;
  /** What every edition's plain-text part shares: its heading, the kicker line, the footer. */
  heading: string;
  kicker: string;
  textFooter: string;
}

/** Renders the shell of one issue's mail (MJML runs here, once per issue). */
export async function renderDigestShell(input: DigestShellProps): Promise<DigestShell> {
  const props = parseInput(digestShellPropsSchema, input, 'digest email');
  const slotNonce = newSlotNonce();
  const kicker = kickerOf(props);
  const footer = digestFooter(props, slotNonce);
  const shell = await renderShell({
    siteUrl: props.siteUrl,
    kicker,
    body: (content) => `<mj-text css-class="dp-narrow">${content}</mj-text>`,
    footer,
  });
  const heading = issueTitle(props.cadence, props.issueDate);
  return { props, shell, slotNonce, heading, kicker, textFooter: footerText(footer) };
}

/** An edition's mail with its HTML in parts (`fillShell`): compiled as they are, joined to be stored. */
export interface DigestEdition extends Omit<RenderedEmail, 'html'> {
  html: readonly BodyPart[];
}

/**
 * One edition of the issue: its papers, in order, picked by `keywords` when the reader chose
 * some. The per-recipient placeholders are left for the sender.
 */
export function digestEdition(
  { props, shell, slotNonce, heading, kicker, textFooter }: DigestShell,
  edition: z.input<typeof editionSchema>,
): DigestEdition {
  const { papers, keywords } = parseInput(editionSchema, edition, 'digest edition');
  const { cadence } = props;
  const views = papers.map(viewPaper);
  const top = views[0] as PaperView; // the schema guarantees at least one paper
  const subject = subjectLine(heading, top.title);
  const period = cadence === 'weekly' ? 'this week' : 'today';
  const matching = keywords.length > 0 ? ` matching ${oneLine(keywords.join(', '))}` : '';
  const intro =
    views.length === 1
      ? `The most upvoted research paper ${period}${matching}.`
      : `The ${views.length} most upvoted research papers ${period}${matching}.`;
  const more = views.length > 1 ? ` and ${views.length - 1} more` : '';
  // One mj-text for all papers: MJML wraps each mj-text in ~450 bytes of table markup.
  const content = `
          <h1 ${H1}>${escapeHtml(cadence === 'weekly' ? 'This week’s top papers' : 'Today’s top papers')}</h1>
          <p ${SMALL.replace('0 0 14px', '0 0 20px')}>${escapeHtml(intro)}</p>
          ${views.map((view, index) => paperHtml(view, index + 1, thumbnailFor(props.thumbnails, papers[index] as IssuePaper))).join('\n')}
        `;
  const html = fillShell(shell, {
    title: subject,
    preview: `${truncate(top.title, 90)}${more}. ${intro}`,
    content,
  });

  const text = [
    `Daily Papers · ${kicker}`,
    heading,
    intro,
    ...views.map((view, index) => paperText(view, index + 1)),
    textFooter,
  ].join('\n\n');
  return { subject, html, text: `${text}\n`, slotNonce };
}

/** Renders one issue of the digest; the per-recipient placeholders are left for the sender. */
export async function renderDigestEmail(props: DigestProps): Promise<RenderedEmail> {
  // All of it checked before anything renders.
  const { papers, keywords, ...shell } = parseInput(digestPropsSchema, props, 'digest email');
  const mail = digestEdition(await renderDigestShell(shell), { papers, keywords });
  return { ...mail, html: joinParts(mail.html) };
}

function kickerOf({ cadence, issueDate, issueNumber }: DigestShell['props']): string {
  return [
    cadence === 'weekly' ? `Week of ${formatDate(issueDate)}` : longDate(issueDate),
    issueNumber ? `Issue ${issueNumber}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

function digestFooter(
  { cadence, siteUrl, archiveUrl, postalAddress }: DigestShell['props'],
  slotNonce: string,
): Footer {
  return {
    reason: `You get this ${cadence === 'weekly' ? 'weekly' : 'daily'} email because you subscribed at`,
    siteUrl,
    links: [...subscriberFooterLinks(slotMarkers(slotNonce)), { label: 'View in browser', href: archiveUrl }],
    postalAddress,
  };
}
