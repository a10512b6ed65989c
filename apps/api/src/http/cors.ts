import type { MiddlewareHandler } from 'hono';

/**
 * CORS for an endpoint that sites in `allowed` (ALLOWED_ORIGINS) may POST to: their Origin is
 * echoed, and a preflight is answered (POST, any requested headers, cached 10 minutes). What
 * hono's cors middleware does, but every header is set before the handler runs, so the handler's
 * response is built with them: hono's appends `Vary` to the finished response, which on
 * @hono/node-server rebuilds it as a stream (about 0.2 ms of CPU per signup).
 */
export function corsFor(allowed: readonly string[]): MiddlewareHandler {
  return async (c, next) => {
    const origin = c.req.header('origin');
    c.header('Vary', 'Origin');
    if (origin !== undefined && allowed.includes(origin)) c.header('Access-Control-Allow-Origin', origin);
    if (c.req.method !== 'OPTIONS') return next();
    c.header('Access-Control-Allow-Methods', 'POST');
    c.header('Access-Control-Max-Age', '600');
    const requested = c.req.header('access-control-request-headers');
    if (requested) {
      c.header('Access-Control-Allow-Headers', requested);
      c.header('Vary', 'Access-Control-Request-Headers', { append: true });
    }
    return c.body(null, 204);
  };
}
