import { parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml } from '../html.ts';
import { renderMjml } from '../render.ts';
import { wrap } from './format.ts';
import {
  COLORS,
  type Footer,
  footerText,
  H1,
  layoutMjml,
  link,
  P,
  type RenderedEmail,
  SMALL,
} from './layout.ts';
import { cadenceSchema, httpUrlSchema } from './schemas.ts';

export const confirmationPropsSchema = z.object({
  /** The page that confirms the subscription (`/confirm/<token>`). */
  confirmUrl: httpUrlSchema,
  cadence: cadenceSchema,
  /**
   * The keywords the signup asked for. Anyone can type an address into the form, so the mail
   * says what its owner confirms: they never get a filtered digest they did not see.
   */
  keywords: z.array(z.string()).default([]),
  siteUrl: httpUrlSchema,
  /** How long the link works, in hours. */
  validHours: z.number().int().positive().default(48),
  postalAddress: z.string().optional(),
});

export type ConfirmationProps = z.input<typeof confirmationPropsSchema>;

export const CONFIRMATION_SUBJECT = 'Confirm your Daily Papers subscription';

/** The double opt-in message: one button to confirm; ignoring it subscribes no one. */
export async function renderConfirmationEmail(props: ConfirmationProps): Promise<RenderedEmail> {
  const { confirmUrl, cadence, keywords, siteUrl, validHours, postalAddress } = parseInput(
    confirmationPropsSchema,
    props,
    'confirmation email',
  );
  const frequency = cadence === 'weekly' ? 'one email a week' : 'one email every morning';
  // Their count, never the keywords: anyone may type any address and any text at signup, and
  // that text must not reach an inbox that has not confirmed. The page the button opens lists them.
  const count = keywords.length === 1 ? 'the keyword' : `the ${keywords.length} keywords`;
  const matching =
    keywords.length > 0 ? ` matching ${count} chosen at signup (the confirmation page shows them)` : '';
  const what = `Someone, hopefully you, asked to receive Daily Papers at this address: ${frequency} with the most upvoted research papers${matching}.`;
  const action = 'Please confirm that you want these emails.';
  const expiry = `The link works for ${validHours} hours; after that, the page it opens can send you a new one.`;
  const fallback = 'If the button does not work, copy this link into your browser:';
  const ignore =
    'If you did not ask for this, ignore this message: you will not be subscribed and will receive nothing more from us.';
  const footer: Footer = {
    reason: 'This address was entered in the signup form at',
    siteUrl,
    links: [],
    postalAddress,
  };

  const body = `<mj-text>
          <h1 ${H1}>Confirm your subscription</h1>
          <p ${P}>${escapeHtml(what)}</p>
          <p ${P.replace('0 0 14px', '0')}>${escapeHtml(action)}</p>
        </mj-text>
        <mj-button href="${escapeHtml(confirmUrl)}">Confirm subscription</mj-button>
        <mj-text padding="0 28px 16px">
          <p ${SMALL}>${escapeHtml(expiry)}</p>
          <p ${SMALL}>${escapeHtml(fallback)}<br />${link(confirmUrl, escapeHtml(confirmUrl), `color:${COLORS.accent};word-break:break-all`)}</p>
          <p ${SMALL.replace('0 0 14px', '0')}>${escapeHtml(ignore)}</p>
        </mj-text>`;
  const html = await renderMjml(
    layoutMjml({ title: CONFIRMATION_SUBJECT, preview: `${action} ${expiry}`, siteUrl, body, footer }),
  );

  const text = [
    'Confirm your subscription',
    wrap(what),
    `${action} Open this link to confirm:\n${confirmUrl}`,
    wrap(expiry),
    wrap(ignore),
    footerText(footer),
  ].join('\n\n');
  return { subject: CONFIRMATION_SUBJECT, html, text: `${text}\n`, slotNonce: null };
}
