import { parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml } from '../html.ts';
import { renderMjml } from '../render.ts';
import { wrap } from './format.ts';
import {
  type Footer,
  footerText,
  layoutMjml,
  link,
  type RenderedEmail,
  subscriberFooterLinks,
} from './layout.ts';
import { newSlotNonce, slotMarkers } from './placeholders.ts';
import { cadenceSchema, httpUrlSchema } from './schemas.ts';

export const welcomePropsSchema = z.object({
  cadence: cadenceSchema,
  siteUrl: httpUrlSchema,
  /** The web archive of past issues. */
  archiveUrl: httpUrlSchema,
});

export type WelcomeProps = z.input<typeof welcomePropsSchema>;

export const WELCOME_SUBJECT = "You're subscribed to Daily Papers";

/** Sent once the subscription is confirmed; carries the per-recipient slots like a digest. */
export async function renderWelcomeEmail(props: WelcomeProps): Promise<RenderedEmail> {
  const { cadence, siteUrl, archiveUrl } = parseInput(welcomePropsSchema, props, 'welcome email');
  const slotNonce = newSlotNonce();
  const markers = slotMarkers(slotNonce);
  const expect =
    cadence === 'weekly'
      ? 'Once a week you will receive one email with the most upvoted research papers of the week: titles, authors, short summaries and links to the paper and its code.'
      : 'Every morning you will receive one email with the most upvoted research papers of the day: titles, authors, short summaries and links to the paper and its code.';
  const archive = 'Past issues are in the archive:';
  const change = `You can change the frequency, pick keywords or pause the emails at any time:\n${markers.preferencesUrl}`;
  const footer: Footer = {
    reason: 'You receive this because you subscribed at',
    siteUrl,
    links: subscriberFooterLinks(markers),
  };

  const body = `<mj-text padding="0 24px 16px">
          <h1 style="margin:0 0 12px;font-size:22px;line-height:1.3">Your subscription is confirmed</h1>
          <p style="margin:0 0 12px">${escapeHtml(expect)}</p>
          <p style="margin:0 0 12px">${escapeHtml(archive)} ${link(archiveUrl, escapeHtml(archiveUrl))}</p>
          <p style="margin:0">You can change the frequency, pick keywords or pause the emails from your ${link(markers.preferencesUrl, 'preferences')} at any time.</p>
        </mj-text>`;
  const html = await renderMjml(
    layoutMjml({ title: WELCOME_SUBJECT, preview: expect, siteUrl, body, footer }),
  );

  const text = [
    'Your subscription is confirmed',
    wrap(expect),
    `${archive}\n${archiveUrl}`,
    change,
    footerText(footer),
  ].join('\n\n');
  return { subject: WELCOME_SUBJECT, html, text: `${text}\n`, slotNonce };
}
