import { FONT_STACK, PALETTE, RADIUS } from '../design.ts';
import { escapeHtml } from '../html.ts';
import type { SlotMarkers } from './placeholders.ts';

/** What every template returns: a one-line subject and the two MIME parts. */
export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
  /** The nonce of the per-recipient markers in `html` and `text`; null when there are none. */
  slotNonce: string | null;
}

export interface FooterLink {
  label: string;
  /** Already safe: an http(s) URL or a slot marker. */
  href: string;
}

/** The per-recipient links every mail to a subscriber carries. */
export function subscriberFooterLinks(markers: SlotMarkers): FooterLink[] {
  return [
    { label: 'Manage preferences', href: markers.preferencesUrl },
    { label: 'Unsubscribe', href: markers.unsubscribeUrl },
  ];
}

export interface Footer {
  /** Plain text, e.g. `You get this because you subscribed at`; followed by the site URL. */
  reason: string;
  siteUrl: string;
  links: FooterLink[];
  /** The sender's postal address (CAN-SPAM), MAIL_POSTAL_ADDRESS. */
  postalAddress?: string;
}

export interface LayoutOptions {
  /** Plain text: the document title (usually the subject). */
  title: string;
  /** Plain text: the inbox preview line. */
  preview: string;
  siteUrl: string;
  /** Plain text shown under the brand, e.g. the issue's date and number. */
  kicker?: string;
  /** MJML: the mj-text / mj-button elements of the content card. */
  body: string;
  footer: Footer;
}

/** Light colours inline (what every client shows); dark ones come from the style block. */
export const COLORS = PALETTE.light;
const DARK = PALETTE.dark;

/** Inline style of a link; inline so it survives clients that drop <style>. */
export const LINK_STYLE = `color:${COLORS.accent};text-decoration:underline`;

/** Classes the dark-mode styles recolour: text, muted text, link, surface, chip, button. */
export const CLASS = {
  text: 'dp-t',
  muted: 'dp-m',
  link: 'dp-a',
  surface: 'dp-s',
  chip: 'dp-c',
  button: 'dp-b',
};

export function link(
  href: string,
  label: string,
  style: string = LINK_STYLE,
  className: string = CLASS.link,
): string {
  return `<a href="${escapeHtml(href)}" class="${className}" style="${style}">${label}</a>`;
}

/** A small bordered button for secondary actions (Code), lighter than an mj-button. */
export function smallButton(href: string, label: string): string {
  const style = `display:inline-block;padding:6px 14px;border:1px solid ${COLORS.accent};border-radius:6px;color:${COLORS.accent};font-size:14px;font-weight:600;text-decoration:none`;
  return link(href, escapeHtml(label), style, `${CLASS.link} ${CLASS.button}`);
}

/**
 * Dark mode: Apple Mail and iOS follow prefers-color-scheme; Outlook.com marks its dark view with
 * [data-ogsc]/[data-ogsb]. Gmail drops these rules and inverts by itself, which the light colours,
 * all plain solids with 4.5:1 contrast, survive.
 */
function darkStyles(): string {
  const rules = (prefix: string) => `
      ${prefix}.dp-body, ${prefix}.dp-body > div, ${prefix}body { background-color: ${DARK.page} !important; }
      ${prefix}.${CLASS.surface}, ${prefix}.${CLASS.surface} > table, ${prefix}table.${CLASS.surface} { background-color: ${DARK.surface} !important; border-color: ${DARK.border} !important; }
      ${prefix}.${CLASS.text} { color: ${DARK.text} !important; }
      ${prefix}.${CLASS.muted} { color: ${DARK.muted} !important; }
      ${prefix}.${CLASS.link} { color: ${DARK.accent} !important; }
      ${prefix}.${CLASS.button} { border-color: ${DARK.accent} !important; }
      ${prefix}.${CLASS.chip} { background-color: ${DARK.chip} !important; color: ${DARK.text} !important; }
      ${prefix}.dp-cta a, ${prefix}.dp-cta td { background-color: ${DARK.accent} !important; color: ${DARK.onAccent} !important; }`;
  return `@media (prefers-color-scheme: dark) {${rules('')}
    }
    ${rules('[data-ogsc] ')}`;
}

