import { escapeHtml } from '../html.ts';
import type { BodyPart } from '../mime.ts';
import { renderMjml } from '../render.ts';
import { type LayoutOptions, layoutMjml } from './layout.ts';
import { newSlotNonce } from './placeholders.ts';

/**
 * What the mails sharing one shell differ in: plain text for the first two, HTML for the content
 * (no MJML tags or Outlook conditional comments in it: MJML would rework those, a fill does not).
 */
export interface ShellFills {
  title: string;
  preview: string;
  content: string;
}

type FillName = keyof ShellFills;
const FILL_NAMES: readonly FillName[] = ['title', 'preview', 'content'];

export interface ShellLayout extends Omit<LayoutOptions, 'title' | 'preview' | 'body'> {
  /** The MJML around the content, e.g. an mj-text: MJML must pass its inner HTML as it stands. */
  body: (content: string) => string;
}

/**
 * A layout rendered by MJML once and cut where its mails differ, so that many mails of one
 * layout (an issue's personal editions) cost a join each, not a render each.
 */
export interface MailShell {
  /** Fixed HTML at even indexes, the name of what goes between at odd ones. */
  readonly pieces: readonly string[];
}

export async function renderShell({ body, ...layout }: ShellLayout): Promise<MailShell> {
  // A fresh nonce after the mail's data exists: nothing it holds can spell a marker, and the
  // cut happens before anything is filled in.
  const nonce = newSlotNonce();
  const marker = (name: FillName) => `{{shell_${name}:${nonce}}}`;
  const html = await renderMjml(
    layoutMjml({
      ...layout,
      title: marker('title'),
      preview: marker('preview'),
      body: body(marker('content')),
    }),
  );
  const names = new Map(FILL_NAMES.map((name) => [marker(name), name]));
  const pieces = html
    .split(new RegExp(`(\\{\\{shell_(?:${FILL_NAMES.join('|')}):${nonce}\\}\\})`))
    .map((piece, index) => (index % 2 === 1 ? (names.get(piece) as FillName) : piece));
  // A layout (or an MJML) that dropped or moved a marker would send mails without their content.
  const lost = FILL_NAMES.filter((name) => !pieces.some((piece, index) => index % 2 === 1 && piece === name));
  if (lost.length > 0) throw new Error(`the rendered layout has no place for: ${lost.join(', ')}`);
  return { pieces };
}

/**
 * The mail of `shell` with `fills`, in parts: joined, what MJML renders for the whole layout with
 * them. The shell's own pieces are marked recurring: every mail of the shell shares their
 * encoding (compileMessage).
 */
export function fillShell({ pieces }: MailShell, fills: ShellFills): BodyPart[] {
  // MJML trims the title and what its ending tags (mj-text, mj-raw) hold.
  const html: Record<FillName, string> = {
    title: escapeHtml(fills.title.trim()),
    preview: escapeHtml(fills.preview),
    content: fills.content.trim(),
  };
  return pieces.map((piece, index) => (index % 2 === 1 ? html[piece as FillName] : { recurring: piece }));
}
