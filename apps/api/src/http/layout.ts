import { html } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';
import { type AssetName, assetUrl } from './assets.ts';

export type Content = HtmlEscapedString | Promise<HtmlEscapedString> | string;

export interface PageOptions {
  /** A one-column page for forms and messages; landing and archive pages use the full width. */
  narrow?: boolean;
  /** Plain text for the description meta tag. */
  description?: string;
  /** Extra head elements (canonical link, Open Graph tags). */
  head?: Content;
  /** External scripts only: the site's Content-Security-Policy allows no inline script. */
  scripts?: AssetName[];
  /** The navigation entry of this page. */
  current?: 'archive' | 'subscribe';
}

/** A complete page; every interpolated value is escaped by hono/html unless wrapped in `raw`. */
export function page(title: string, body: Content, options: PageOptions = {}) {
  const nav = (href: string, label: string, key: PageOptions['current']) =>
    html`<a href="${href}" ${options.current === key ? html`aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="color-scheme" content="light dark" />
    <title>${title} · Daily Papers</title>
    ${options.description ? html`<meta name="description" content="${options.description}" />` : ''}
    <link rel="icon" type="image/svg+xml" href="${assetUrl('favicon.svg')}" />
    <link rel="stylesheet" href="${assetUrl('site.css')}" />
    <link rel="alternate" type="application/rss+xml" title="Daily Papers" href="/archive.xml" />
    ${options.head ?? ''}
  </head>
  <body>
    <a class="skip" href="#content">Skip to content</a>
    <header class="site-header">
      <a class="brand" href="/">Daily <span>Papers</span></a>
      <nav aria-label="Site">${nav('/archive', 'Archive', 'archive')}${nav('/', 'Subscribe', 'subscribe')}</nav>
    </header>
    <main id="content" ${options.narrow ? html`class="narrow"` : ''}>${body}</main>
    <footer class="site-footer">
      <p>The most upvoted research papers of the day, by email. <a href="/archive">Past issues</a> · <a href="/archive.xml">RSS feed</a></p>
    </footer>
    ${(options.scripts ?? []).map((name) => html`<script src="${assetUrl(name)}" defer></script>`)}
  </body>
</html>`;
}

/** A short page with one message and, optionally, what to do next. */
export function messagePage(title: string, message: Content, extra: Content = '') {
  return page(title, html`<h1>${title}</h1><p>${message}</p>${extra}`, { narrow: true });
}