function footerMjml({ reason, siteUrl, links, postalAddress }: Footer): string {
  const muted = `color:${COLORS.muted};text-decoration:underline`;
  const items = links
    .map(({ href, label }) => link(href, escapeHtml(label), muted, CLASS.muted))
    .join(' &middot; ');
  return `<mj-section padding="20px 0 36px">
      <mj-column>
        <mj-text font-size="13px" line-height="1.6" color="${COLORS.muted}" align="center" css-class="${CLASS.muted}">
          <p class="${CLASS.muted}" style="margin:0">${escapeHtml(reason)} ${link(siteUrl, escapeHtml(siteUrl.replace(/^https?:\/\/|\/$/g, '')), muted, CLASS.muted)}.</p>
          ${items && `<p class="${CLASS.muted}" style="margin:8px 0 0">${items}</p>`}
          ${postalAddress ? `<p class="${CLASS.muted}" style="margin:8px 0 0">${escapeHtml(postalAddress)}</p>` : ''}
        </mj-text>
      </mj-column>
    </mj-section>`;
}

/**
 * The inbox preview line, hidden in the body. Written by hand rather than with mj-preview, whose
 * white-on-white text SpamAssassin scores as HTML_FONT_LOW_CONTRAST; the padding of
 * zero-width joiners keeps clients from pulling body text into the preview.
 */
function preheader(preview: string): string {
  return `<mj-raw><div style="display:none;max-height:0;max-width:0;overflow:hidden;mso-hide:all">${escapeHtml(preview)}${'&#8199;&#847; '.repeat(30)}</div></mj-raw>`;
}

/** The whole MJML document: head (attributes, styles), brand header, content card, footer. */
export function layoutMjml({ title, preview, siteUrl, kicker, body, footer }: LayoutOptions): string {
  return `<mjml lang="en">
  <mj-head>
    <mj-title>${escapeHtml(title)}</mj-title>
    <mj-raw><meta name="color-scheme" content="light dark" /><meta name="supported-color-schemes" content="light dark" /></mj-raw>
    <mj-attributes>
      <mj-all font-family="${FONT_STACK}" />
      <mj-section padding="0" />
      <mj-column padding="0" />
      <mj-text font-size="16px" line-height="1.55" color="${COLORS.text}" padding="0 28px" />
      <mj-button background-color="${COLORS.accent}" color="${COLORS.onAccent}" font-size="16px" font-weight="600" border-radius="8px" inner-padding="13px 26px" padding="8px 28px 20px" align="left" css-class="dp-cta" />
    </mj-attributes>
    <mj-style>
      :root { color-scheme: light dark; supported-color-schemes: light dark; }
      a { color: ${COLORS.accent}; }
      @media only screen and (max-width: 480px) { h1 { font-size: 22px !important; } .dp-card-pad { padding: 14px !important; } .dp-narrow > div, td.dp-narrow { padding-left: 12px !important; padding-right: 12px !important; } }
      ${darkStyles()}
    </mj-style>
  </mj-head>
  <mj-body background-color="${COLORS.page}" width="600px" css-class="dp-body">
    ${preheader(preview)}
    <mj-section padding="28px 0 14px">
      <mj-column>
        <mj-text font-size="15px" line-height="1.4">
          <p style="margin:0;font-weight:700">${link(siteUrl, `Daily <span class="dp-a" style="color:${COLORS.accent}">Papers</span>`, `color:${COLORS.text};text-decoration:none`, CLASS.text)}</p>
          ${kicker ? `<p class="${CLASS.muted}" style="margin:2px 0 0;font-size:13px;color:${COLORS.muted}">${escapeHtml(kicker)}</p>` : ''}
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="${COLORS.surface}" border-radius="${RADIUS}" border="1px solid ${COLORS.border}" padding="28px 0 12px" css-class="${CLASS.surface}">
      <mj-column>
        ${body}
      </mj-column>
    </mj-section>
    ${footerMjml(footer)}
  </mj-body>
</mjml>
`;
}

/** The plain-text footer matching the HTML one. */
export function footerText({ reason, siteUrl, links, postalAddress }: Footer): string {
  return [
    '--',
    `${reason} ${siteUrl}`,
    ...links.map(({ label, href }) => `${label}: ${href}`),
    ...(postalAddress ? ['', postalAddress] : []),
  ].join('\n');
}

/** Shared inline styles of headings and paragraphs, with the classes dark mode recolours. */
export const H1 = `class="${CLASS.text}" style="margin:0 0 12px;font-size:24px;line-height:1.25;color:${COLORS.text}"`;
export const P = `class="${CLASS.text}" style="margin:0 0 14px;color:${COLORS.text}"`;
export const SMALL = `class="${CLASS.muted}" style="margin:0 0 14px;font-size:14px;color:${COLORS.muted}"`;
