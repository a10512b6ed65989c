const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for use in HTML element content and in quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char] ?? char);
}

/**
 * A run of control characters (CR, LF, tab, NEL…) or Unicode line/paragraph separators, with any
 * whitespace around it.
 */
const LINE_BREAKS = /\s*[\p{Cc}\p{Zl}\p{Zp}][\s\p{Cc}\p{Zl}\p{Zp}]*/gu;

/** One line of text, safe for a mail header such as Subject: every line break becomes one space. */
export function stripLineBreaks(text: string): string {
  return text.replace(LINE_BREAKS, ' ').trim();
}
