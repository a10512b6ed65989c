/** Shared by the mail templates and the database, so neither has to import the other. */

export type Cadence = 'daily' | 'weekly';

/** The most papers one email may carry (the `papers_per_email` check of the schema). */
export const MAX_PAPERS_PER_EMAIL = 50;

/** The papers of an issue, frozen as they were when it was built. */
export interface IssuePaper {
  externalId: string;
  title: string;
  summary: string;
  authors: string[];
  authorCount: number | null;
  organization: string | null;
  publishedOn: string | null;
  featuredAt: string;
  upvotes: number;
  numComments: number;
  paperUrl: string | null;
  codeUrl: string | null;
  aiSummary: string | null;
  aiKeywords: string[];
}
