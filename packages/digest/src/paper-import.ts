import { createHash } from 'node:crypto';
import { isIsoDate, oneLine } from '@digest/core';
import type { NewPaper } from '@digest/db';
import { z } from 'zod';

/**
 * The two shapes papers arrive in: Hugging Face `daily_papers` items (`{ paper: {...}, ... }`)
 * and flat objects like the Daily Papers page export. Unknown fields are ignored.
 */
const text = z.string().trim();
// A lone surrogate would throw where an id goes into a URL (the paper's page, its thumbnail).
const key = text
  .max(200)
  .refine((value) => value.isWellFormed(), 'not well-formed Unicode (a lone surrogate)');
const titleText = text.max(1000, 'title longer than 1000 characters');
const summaryText = text.max(20_000, 'summary longer than 20000 characters');
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

const hfAuthor = z.object({ name: text.optional(), hidden: z.boolean().optional() }).loose();

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
        authors: z.array(hfAuthor).nullish(),
        githubRepo: text.nullish(),
        ai_summary: text.nullish(),
        ai_keywords: z.array(text).nullish(),
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
    authors: z.array(z.union([text, hfAuthor])).nullish(),
    authorCount: optionalNumber,
    organization: z
      .union([text, z.object({ name: text.nullish(), fullname: text.nullish() }).loose()])
      .nullish(),
    publishedAt: timestamp,
    featuredAt: timestamp,
    submittedOnDailyAt: timestamp,
    upvotes: optionalNumber,
    numComments: optionalNumber,
    url: text.nullish(),
    paperUrl: text.nullish(),
    codeUrl: text.nullish(),
    githubRepo: text.nullish(),
    aiSummary: text.nullish(),
    ai_summary: text.nullish(),
    aiKeywords: z.array(text).nullish(),
    ai_keywords: z.array(text).nullish(),
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
  const title = oneLine(paper.title || item.title);
  if (!title) return { reason: 'no title' };
  const featuredAt = toInstant(paper.submittedOnDailyAt ?? item.publishedAt, timeZone);
  if (!featuredAt)
    return { title: title, reason: 'no date it was featured (paper.submittedOnDailyAt or publishedAt)' };
  const authors = (paper.authors ?? [])
    .filter((author) => !author.hidden)
    .map((author) => oneLine(author.name))
    .filter(Boolean);
  return {
    external_id: paper.id || derivedKey(title),
    title,
    summary: oneLine(paper.summary || item.summary),
    authors,
    author_count: authors.length || null,
    organization: null,
    published_on: toDate(paper.publishedAt),
    featured_at: featuredAt,
    upvotes: paper.upvotes ?? 0,
    num_comments: item.numComments ?? 0,
    paper_url: paper.id ? `https://huggingface.co/papers/${encodeURIComponent(paper.id)}` : null,
    code_url: httpUrl(paper.githubRepo),
    ai_summary: oneLine(paper.ai_summary) || null,
    ai_keywords: (paper.ai_keywords ?? []).map(oneLine).filter(Boolean),
  };
}

function fromFlat(record: object, timeZone: string): NewPaper | Omit<RejectedRecord, 'index'> {
  const parsed = flatPaper.safeParse(record);
  if (!parsed.success) return { reason: describeIssue(parsed.error) };
  const paper = parsed.data;
  const title = oneLine(paper.title);
  if (!title) return { reason: 'no title' };
  const featuredAt = toInstant(paper.featuredAt ?? paper.submittedOnDailyAt ?? paper.publishedAt, timeZone);
  if (!featuredAt) return { title, reason: 'no date (publishedAt)' };
  const authors = (paper.authors ?? [])
    .map((author) => oneLine(typeof author === 'string' ? author : author.name))
    .filter(Boolean);
  const organization =
    typeof paper.organization === 'string'
      ? paper.organization
      : paper.organization?.fullname || paper.organization?.name || null;
  return {
    external_id: paper.arxivId || paper.id || derivedKey(title),
    title,
    summary: oneLine(paper.summary),
    authors,
    author_count: paper.authorCount ?? (authors.length || null),
    organization: oneLine(organization) || null,
    published_on: toDate(paper.publishedAt),
    featured_at: featuredAt,
    upvotes: paper.upvotes ?? 0,
    num_comments: paper.numComments ?? 0,
    paper_url: httpUrl(paper.paperUrl ?? paper.url),
    code_url: httpUrl(paper.codeUrl ?? paper.githubRepo),
    ai_summary: oneLine(paper.aiSummary ?? paper.ai_summary) || null,
    ai_keywords: (paper.aiKeywords ?? paper.ai_keywords ?? []).map(oneLine).filter(Boolean),
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

function httpUrl(value: string | null | undefined): string | null {
  if (!value) return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.toString() : null;
  } catch {
    return null;
  }
}

/** Absent or unreadable values pass (the mapping decides what they mean); readable ones must be in range. */
function isPlausibleDate(value: string | number | null | undefined): boolean {
  if (value === null || value === undefined || value === '') return true;
  const instant = new Date(typeof value === 'string' && isIsoDate(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(instant.getTime())) return true;
  const year = instant.getUTCFullYear();
  return year >= FIRST_YEAR && year <= LAST_YEAR;
}

/** A bare date means midnight in the digest's time zone; anything else must be a full timestamp. */
function toInstant(value: string | number | null | undefined, timeZone: string): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  if (typeof value === 'string' && isIsoDate(value)) return zonedMidnight(value, timeZone);
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? undefined : instant;
}

function toDate(value: string | number | null | undefined): string | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'string' && isIsoDate(value)) return value;
  const instant = new Date(value);
  return Number.isNaN(instant.getTime()) ? null : instant.toISOString().slice(0, 10);
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
