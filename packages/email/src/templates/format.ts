import { isIsoDate } from '@digest/core';

/** Text helpers shared by the templates; everything here returns plain (unescaped) text. */

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

/** A host name as the URL parser leaves it (lower case, IDN in punycode), or a bracketed IPv6 address. */
const PLAIN_HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]+\.?$|^\[[0-9a-f:.]+\]$/;
/** What RFC 3986 allows in a URL, `%` included; anything else is percent-encoded. */
const NOT_URL_CHARACTER = /[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/g;

/**
 * The URL normalised, when it is an absolute http(s) URL with a plain host name and no user name
 * or password, else null: drops javascript:, data:, relative URLs, and
 * `https://github.com@evil.example/`, which reads as one host and goes to another. Every
 * character RFC 3986 does not allow is percent-encoded, in the query and fragment too (which the
 * URL parser leaves alone), so `{`, `}`, quotes or spaces from paper data never reach the mail as
 * they are.
 */
export function safeHttpUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (!PLAIN_HOST.test(parsed.hostname) || parsed.username || parsed.password) return null;
  // The parser already encoded every non-ASCII character: what is left is one ASCII character.
  return parsed.href.replace(NOT_URL_CHARACTER, (char) => encodeURIComponent(char));
}

// Made once: toLocaleDateString builds a formatter at every call, which editions pay per paper.
const DAY_MONTH_YEAR = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});
const WEEKDAY_DAY_MONTH_YEAR = new Intl.DateTimeFormat('en-GB', {
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'UTC',
});

/** `2026-05-22` → `22 May 2026`; anything else is returned as it is. */
export function formatDate(isoDate: string): string {
  if (!isIsoDate(isoDate)) return isoDate;
  return DAY_MONTH_YEAR.format(new Date(`${isoDate}T00:00:00Z`));
}

/** `2026-05-22` → `Friday, 22 May 2026`. */
export function longDate(isoDate: string): string {
  return WEEKDAY_DAY_MONTH_YEAR.format(new Date(`${isoDate}T00:00:00Z`));
}

/**
 * The first sentences of `text` that fit in `max`: cut after a full stop, question or
 * exclamation mark, so an abstract never stops mid-thought; a first sentence too long for `max`
 * is truncated at a word instead.
 */
export function leadSentences(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max + 1);
  let end = -1;
  for (const match of head.matchAll(/[.!?](?=\s+[\p{Lu}\d("'“])/gu)) end = match.index + 1;
  return end >= max * 0.3 ? text.slice(0, end) : truncate(text, max);
}
