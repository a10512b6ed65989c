import { AppError, dateInZone, isoDateSchema } from '@digest/core';
import {
  type DigestContext,
  type IssueKey,
  issueLedger,
  listIssueOverviews,
  requireIssue,
} from '@digest/digest';
import { cadenceSchema, emailSchema } from '@digest/subscribers';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { ISSUE_ACTIONS, ISSUE_ACTIONS_WITH_EMAIL, type IssueActionName } from './actions.ts';
import { readConsoleForm, readQuery } from './forms.ts';
import type { AdminEnv } from './guard.ts';
import type { AdminSessions } from './session.ts';
import { confirmPage } from './views/confirm.ts';
import { DELIVERY_STATUSES, issuePage, issuePath, issuesPage } from './views/issues.ts';

const ISSUES_LISTED = 60;
const DELIVERIES_PER_PAGE = 50;

const keySchema = z.object({ cadence: cadenceSchema, date: isoDateSchema });
const actionNames = Object.keys(ISSUE_ACTIONS) as [IssueActionName, ...IssueActionName[]];
const actionSchema = z
  .object({ action: z.enum(actionNames), email: emailSchema.optional() })
  .refine((input) => input.email !== undefined || !ISSUE_ACTIONS_WITH_EMAIL.includes(input.action), {
    error: 'an address is needed',
    path: ['email'],
  });
const deliveryQuerySchema = z.object({
  status: z.enum(DELIVERY_STATUSES).optional(),
  q: z.string().trim().max(254).optional(),
  after: z.string().max(254).optional(),
});

/** The issues list, an issue's page, and the confirm-then-act flow of its buttons. */
export function issuePages(ctx: DigestContext, sessions: AdminSessions) {
  const issueKey = (c: Context): IssueKey => readParams(c, keySchema);
  return (
    new Hono<AdminEnv>()
      .get('/', async (c) => {
        const issues = await listIssueOverviews(ctx, ISSUES_LISTED);
        return c.html(
          issuesPage({
            session: c.get('session'),
            notice: sessions.takeNotice(c),
            issues,
            today: dateInZone(new Date(), ctx.settings.timeZone),
          }),
        );
      })

      // The list's "send an issue" form names its issue in the query.
      .get('/confirm', (c) => {
        const key = readQuery(c, keySchema);
        return c.redirect(`${issuePath(key, '/confirm')}?${new URLSearchParams(c.req.query())}`, 303);
      })

      .get('/:cadence/:date', async (c) => {
        const key = issueKey(c);
        const filter = readQuery(c, deliveryQuerySchema);
        const issue = await requireIssue(ctx, key);
        const ledger = await issueLedger(ctx, issue.id, {
          status: filter.status,
          emailPrefix: filter.q,
          after: filter.after,
          limit: DELIVERIES_PER_PAGE,
        });
        return c.html(
          issuePage({
            session: c.get('session'),
            notice: sessions.takeNotice(c),
            issueKey: key,
            issue,
            ledger,
            filter,
          }),
        );
      })

      .get('/:cadence/:date/confirm', (c) => {
        const key = issueKey(c);
        const input = readQuery(c, actionSchema);
        const action = ISSUE_ACTIONS[input.action];
        return c.html(
          confirmPage(c.get('session'), {
            title: action.title,
            question: action.question(key, input),
            action: issuePath(key, '/actions'),
            fields: { action: input.action, ...(input.email ? { email: input.email } : {}) },
            confirmLabel: action.confirmLabel,
            cancelHref: input.action === 'send' ? '/admin/issues' : issuePath(key),
          }),
        );
      })

      .post('/:cadence/:date/actions', async (c) => {
        const key = issueKey(c);
        const input = await readConsoleForm(sessions, c, actionSchema, 'action');
        const message = await ISSUE_ACTIONS[input.action].run(ctx, key, input);
        sessions.flash(c, { kind: 'success', text: message });
        // A build just requested may not exist yet: its progress shows on the list.
        return c.redirect(input.action === 'send' ? '/admin/issues' : issuePath(key), 303);
      })
  );
}

function readParams<Schema extends z.ZodType>(c: Context, schema: Schema): z.output<Schema> {
  const parsed = schema.safeParse(c.req.param());
  if (!parsed.success) throw new AppError('not_found', `Nothing is at ${c.req.path}.`);
  return parsed.data;
}
