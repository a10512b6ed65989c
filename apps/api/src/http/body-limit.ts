import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * Refuses a body over `maxSize` bytes. A declared Content-Length is checked as it stands (Node's
 * parser never reads past it, and refuses it beside Transfer-Encoding); only a chunked body is
 * counted as it streams, by hono's bodyLimit. That one reads `c.req.raw.body` first, which on
 * @hono/node-server turns every request, GETs too, into a web-stream Request: a quarter of a
 * millisecond of CPU per signup, more than its database work.
 */
export function limitBody(maxSize: number, tooLarge: () => never): MiddlewareHandler {
  const streamed = bodyLimit({ maxSize, onError: tooLarge });
  return (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    if (length === undefined || c.req.header('transfer-encoding') !== undefined) return streamed(c, next);
    return Number(length) > maxSize ? tooLarge() : next();
  };
}
