import { parseInput } from '@digest/core';
import { z } from 'zod';
import { escapeHtml } from '../html.ts';
import { renderMjml } from '../render.ts';
import { wrap } from './format.ts';
import { COLORS, type Footer, footerText, H1, layoutMjml, P, type RenderedEmail } from './layout.ts';
import { httpUrlSchema } from './schemas.ts';

export const dataExportPropsSchema = z.object({
  /** Everything stored about the subscriber, as pretty-printed JSON. */
  json: z.string().max(512 * 1024),
  siteUrl: httpUrlSchema,
  postalAddress: z.string().optional(),
});

export type DataExportProps = z.input<typeof dataExportPropsSchema>;

export const DATA_EXPORT_SUBJECT = 'Your Daily Papers data';

/** The reader's data, asked for from the preferences page; mailed so only the inbox owner sees it. */
export async function renderDataExportEmail(props: DataExportProps): Promise<RenderedEmail> {
  const { json, siteUrl, postalAddress } = parseInput(dataExportPropsSchema, props, 'data export email');
  const intro =
    'You asked for a copy of everything Daily Papers stores about you: your address, your choices, your consent record and what we sent you. Here it is, as JSON.';
  const footer: Footer = {
    reason: 'You get this because someone asked for this address’s data at',
    siteUrl,
    links: [],
    postalAddress,
  };
  const body = `<mj-text>
          <h1 ${H1}>Your data</h1>
          <p ${P}>${escapeHtml(intro)}</p>
          <pre class="dp-c" style="margin:0 0 14px;padding:12px;font-size:12px;line-height:1.45;white-space:pre-wrap;word-break:break-all;background-color:${COLORS.chip};color:${COLORS.text};border-radius:6px">${escapeHtml(json)}</pre>
        </mj-text>`;
  const html = await renderMjml(
    layoutMjml({ title: DATA_EXPORT_SUBJECT, preview: intro, siteUrl, body, footer }),
  );
  const text = ['Your data', wrap(intro), json, footerText(footer)].join('\n\n');
  return { subject: DATA_EXPORT_SUBJECT, html, text: `${text}\n`, slotNonce: null };
}
