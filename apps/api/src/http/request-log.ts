import type { Logger } from '@digest/core';
import type { MiddlewareHandler } from 'hono';
import { requestId } from 'hono/request-id';
import { routePath } from 'hono/route';

/**
 * Gives every request an id (the caller's `X-Request-Id` when it sends a sane one, echoed back)
 * and logs one line per request with it. The route pattern is logged, never the path: paths
 * carry confirm and unsubscribe tokens.
 */
export function requestLog(logger: Logger): MiddlewareHandler[] {
  const log: MiddlewareHandler = async (c, next) => {
    const started = performance.now();
    await next();
    logger.info(
      {
        reqId: c.get('requestId'),
        method: c.req.method,
        route: routePath(c, -1),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  };
  return [requestId(), log];
}
