import { AppError, parseInput } from '@digest/core';
import type { Context } from 'hono';
import type { z } from 'zod';
import { readForm } from '../http/input.ts';
import type { AdminEnv } from './guard.ts';
import type { AdminSessions } from './session.ts';

/** Refuses a console form whose CSRF token is not the session's. */
export function assertCsrf(sessions: AdminSessions, c: Context<AdminEnv>, given: unknown): void {
  if (!sessions.csrfValid(c.get('session'), typeof given === 'string' ? given : undefined)) {
    throw new AppError(
      'forbidden',
      'This form has expired or did not come from the admin console. Reload and try again.',
    );
  }
}

/** A console form post, its CSRF token checked, parsed with `schema`. */
export async function readConsoleForm<Schema extends z.ZodType>(
  sessions: AdminSessions,
  c: Context<AdminEnv>,
  schema: Schema,
  what: string,
): Promise<z.output<Schema>> {
  const form = await readForm(c);
  assertCsrf(sessions, c, form._csrf);
  return parseInput(schema, form, what);
}

/** Query parameters, empty ones dropped (a form's "any" choice sends an empty value). */
export function readQuery<Schema extends z.ZodType>(c: Context, schema: Schema): z.output<Schema> {
  const query = Object.fromEntries(Object.entries(c.req.query()).filter(([, value]) => value !== ''));
  return parseInput(schema, query, 'query');
}
