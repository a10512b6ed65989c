import { createHash } from 'node:crypto';
import { isIsoDate, oneLine } from '@digest/core';
import type { NewPaper } from '@digest/db';
import { safeHttpUrl } from '@digest/email';
import { z } from 'zod';

/**
 * Paper text as one line, without bidirectional controls (U+202A–202E, U+2066–2069): an
 * override in a title would reorder what is shown after it (an upvote count, a link), and
 * right-to-left scripts need none of them.
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069]/g;
const plainText = (text: string | null | undefined) => oneLine(text?.replace(BIDI_CONTROLS, ''));

/**
 * The two shapes papers arrive in: Hugging Face `daily_papers` items (`{ paper: {...}, ... }`)
 * and flat objects like the Daily Papers page export. Unknown fields are ignored.
 */
const text = z.string().trim();
/** Text of at most `max` characters, refused beyond with its length named. */
const bounded = (max: number) => text.max(max, `longer than ${max} characters`);
// A lone surrogate would throw where an id goes into a URL (the paper's page, its thumbnail);
// a NUL is refused by Postgres.
const key = bounded(200)
  .refine((value) => value.isWellFormed(), 'not well-formed Unicode (a lone surrogate)')
  .refine((value) => !/\p{Cc}/u.test(value), 'contains a control character');
const titleText = bounded(1000);
const summaryText = bounded(20_000);
// Bounds on what a paper may carry: each paper's text is searched whole (searchArchive).
const aiSummaryText = bounded(5000);
const nameText = bounded(300);
const urlText = bounded(2048);
const keywordList = z.array(nameText).max(100, 'more than 100 keywords');
/** Author names kept per paper (the count keeps them all): mail and pages show the first few. */
const AUTHORS_KEPT = 100;
const MOST_AUTHORS = 10_000;
/** Counts are Postgres `integer` columns: anything larger is refused here, with its record's index. */
const MAX_COUNT = 2_147_483_647;
const optionalNumber = z.number().int().nonnegative().max(MAX_COUNT, `at most ${MAX_COUNT}`).nullish();
/** Dates outside these years are typos or attacks (JavaScript reaches 275760; Postgres and readers do not). */
const FIRST_YEAR = 1970;
const LAST_YEAR = 9999;
const timestamp = z
  .union([z.string(), z.number()])
  .nullish()
  .refine(isPlausibleDate, `a date between ${FIRST_YEAR} and ${LAST_YEAR}`);

const hfAuthor = z.object({ name: nameText.optional(), hidden: z.boolean().optional() }).loose();
const authorList = <T extends z.ZodType>(author: T) =>
  z.array(author).max(MOST_AUTHORS, `more than ${MOST_AUTHORS} authors`).nullish();

const hfItem = z
  .object({
    title: titleText.nullish(),
    summary: summaryText.nullish(),
    publishedAt: timestamp,
    numComments: optionalNumber,
    paper: z
      .object({
        id: key.nullish(),
        title: titleText.nullish(),
        summary: summaryText.nullish(),
        upvotes: optionalNumber,
        publishedAt: timestamp,
        submittedOnDailyAt: timestamp,
        authors: authorList(hfAuthor),
        githubRepo: urlText.nullish(),
        ai_summary: aiSummaryText.nullish(),
        ai_keywords: keywordList.nullish(),
      })
      .loose(),
  })
  .loose();

const flatPaper = z
  .object({
    id: key.nullish(),
    arxivId: key.nullish(),
    title: titleText.nullish(),
    summary: summaryText.nullish(),
    authors: authorList(z.union([nameText, hfAuthor])),
    authorCount: optionalNumber,
    organization: z
      .union([nameText, z.object({ name: nameText.nullish(), fullname: nameText.nullish() }).loose()])
      .nullish(),
    publishedAt: timestamp,
    featuredAt: timestamp,
    submittedOnDailyAt: timestamp,
    upvotes: optionalNumber,
    numComments: optionalNumber,
    url: urlText.nullish(),
    paperUrl: urlText.nullish(),
    codeUrl: urlText.nullish(),
    githubRepo: urlText.nullish(),
    aiSummary: aiSummaryText.nullish(),
    ai_summary: aiSummaryText.nullish(),
    aiKeywords: keywordList.nullish(),
    ai_keywords: keywordList.nullish(),
  })
  .loose();

