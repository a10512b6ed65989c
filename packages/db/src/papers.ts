import { sql } from 'kysely';
import type { Db } from './client.ts';
import type { NewPaper, Paper } from './schema.ts';

export interface UpsertCounts {
  inserted: number;
  updated: number;
}

/**
 * Inserts new papers and refreshes known ones by `external_id`: a re-import updates upvotes and
 * metadata, never duplicates. The caller passes each external id at most once.
 */
export async function upsertPapers(db: Db, papers: NewPaper[]): Promise<UpsertCounts> {
  if (papers.length === 0) return { inserted: 0, updated: 0 };
  const rows = await db
    .insertInto('papers')
    .values(papers)
    .onConflict((conflict) =>
      conflict.column('external_id').doUpdateSet((eb) => ({
        title: eb.ref('excluded.title'),
        summary: eb.ref('excluded.summary'),
        authors: eb.ref('excluded.authors'),
        author_count: eb.ref('excluded.author_count'),
        organization: eb.ref('excluded.organization'),
        published_on: eb.ref('excluded.published_on'),
        featured_at: eb.ref('excluded.featured_at'),
        upvotes: eb.ref('excluded.upvotes'),
        num_comments: eb.ref('excluded.num_comments'),
        paper_url: eb.ref('excluded.paper_url'),
        code_url: eb.ref('excluded.code_url'),
        ai_summary: eb.ref('excluded.ai_summary'),
        ai_keywords: eb.ref('excluded.ai_keywords'),
        updated_at: sql<Date>`now()`,
      })),
    )
    // xmax is 0 only for a freshly inserted row version.
    .returning(sql<boolean>`(xmax = 0)`.as('inserted'))
    .execute();
  const inserted = rows.filter((row) => row.inserted).length;
  return { inserted, updated: rows.length - inserted };
}

export interface TrendingQuery {
  /** First calendar day of the period, inclusive (YYYY-MM-DD). */
  from: string;
  /** Last calendar day of the period, inclusive. */
  to: string;
  timeZone: string;
  limit: number;
}

/** The most upvoted papers featured within the period, days counted in `timeZone`. */
export async function selectTrendingPapers(db: Db, query: TrendingQuery): Promise<Paper[]> {
  const start = sql<Date>`(${query.from}::date)::timestamp at time zone ${query.timeZone}`;
  const end = sql<Date>`(${query.to}::date + 1)::timestamp at time zone ${query.timeZone}`;
  return db
    .selectFrom('papers')
    .selectAll()
    .where('featured_at', '>=', start)
    .where('featured_at', '<', end)
    .orderBy('upvotes', 'desc')
    .orderBy('num_comments', 'desc')
    .orderBy('featured_at', 'asc')
    .orderBy('id', 'asc')
    .limit(query.limit)
    .execute();
}

export async function countPapers(db: Db): Promise<number> {
  const { count } = await db
    .selectFrom('papers')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(count);
}

/** The most frequent `ai_keywords` of recent papers: suggestions for the signup form. */
export async function popularKeywords(db: Db, limit: number): Promise<string[]> {
  const rows = await db
    .selectFrom((eb) =>
      eb
        .selectFrom('papers')
        .select(sql<string>`lower(unnest(ai_keywords))`.as('keyword'))
        .orderBy('featured_at', 'desc')
        .limit(2000)
        .as('recent'),
    )
    .select(['keyword', (eb) => eb.fn.countAll().as('uses')])
    .where('keyword', '!=', '')
    // Only words the signup form would accept as keywords.
    .where(sql<boolean>`length(keyword) <= 40 and keyword !~ '[<>[:cntrl:]]'`)
    .groupBy('keyword')
    .orderBy('uses', 'desc')
    .orderBy('keyword')
    .limit(limit)
    .execute();
  return rows.map((row) => row.keyword);
}
