import type { MiddlewareHandler } from 'hono';

const policy = (directives: Record<string, string>) =>
  Object.entries(directives)
    .map(([name, value]) => `${name} ${value}`)
    .join('; ');

/**
 * Every page: scripts and styles only from our own files (/assets/*), never inline, so markup
 * that slipped through escaping cannot run; no plugins, no <base> rewriting, forms post only to
 * us, and only our own pages may frame us.
 */
export const PAGE_POLICY = policy({
  'default-src': "'self'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' https: data:",
  'object-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'self'",
});

/** The archive shows what paper data made of an issue: no script at all, not even ours. */
export const NO_SCRIPT_POLICY = policy({
  'default-src': "'none'",
  'style-src': "'self'",
  'img-src': "'self' https: data:",
  'base-uri': "'none'",
  'form-action': "'self'",
  'frame-ancestors': "'self'",
});

/** Sets the policy of every response that did not choose a stricter one itself (the admin's mail frame). */
export const contentSecurityPolicy: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.res.headers.has('Content-Security-Policy')) return;
  const archived = c.req.path.startsWith('/archive/');
  c.res.headers.set('Content-Security-Policy', archived ? NO_SCRIPT_POLICY : PAGE_POLICY);
};
