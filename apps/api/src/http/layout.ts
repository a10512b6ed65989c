import { html, raw } from 'hono/html';
import type { HtmlEscapedString } from 'hono/utils/html';

type Content = HtmlEscapedString | Promise<HtmlEscapedString> | string;

const STYLE = `
  body { font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1f2328; background: #f6f8fa; margin: 0; }
  main { max-width: 34rem; margin: 3rem auto; padding: 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; }
  h1 { font-size: 1.5rem; margin-top: 0; }
  label { display: block; margin: 1rem 0 .25rem; font-weight: 600; }
  input[type=email], input[type=text], input[type=number], select { width: 100%; box-sizing: border-box; padding: .5rem; font: inherit; border: 1px solid #d0d7de; border-radius: 6px; }
  button { margin-top: 1.25rem; padding: .6rem 1.2rem; font: inherit; color: #fff; background: #0969da; border: 0; border-radius: 6px; cursor: pointer; }
  .hint { color: #57606a; font-size: .9rem; }
  .error { color: #cf222e; }
  fieldset { border: 0; padding: 0; margin: 0; }
  a { color: #0969da; }
`;

/** A complete page; every interpolated value is escaped by hono/html unless wrapped in `raw`. */
export function page(title: string, body: Content) {
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title} · Daily Papers</title>
    <style>${raw(STYLE)}</style>
  </head>
  <body>
    <main>${body}</main>
  </body>
</html>`;
}

export function messagePage(title: string, message: string, extra: Content = '') {
  return page(title, html`<h1>${title}</h1><p>${message}</p>${extra}<p><a href="/">Daily Papers</a></p>`);
}
