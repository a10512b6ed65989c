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
  /** Plain text, e.g. `You receive this because you subscribed at`; followed by the site URL. */
  reason: string;
  siteUrl: string;
  links: FooterLink[];
}

export interface LayoutOptions {
  /** Plain text: the document title (usually the subject). */
  title: string;
  /** Plain text: the inbox preview line. */
  preview: string;
  siteUrl: string;
  /** MJML: the mj-text / mj-button elements of the white content card. */
  body: string;
  footer: Footer;
}

export const COLORS = {
  text: '#1f2937',
  muted: '#6b7280',
  link: '#1d4ed8',
  rule: '#e5e7eb',
  page: '#f3f4f6',
  card: '#ffffff',
} as const;

const FONT_STACK = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif";

/** Inline style of a link; inline so it survives clients that drop <style>. */
export const LINK_STYLE = `color:${COLORS.link};text-decoration:underline`;

export function link(href: string, label: string, style: string = LINK_STYLE): string {
  return `<a href="${escapeHtml(href)}" style="${style}">${label}</a>`;
}

function footerMjml({ reason, siteUrl, links }: Footer): string {
  const muted = `color:${COLORS.muted};text-decoration:underline`;
  const items = links.map(({ href, label }) => link(href, escapeHtml(label), muted)).join(' &middot; ');
  return `<mj-section padding="16px 0 32px">
      <mj-column>
        <mj-text font-size="13px" color="${COLORS.muted}" align="center">
          <p style="margin:0">${escapeHtml(reason)} ${link(siteUrl, escapeHtml(siteUrl), muted)}.</p>
          ${items && `<p style="margin:8px 0 0">${items}</p>`}
        </mj-text>
      </mj-column>
    </mj-section>`;
}

/** The whole MJML document: head (attributes, styles), brand header, content card, footer. */
export function layoutMjml({ title, preview, siteUrl, body, footer }: LayoutOptions): string {
  return `<mjml lang="en">
  <mj-head>
    <mj-title>${escapeHtml(title)}</mj-title>
    <mj-preview>${escapeHtml(preview)}</mj-preview>
    <mj-attributes>
      <mj-all font-family="${FONT_STACK}" />
      <mj-section padding="0" />
      <mj-column padding="0" />
      <mj-text font-size="15px" line-height="1.55" color="${COLORS.text}" padding="0 24px" />
      <mj-button background-color="${COLORS.link}" color="#ffffff" font-size="15px" font-weight="600" border-radius="6px" inner-padding="12px 24px" padding="8px 24px 16px" align="left" />
    </mj-attributes>
    <mj-style>
      a { color: ${COLORS.link}; }
      @media only screen and (max-width: 480px) { h1 { font-size: 20px !important; } }
    </mj-style>
  </mj-head>
  <mj-body background-color="${COLORS.page}" width="600px">
    <mj-section padding="24px 0 12px">
      <mj-column>
        <mj-text font-size="14px" font-weight="700" color="${COLORS.muted}">
          ${link(siteUrl, 'Daily Papers', `color:${COLORS.muted};text-decoration:none`)}
        </mj-text>
      </mj-column>
    </mj-section>
    <mj-section background-color="${COLORS.card}" border-radius="8px" padding="24px 0 8px">
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
export function footerText({ reason, siteUrl, links }: Footer): string {
  return ['--', `${reason} ${siteUrl}`, ...links.map(({ label, href }) => `${label}: ${href}`)].join('\n');
}
