import { AppError } from '@digest/core';
import type { Context, MiddlewareHandler } from 'hono';

/** No parameter, field or path segment may hold a NUL: Postgres refuses it in any text. */
const NUL_MESSAGE = 'holds a NUL character, which no value may contain.';

/** A `%00` anywhere in the address is a clear 400 before any route reads it. */
export const refuseNulInAddress: MiddlewareHandler = async (c, next) => {
  if (c.req.url.includes('%00')) throw new AppError('invalid_input', `The address ${NUL_MESSAGE}`);
  await next();
};

/** The JSON body, or a clear 400 when it is missing or malformed. */
export async function readJson(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new AppError('invalid_json', `The request body is not valid JSON: ${(error as Error).message}`);
  }
}

/** A form body as a plain object of strings (repeated fields keep the last value). */
export async function readForm(c: Context): Promise<Record<string, string>> {
  const form = await c.req.parseBody().catch(() => {
    throw new AppError('invalid_input', 'The form could not be read.');
  });
  const fields = Object.entries(form).flatMap(([key, value]) =>
    typeof value === 'string' ? [[key, value]] : [],
  );
  if (fields.some(([, value]) => value?.includes('\0')))
    throw new AppError('invalid_input', `The form ${NUL_MESSAGE}`);
  return Object.fromEntries(fields);
}
