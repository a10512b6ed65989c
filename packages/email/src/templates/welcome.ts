import { parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml } from '../html.ts';
import { renderMjml } from '../render.ts';
import { wrap } from './format.ts';
import {
  CLASS,
  COLORS,
  type Footer,
  footerText,
  H1,
  layoutMjml,
  link,
  P,
  type RenderedEmail,
  subscriberFooterLinks,
} from './layout.ts';
import { paperStats, viewPaper } from './paper.ts';
import { newSlotNonce, slotMarkers } from './placeholders.ts';
import { cadenceSchema, httpUrlSchema, issuePaperSchema } from './schemas.ts';

export const welcomePropsSchema = z.object({
  cadence: cadenceSchema,
  siteUrl: httpUrlSchema,
  /** The web archive of past issues. */
  archiveUrl: httpUrlSchema,
  /** When the digest goes out, in words, e.g. `(Asia/Tokyo time)`. */
  deliveryTime: z.string().optional(),
  /** The latest issue's top papers: a sample of what arrives. */
  latestPapers: z.array(issuePaperSchema).max(5).default([]),
  postalAddress: z.string().optional(),
});

export type WelcomeProps = z.input<typeof welcomePropsSchema>;

export const WELCOME_SUBJECT = "You're subscribed to Daily Papers";

/** Sent once the subscription is confirmed; carries the per-recipient placeholders like a digest. */
export async function renderWelcomeEmail(props: WelcomeProps): Promise<RenderedEmail> {
  const { cadence, siteUrl, archiveUrl, deliveryTime, latestPapers, postalAddress } = parseInput(
    welcomePropsSchema,
    props,
    'welcome email',
  );
  const slotNonce = newSlotNonce();
  const markers = slotMarkers(slotNonce);
  const when = deliveryTime ? ` ${deliveryTime}` : '';
  const expect =
    cadence === 'weekly'
      ? `Once a week${when} you will receive one email with the most upvoted research papers of the week: titles, who wrote them, short summaries and links to the paper and its code.`
      : `Every morning${when} you will receive one email with the most upvoted research papers of the day: titles, who wrote them, short summaries and links to the paper and its code.`;
  const papers = latestPapers.map(viewPaper);
  const sample = 'A taste of the latest issue:';
  const archive = 'Past issues are in the archive:';
  const footer: Footer = {
    reason: 'You get this because you subscribed at',
    siteUrl,
    links: subscriberFooterLinks(markers),
    postalAddress,
  };

  const paperItems = papers.map(
    (paper) =>
      `<li class="${CLASS.text}" style="margin:0 0 10px;color:${COLORS.text}">${paper.paperUrl ? link(paper.paperUrl, escapeHtml(paper.title)) : escapeHtml(paper.title)}<br /><span class="${CLASS.muted}" style="font-size:14px;color:${COLORS.muted}">${escapeHtml([paper.byline, paperStats(paper)].filter(Boolean).join(' · '))}</span></li>`,
  );
  const body = `<mj-text>
          <h1 ${H1}>Welcome to Daily Papers</h1>
          <p ${P}>${escapeHtml(expect)}</p>
          ${paperItems.length > 0 ? `<p ${P.replace('0 0 14px', '0 0 8px')}>${escapeHtml(sample)}</p><ol style="margin:0 0 14px;padding-left:22px">${paperItems.join('')}</ol>` : ''}
          <p ${P}>${escapeHtml(archive)} ${link(archiveUrl, escapeHtml(archiveUrl))}</p>
          <p ${P.replace('0 0 14px', '0')}>Change the frequency, pick keywords, set your time zone or pause the emails from your ${link(markers.preferencesUrl, 'preferences')} at any time.</p>
        </mj-text>
        <mj-button href="${markers.preferencesUrl}" padding="20px 28px 20px">Open your preferences</mj-button>`;
  const html = await renderMjml(
    layoutMjml({ title: WELCOME_SUBJECT, preview: expect, siteUrl, body, footer }),
  );

  const text = [
    'Welcome to Daily Papers',
    wrap(expect),
    ...(papers.length > 0
      ? [
          [
            sample,
            ...papers.map(
              (paper, index) =>
                `${index + 1}. ${paper.title}${paper.paperUrl ? `\n   ${paper.paperUrl}` : ''}`,
            ),
          ].join('\n'),
        ]
      : []),
    `${archive}\n${archiveUrl}`,
    `Change the frequency, pick keywords, set your time zone or pause the emails at any time:\n${markers.preferencesUrl}`,
    footerText(footer),
  ].join('\n\n');
  return { subject: WELCOME_SUBJECT, html, text: `${text}\n`, slotNonce };
}
