import type { HtmlEscapedString } from 'hono/utils/html';

/**
 * Markup built with hono's `html` tag, which escapes every interpolated value (JSX files would
 * need a build step: Node's type stripping runs .ts only).
 */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

export { html } from 'hono/html';
