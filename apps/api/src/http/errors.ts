import { AppError, type Logger } from '@digest/core';
import { unreachableDependency } from '@digest/runtime';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { messagePage } from './layout.ts';
import { unavailable } from './outage.ts';

/** JSON for API clients, an HTML page for people. */
export function wantsJson(c: Context): boolean {
  return c.req.path.startsWith('/api/');
}

/**
 * The one error handler: AppErrors become `{ error: { code, message, issues? } }` (or a page)
 * with their status; anything unexpected is logged and answered with a generic 500.
 */
export function errorHandler(logger: Logger) {
  return (error: Error, c: Context) => {
    // The route pattern, not the path, which may carry a token.
    const where = { reqId: c.get('requestId'), method: c.req.method, route: routePath(c, -1) };
    const dependency = unreachableDependency(error);
    if (dependency) logger.warn({ ...where, dependency }, 'dependency unavailable');
    const known = dependency ? unavailable() : toAppError(error);
    if (!known) logger.error({ ...where, err: error }, 'unhandled error');
    const status = (known?.status ?? 500) as ContentfulStatusCode;
    const message = known?.message ?? 'Something went wrong on our side. Please try again later.';
    if (known?.code === 'rate_limited') c.header('Retry-After', String(known.retryAfterSeconds ?? 60));
    if (wantsJson(c)) {
      const body = {
        code: known?.code ?? 'internal',
        message,
        ...(known?.issues ? { issues: known.issues } : {}),
      };
      return c.json({ error: body }, status);
    }
    return c.html(messagePage(status >= 500 ? 'Something went wrong' : 'That did not work', message), status);
  };
}

export function notFound(c: Context) {
  const error = new AppError('not_found', `Nothing is at ${c.req.path}.`);
  if (wantsJson(c)) return c.json({ error: { code: error.code, message: error.message } }, 404);
  return c.html(messagePage('Not found', error.message), 404);
}

function toAppError(error: Error): AppError | undefined {
  if (error instanceof AppError) return error;
  if (error instanceof HTTPException) {
    if (error.status === 403) return new AppError('forbidden', 'This form was posted from another site.');
    if (error.status === 413) return new AppError('payload_too_large', 'The request body is too large.');
    if (error.status === 401) return new AppError('unauthorized', 'Authentication required.');
    if (error.status < 500) return new AppError('invalid_input', error.message || 'Bad request.');
  }
  return undefined;
}
