import { AppError, dateInZone, isoDateSchema, parseInput } from '@digest/core';
import { listDeliveries, listSubscribers } from '@digest/db';
import {
  controlIssue,
  type DigestContext,
  type IssueAction,
  importPapers,
  issueReport,
  requestBuild,
  resendIssue,
} from '@digest/digest';
import { cadenceSchema, emailSchema, eraseSubscriber } from '@digest/subscribers';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { readJson } from '../http/input.ts';

export const triggerSchema = z.object({
  date: isoDateSchema.optional(),
  cadence: cadenceSchema.default('daily'),
});

/** Exactly one of the selections: an empty body resends nothing (resendIssue says so). */
export const resendSchema = z.strictObject({
  cadence: cadenceSchema.default('daily'),
  emails: z.array(emailSchema).min(1).max(10_000).optional(),
  failedOnly: z.literal(true).optional(),
  missingOnly: z.literal(true).optional(),
  all: z.literal(true).optional(),
});

export const controlSchema = z.strictObject({ cadence: cadenceSchema.default('daily') });

const pageSchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export const subscriberQuerySchema = pageSchema.extend({
  status: z.enum(['pending', 'active', 'unsubscribed', 'bounced', 'complained']).optional(),
});

export const issueQuerySchema = pageSchema.extend({
  cadence: cadenceSchema.default('daily'),
  deliveries: z.enum(['0', '1', 'true', 'false']).default('0'),
});

export function adminRoutes(ctx: DigestContext) {
  const control = async (c: Context, action: IssueAction) => {
    const date = parseInput(isoDateSchema, c.req.param('date'), 'date');
    const { cadence } = parseInput(controlSchema, await readJson(c), `${action} request`);
    return c.json({ date, cadence, ...(await controlIssue(ctx, { cadence, date }, action)) });
  };
  return new Hono()
    .post('/papers', async (c) => {
      const body = await readJson(c);
      if (!Array.isArray(body)) {
        throw new AppError(
          'invalid_input',
          'Expected a JSON array of papers (daily_papers items or flat paper objects).',
        );
      }
      const result = await importPapers(ctx.db, body, { timeZone: ctx.settings.timeZone });
      return c.json(result);
    })

    .post('/digests', async (c) => {
      const request = parseInput(triggerSchema, await readJson(c), 'digest request');
      const key = {
        cadence: request.cadence,
        date: request.date ?? dateInZone(new Date(), ctx.settings.timeZone),
      };
      const job = await requestBuild(ctx, key);
      return c.json({ ...key, jobId: job.id, status: 'queued' }, 202);
    })

    .get('/digests/:date', async (c) => {
      const date = parseInput(isoDateSchema, c.req.param('date'), 'date');
      const query = parseInput(issueQuerySchema, c.req.query(), 'query');
      const report = await issueReport(ctx, { cadence: query.cadence, date });
      if (query.deliveries !== '1' && query.deliveries !== 'true') return c.json(report);
      const recipients = await listDeliveries(ctx.db, report.id, query);
      return c.json({ ...report, recipients });
    })

    .post('/digests/:date/resend', async (c) => {
      const date = parseInput(isoDateSchema, c.req.param('date'), 'date');
      const request = parseInput(resendSchema, await readJson(c), 'resend request');
      const result = await resendIssue(ctx, { ...request, date });
      return c.json({ date, cadence: request.cadence, ...result }, 202);
    })

    .post('/digests/:date/pause', (c) => control(c, 'pause'))
    .post('/digests/:date/resume', (c) => control(c, 'resume'))
    .post('/digests/:date/cancel', (c) => control(c, 'cancel'))

    .get('/subscribers', async (c) => {
      const query = parseInput(subscriberQuerySchema, c.req.query(), 'query');
      const subscribers = await listSubscribers(ctx.db, query);
      return c.json({
        subscribers: subscribers.map((subscriber) => ({
          email: subscriber.email,
          status: subscriber.status,
          cadence: subscriber.cadence,
          keywords: subscriber.keywords,
          size: subscriber.papers_per_email,
          paused: subscriber.paused_at !== null,
          timezone: subscriber.timezone,
          consentSource: subscriber.consent_source,
          createdAt: subscriber.created_at,
          confirmedAt: subscriber.confirmed_at,
          unsubscribedAt: subscriber.unsubscribed_at,
        })),
        limit: query.limit,
        offset: query.offset,
      });
    })

    .delete('/subscribers/:email', async (c) => {
      const email = parseInput(emailSchema, c.req.param('email'), 'email');
      await eraseSubscriber(ctx, email);
      return c.body(null, 204);
    });
}
