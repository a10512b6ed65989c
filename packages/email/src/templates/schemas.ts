import type { Cadence, IssuePaper } from '@digest/core';
import { z } from 'zod';

export const cadenceSchema = z.enum(['daily', 'weekly']) satisfies z.ZodType<Cadence>;

/** An absolute http(s) URL of our own (site, archive, confirmation link). */
export const httpUrlSchema = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });

/**
 * A paper as frozen in an issue. Its URLs are accepted as any string and dropped at render time
 * unless they are http(s), so one odd link never blocks an issue.
 */
export const issuePaperSchema = z.object({
  externalId: z.string(),
  title: z.string().trim().min(1),
  summary: z.string(),
  authors: z.array(z.string()),
  authorCount: z.number().int().nonnegative().nullable(),
  organization: z.string().nullable(),
  publishedOn: z.string().nullable(),
  featuredAt: z.string(),
  upvotes: z.number().int(),
  numComments: z.number().int(),
  paperUrl: z.string().nullable(),
  codeUrl: z.string().nullable(),
  aiSummary: z.string().nullable(),
  aiKeywords: z.array(z.string()),
}) satisfies z.ZodType<IssuePaper, IssuePaper>;
