import { parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml } from '../html.ts';
import { renderMjml } from '../render.ts';
import { wrap } from './format.ts';
import { COLORS, type Footer, footerText, layoutMjml, link, type RenderedEmail } from './layout.ts';
import { cadenceSchema, httpUrlSchema } from './schemas.ts';

export const confirmationPropsSchema = z.object({
  /** The page that confirms the subscription (`/confirm/<token>`). */
  confirmUrl: httpUrlSchema,
  cadence: cadenceSchema,
  siteUrl: httpUrlSchema,
});

export type ConfirmationProps = z.input<typeof confirmationPropsSchema>;

export const CONFIRMATION_SUBJECT = 'Confirm your Daily Papers subscription';

/** The double opt-in message: one button to confirm; ignoring it subscribes no one. */
export async function renderConfirmationEmail(props: ConfirmationProps): Promise<RenderedEmail> {
  const { confirmUrl, cadence, siteUrl } = parseInput(confirmationPropsSchema, props, 'confirmation email');
  const frequency = cadence === 'weekly' ? 'one email a week' : 'one email every morning';
  const what = `Someone, hopefully you, asked to receive Daily Papers at this address: ${frequency} with the most upvoted research papers.`;
  const action = 'Please confirm that you want these emails.';
  const fallback = 'If the button does not work, copy this link into your browser:';
  const ignore =
    'If you did not ask for this, ignore this message: you will not be subscribed and will receive nothing more from us.';
  const footer: Footer = { reason: 'This address was entered in the signup form at', siteUrl, links: [] };

  const body = `<mj-text>
          <h1 style="margin:0 0 12px;font-size:22px;line-height:1.3">Confirm your subscription</h1>
          <p style="margin:0 0 12px">${escapeHtml(what)}</p>
          <p style="margin:0">${escapeHtml(action)}</p>
        </mj-text>
        <mj-button href="${escapeHtml(confirmUrl)}">Confirm subscription</mj-button>
        <mj-text font-size="13px" color="${COLORS.muted}" padding="0 24px 16px">
          <p style="margin:0 0 12px">${escapeHtml(fallback)}<br />${link(confirmUrl, escapeHtml(confirmUrl), `color:${COLORS.link};word-break:break-all`)}</p>
          <p style="margin:0">${escapeHtml(ignore)}</p>
        </mj-text>`;
  const html = await renderMjml(
    layoutMjml({ title: CONFIRMATION_SUBJECT, preview: action, siteUrl, body, footer }),
  );

  const text = [
    'Confirm your subscription',
    wrap(what),
    `${action} Open this link to confirm:\n${confirmUrl}`,
    wrap(ignore),
    footerText(footer),
  ].join('\n\n');
  return { subject: CONFIRMATION_SUBJECT, html, text: `${text}\n`, slotNonce: null };
}