export interface RejectedRecord {
  index: number;
  title?: string;
  reason: string;
}

export interface NormalisedPapers {
  papers: NewPaper[];
  rejected: RejectedRecord[];
}

/**
 * Maps an untrusted JSON array to paper rows. Records that cannot be used are reported with their
 * index and reason and left out; the rest are kept. Later records win over earlier ones with the
 * same key. `timeZone` dates a bare `YYYY-MM-DD` feature date at that zone's midnight.
 */
export function normalisePapers(input: unknown, timeZone: string): NormalisedPapers {
  if (!Array.isArray(input)) {
    throw new TypeError(
      'expected a JSON array of papers (Hugging Face daily_papers items or flat paper objects)',
    );
  }
  const byKey = new Map<string, NewPaper>();
  const rejected: RejectedRecord[] = [];
  input.forEach((record, index) => {
    const result = normaliseRecord(record, timeZone);
    if ('reason' in result) rejected.push({ index, ...result });
    else byKey.set(result.external_id, result);
  });
  return { papers: [...byKey.values()], rejected };
}

function normaliseRecord(record: unknown, timeZone: string): NewPaper | Omit<RejectedRecord, 'index'> {
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { reason: 'not an object' };
  }
  const isHf = 'paper' in record && typeof record.paper === 'object' && record.paper !== null;
  return isHf ? fromHfItem(record, timeZone) : fromFlat(record, timeZone);
}

function fromHfItem(record: object, timeZone: string): NewPaper | Omit<RejectedRecord, 'index'> {
  const parsed = hfItem.safeParse(record);
  if (!parsed.success) return { reason: describeIssue(parsed.error) };
  const { paper, ...item } = parsed.data;
  const title = plainText(paper.title || item.title);
  if (!title) return { reason: 'no title' };
  const featuredAt = toInstant(paper.submittedOnDailyAt ?? item.publishedAt, timeZone);
  if (!featuredAt)
    return {
      title: title,
      reason: 'no date it was featured that can be read (paper.submittedOnDailyAt or publishedAt)',
    };
  const authors = (paper.authors ?? [])
    .filter((author) => !author.hidden)
    .map((author) => plainText(author.name))
    .filter(Boolean);
  return {
    external_id: paper.id || derivedKey(title),
    title,
    summary: plainText(paper.summary || item.summary),
    authors: authors.slice(0, AUTHORS_KEPT),
    author_count: authors.length || null,
    organization: null,
    published_on: toDate(paper.publishedAt),
    featured_at: featuredAt,
    upvotes: paper.upvotes ?? 0,
    num_comments: item.numComments ?? 0,
    paper_url: paper.id ? `https://huggingface.co/papers/${encodeURIComponent(paper.id)}` : null,
    code_url: safeHttpUrl(paper.githubRepo),
    ai_summary: plainText(paper.ai_summary) || null,
    ai_keywords: (paper.ai_keywords ?? []).map(plainText).filter(Boolean),
  };
}

