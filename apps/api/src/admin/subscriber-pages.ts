import { AppError, dateInZone, isoDateSchema } from '@digest/core';
import { findSubscriberById, listSubscriberDeliveries, type Subscriber, searchSubscribers } from '@digest/db';
import type { DigestContext } from '@digest/digest';
import { cadenceSchema } from '@digest/subscribers';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { SUBSCRIBER_ACTIONS, type SubscriberActionInput, type SubscriberActionName } from './actions.ts';
import { readConsoleForm, readQuery } from './forms.ts';
import type { AdminEnv } from './guard.ts';
import type { AdminSessions } from './session.ts';
import { confirmPage } from './views/confirm.ts';
import { SUBSCRIBER_STATUSES, subscriberPage, subscriberPath, subscribersPage } from './views/subscribers.ts';

const SUBSCRIBERS_PER_PAGE = 50;
const HISTORY_SHOWN = 100;

const searchSchema = z.object({
  q: z.string().trim().max(254).optional(),
  status: z.enum(SUBSCRIBER_STATUSES).optional(),
  cadence: cadenceSchema.optional(),
  after: z.string().max(254).optional(),
});

const actionNames = Object.keys(SUBSCRIBER_ACTIONS) as [SubscriberActionName, ...SubscriberActionName[]];
const actionSchema = z
  .object({
    action: z.enum(actionNames),
    date: isoDateSchema.optional(),
    cadence: cadenceSchema.optional(),
    typed: z.string().optional(),
  })
  .refine((input) => input.action !== 'resend' || input.date !== undefined, {
    error: 'choose the date of the issue to resend',
    path: ['date'],
  });
type ActionRequest = z.output<typeof actionSchema>;

const idSchema = z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/** Subscriber search, a subscriber's page, and its confirm-then-act actions. */
export function subscriberPages(ctx: DigestContext, sessions: AdminSessions) {
  const subscriberOf = async (c: Context): Promise<Subscriber> => {
    const id = idSchema.safeParse(c.req.param('id'));
    const subscriber = id.success ? await findSubscriberById(ctx.db, id.data) : undefined;
    if (!subscriber) throw new AppError('not_found', 'No such subscriber (erased, perhaps).');
    return subscriber;
  };
  const inputOf = (request: ActionRequest): SubscriberActionInput => ({
    issue: request.date ? { date: request.date, cadence: request.cadence ?? 'daily' } : undefined,
  });

  return new Hono<AdminEnv>()
    .get('/', async (c) => {
      const filter = readQuery(c, searchSchema);
      const page = await searchSubscribers(ctx.db, {
        emailPrefix: filter.q,
        status: filter.status,
        cadence: filter.cadence,
        after: filter.after,
        limit: SUBSCRIBERS_PER_PAGE,
      });
      return c.html(
        subscribersPage({ session: c.get('session'), notice: sessions.takeNotice(c), filter, page }),
      );
    })

    .get('/:id', async (c) => {
      const subscriber = await subscriberOf(c);
      const history = await listSubscriberDeliveries(ctx.db, subscriber.id, HISTORY_SHOWN);
      return c.html(
        subscriberPage({
          session: c.get('session'),
          notice: sessions.takeNotice(c),
          subscriber,
          history,
          today: dateInZone(new Date(), ctx.settings.timeZone),
        }),
      );
    })

    .get('/:id/confirm', async (c) => {
      const subscriber = await subscriberOf(c);
      const request = readQuery(c, actionSchema);
      const action = SUBSCRIBER_ACTIONS[request.action];
      const fields: Record<string, string> = { action: request.action };
      if (request.date) Object.assign(fields, { date: request.date, cadence: request.cadence ?? 'daily' });
      return c.html(
        confirmPage(c.get('session'), {
          title: action.title,
          question: action.question(subscriber, inputOf(request)),
          action: subscriberPath(subscriber, '/actions'),
          fields,
          confirmLabel: action.confirmLabel,
          cancelHref: subscriberPath(subscriber),
          danger: 'danger' in action,
          typed: request.action === 'erase' ? subscriber.email : undefined,
        }),
      );
    })

    .post('/:id/actions', async (c) => {
      const subscriber = await subscriberOf(c);
      const request = await readConsoleForm(sessions, c, actionSchema, 'action');
      if (
        request.action === 'erase' &&
        request.typed?.trim().toLowerCase() !== subscriber.email.toLowerCase()
      ) {
        throw new AppError(
          'invalid_input',
          `Type the address ${subscriber.email} exactly to erase it. Nothing was erased.`,
        );
      }
      const message = await SUBSCRIBER_ACTIONS[request.action].run(ctx, subscriber, inputOf(request));
      sessions.flash(c, { kind: 'success', text: message });
      return c.redirect(request.action === 'erase' ? '/admin/subscribers' : subscriberPath(subscriber), 303);
    });
}
