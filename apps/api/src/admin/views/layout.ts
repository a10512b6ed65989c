import { assetUrl } from '../../http/assets.ts';
import type { AdminSession, Notice } from '../session.ts';
import { type Html, html } from './html.ts';

export interface LayoutProps {
  title: string;
  /** Absent on the sign-in page. */
  session?: AdminSession;
  notice?: Notice;
  /** The navigation entry to mark as the current page. */
  section?: 'issues' | 'subscribers' | 'papers';
}

const SECTIONS = [
  ['issues', 'Issues', '/admin/issues'],
  ['subscribers', 'Subscribers', '/admin/subscribers'],
  ['papers', 'Papers', '/admin/papers'],
] as const;

/** Every console page: no inline script or style, so a strict Content-Security-Policy holds. */
export function layout({ title, session, notice, section }: LayoutProps, body: Html): Html {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta name="robots" content="noindex" />
    <title>${title} · Daily Papers admin</title>
    <link rel="icon" type="image/svg+xml" href="${assetUrl('favicon.svg')}" />
    <link rel="stylesheet" href="${assetUrl('admin.css')}" />
    <script src="${assetUrl('admin.js')}" defer></script>
  </head>
  <body>
    <a class="skip" href="#main">Skip to content</a>
    <header class="bar">
      <a class="brand" href="/admin">Daily Papers <span>admin</span></a>
      ${session ? navigation(session, section) : ''}
    </header>
    <main id="main">
      <h1>${title}</h1>
      ${notice ? noticeBox(notice) : ''}
      ${body}
    </main>
  </body>
</html>`;
}

function navigation(session: AdminSession, section: LayoutProps['section']): Html {
  return html`<nav aria-label="Console">
        ${SECTIONS.map(
          ([key, label, href]) =>
            html`<a href="${href}"${section === key ? html` aria-current="page"` : ''}>${label}</a>`,
        )}
        <a href="/admin/queues">Queues</a>
      </nav>
      <form method="post" action="/admin/logout" class="signout">
        ${csrf(session)}
        <button type="submit" class="link">Sign out</button>
      </form>`;
}

function noticeBox(notice: Notice): Html {
  const role = notice.kind === 'error' ? 'alert' : 'status';
  return html`<p class="notice ${notice.kind}" role="${role}">${notice.text}</p>`;
}

/** The hidden field every console form carries. */
export function csrf(session: AdminSession): Html {
  return html`<input type="hidden" name="_csrf" value="${session.csrfToken}" />`;
}

/** A page saying what went wrong, with the way back. */
export function errorPage(message: string, session: AdminSession | undefined): Html {
  return layout(
    { title: 'That did not work', session, notice: { kind: 'error', text: message } },
    html`<p><a href="${session ? '/admin' : '/admin/login'}">Back to the console</a></p>`,
  );
}
