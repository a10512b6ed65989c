import type { z } from 'zod';
import { AppError, type ErrorIssue } from './errors.ts';

/** Parses untrusted input, turning a zod failure into an `invalid_input` AppError with every issue. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what = 'input',
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues: ErrorIssue[] = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.'),
    message: issue.message,
  }));
  const first = issues[0];
  const summary = first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : 'invalid';
  throw new AppError('invalid_input', `Invalid ${what}: ${summary}`, issues);
}
