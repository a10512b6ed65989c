import { isIsoDate, oneLine } from '@digest/core';

/** Text helpers shared by the templates; everything here returns plain (unescaped) text. */

/**
 * Untrusted text (paper titles, summaries…) as one tidy line: whitespace and control characters
 * collapsed, and `{{` broken with a zero-width space so it can never form a per-recipient placeholder.
 */
export function cleanText(text: string): string {
  return oneLine(text).replaceAll('{{', '{\u200B{');
}

/**
 * Shortens `text` to at most `max` UTF-16 code units, cutting at a word boundary when one is
 * reasonably close and ending with an ellipsis. Never splits a surrogate pair.
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, Math.max(0, max - 1));
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  const space = cut.lastIndexOf(' ');
  if (space >= max * 0.6) cut = cut.slice(0, space);
  return `${cut.replace(/[\s.,;:!?\-–—]+$/u, '')}…`;
}

/** Greedy word wrap for the plain-text part; words longer than `width` (URLs) stay whole. */
export function wrap(text: string, width = 76): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (word === '') continue;
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines.join('\n');
}

/** The URL when it is an absolute http(s) URL, else null (drops javascript:, data:, relative…). */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  return parsed.href;
}

/** `2026-05-22` → `22 May 2026`; anything else is returned as it is. */
export function formatDate(isoDate: string): string {
  if (!isIsoDate(isoDate)) return isoDate;
  const date = new Date(`${isoDate}T00:00:00Z`);
  return date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}
