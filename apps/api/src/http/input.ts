import { AppError } from '@digest/core';
import type { Context } from 'hono';

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
  return Object.fromEntries(
    Object.entries(form).flatMap(([key, value]) => (typeof value === 'string' ? [[key, value]] : [])),
  );
}