function fromFlat(record: object, timeZone: string): NewPaper | Omit<RejectedRecord, 'index'> {
  const parsed = flatPaper.safeParse(record);
  if (!parsed.success) return { reason: describeIssue(parsed.error) };
  const paper = parsed.data;
  const title = plainText(paper.title);
  if (!title) return { reason: 'no title' };
  const featuredAt = toInstant(paper.featuredAt ?? paper.submittedOnDailyAt ?? paper.publishedAt, timeZone);
  if (!featuredAt)
    return { title, reason: 'no date that can be read (featuredAt, submittedOnDailyAt or publishedAt)' };
  const authors = (paper.authors ?? [])
    .map((author) => plainText(typeof author === 'string' ? author : author.name))
    .filter(Boolean);
  const organization =
    typeof paper.organization === 'string'
      ? paper.organization
      : paper.organization?.fullname || paper.organization?.name || null;
  return {
    external_id: paper.arxivId || paper.id || derivedKey(title),
    title,
    summary: plainText(paper.summary),
    authors: authors.slice(0, AUTHORS_KEPT),
    author_count: paper.authorCount ?? (authors.length || null),
    organization: plainText(organization) || null,
    published_on: toDate(paper.publishedAt),
    featured_at: featuredAt,
    upvotes: paper.upvotes ?? 0,
    num_comments: paper.numComments ?? 0,
    paper_url: safeHttpUrl(paper.paperUrl ?? paper.url),
    code_url: safeHttpUrl(paper.codeUrl ?? paper.githubRepo),
    ai_summary: plainText(paper.aiSummary ?? paper.ai_summary) || null,
    ai_keywords: (paper.aiKeywords ?? paper.ai_keywords ?? []).map(plainText).filter(Boolean),
  };
}

/** A stable key for papers without an id: the same title (ignoring case, spacing, punctuation) maps to the same key. */
export function derivedKey(title: string): string {
  const normalised = title
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  return `title:${createHash('sha256').update(normalised).digest('hex').slice(0, 24)}`;
}

type DateValue = string | number | null | undefined;
/** The calendar date an ISO 8601 text starts with, which must be a real one: `new Date` would roll 02-30 over to March. */
const ISO_DAY = /^(\d{4}-\d{2}-\d{2})(?:$|[Tt ])/;

/** Absent or unreadable values pass (the mapping decides what they mean); readable ones must be in range. */
function isPlausibleDate(value: DateValue): boolean {
  if (value === null || value === undefined || value === '') return true;
  const year = readInstant(value)?.getUTCFullYear();
  return year === undefined || (year >= FIRST_YEAR && year <= LAST_YEAR);
}

/**
 * The instant a date means (a bare date as UTC midnight), or undefined when it means none: an
 * ISO date that is no real day, a string of digits alone (`new Date('1')` is 2001), garbage.
 */
function readInstant(value: string | number): Date | undefined {
  if (typeof value === 'string') {
    const day = ISO_DAY.exec(value)?.[1];
    if (day ? !isIsoDate(day) : /^\s*\d+\s*$/.test(value)) return undefined;
  }
  const instant = new Date(typeof value === 'string' && isIsoDate(value) ? `${value}T00:00:00Z` : value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

/** A bare date means midnight in the digest's time zone; anything else must be a full timestamp. */
function toInstant(value: DateValue, timeZone: string): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string' && isIsoDate(value)) return zonedMidnight(value, timeZone);
  return readInstant(value);
}

function toDate(value: DateValue): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string' && isIsoDate(value)) return value;
  return readInstant(value)?.toISOString().slice(0, 10) ?? null;
}

/** The instant a calendar day starts in `timeZone`. */
function zonedMidnight(date: string, timeZone: string): Date | undefined {
  const utcMidnight = new Date(`${date}T00:00:00Z`);
  if (Number.isNaN(utcMidnight.getTime())) return undefined;
  // The zone's offset at that moment, from how the zone displays it (DST-aware).
  const shown = new Date(utcMidnight.toLocaleString('en-US', { timeZone }));
  const utcShown = new Date(utcMidnight.toLocaleString('en-US', { timeZone: 'UTC' }));
  return new Date(utcMidnight.getTime() - (shown.getTime() - utcShown.getTime()));
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid record';
  return `${issue.path.map(String).join('.') || 'record'}: ${issue.message}`;
}
