import { AppError } from '@digest/core';
import type { Resources } from '@digest/runtime';
import { Hono, type MiddlewareHandler } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { requireAdminToken } from './admin/auth.ts';
import { adminConsole } from './admin/console.ts';
import { adminRoutes } from './admin/routes.ts';
import { archiveRoutes } from './archive/routes.ts';
import { createMetrics } from './health/metrics.ts';
import { healthRoutes } from './health/routes.ts';
import { assetRoutes } from './http/assets.ts';
import { limitBody } from './http/body-limit.ts';
import { clientAddressOf } from './http/client.ts';
import { corsFor } from './http/cors.ts';
import { contentSecurityPolicy } from './http/csp.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { refuseNulInAddress } from './http/input.ts';
import { whileRedisIsUp } from './http/outage.ts';
import { clientRateLimiter, slidingWindow } from './http/rate-limit.ts';
import { requestLog } from './http/request-log.ts';
import { openApiRoutes } from './openapi/routes.ts';
import { subscriptionRoutes } from './subscriptions/routes.ts';
import { type ConfirmSubscription, webhookRoutes } from './webhooks/routes.ts';

export type ApiDeps = Omit<Resources, 'close'>;

/** Public requests are small forms and JSON; only the admin paper imports carry real payloads. */
/** Sign-in attempts per client in any 15 minutes: enough for a person, nothing for a guesser. */
const SIGN_INS = 10;
const SIGN_IN_WINDOW_MS = 15 * 60_000;
const IMPORT_PATHS = new Set(['/api/admin/papers', '/admin/papers/import']);
const PUBLIC_BODY_LIMIT = 64 * 1024;
const ADMIN_IMPORT_BODY_LIMIT = 25 * 1024 * 1024;
/** Confirmation mails one inbox may receive a day, however its address is spelled. */
const CONFIRMATIONS_PER_MAILBOX = 3;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 3600_000;

export function createApp(deps: ApiDeps, options: { confirmSubscription?: ConfirmSubscription } = {}) {
  const { config, logger } = deps;
  const tooLarge = (): never => {
    throw new AppError('payload_too_large', 'The request body is too large.');
  };
  const importLimit = limitBody(ADMIN_IMPORT_BODY_LIMIT, tooLarge);
  const publicLimit = limitBody(PUBLIC_BODY_LIMIT, tooLarge);

  const metrics = createMetrics(deps.db, deps.queues);
  const onError = errorHandler(logger);
  const clientAddress = clientAddressOf(config.TRUST_PROXY);

  return new Hono()
    .onError(onError)
    .notFound(notFound)
    .use(...requestLog(logger))
    .use(metrics.observe)
    .use(secureHeaders({ referrerPolicy: false }))
    .use(defaultReferrerPolicy)
    .use(contentSecurityPolicy)
    .use(refuseNulInAddress)
    .use('*', (c, next) => (IMPORT_PATHS.has(c.req.path) ? importLimit : publicLimit)(c, next))
    .use('/api/subscribe', corsFor(config.ALLOWED_ORIGINS))
    .use('/api/admin/*', requireAdminToken(config.ADMIN_TOKEN))
    .use('/api/admin/*', whileRedisIsUp(deps.redis))
    .use('/api/subscribe', whileRedisIsUp(deps.redis))
    .use('/subscribe', whileRedisIsUp(deps.redis))
    .use('/confirm/*', whileRedisIsUp(deps.redis))
    .use('/admin/*', whileRedisIsUp(deps.redis))
    .route('/', assetRoutes())
    .route('/', openApiRoutes(config.PUBLIC_BASE_URL))
    .route('/', healthRoutes(deps.db, deps.redis, metrics.registry, config.METRICS_TOKEN))
    .route(
      '/',
      subscriptionRoutes({
        ctx: deps,
        publicBaseUrl: config.PUBLIC_BASE_URL,
        allowedOrigins: config.ALLOWED_ORIGINS,
        clientAddress,
        limitSignups: clientRateLimiter(
          slidingWindow(
            deps.redis,
            `${deps.queues.prefix}:ratelimit:signup`,
            config.SIGNUP_RATE_LIMIT,
            MINUTE_MS,
          ),
        ),
        mailboxWindow: slidingWindow(
          deps.redis,
          `${deps.queues.prefix}:ratelimit:mailbox`,
          CONFIRMATIONS_PER_MAILBOX,
          DAY_MS,
        ),
      }),
    )
    .route('/', archiveRoutes(deps.digest))
    .route('/api/admin', adminRoutes(deps.digest))
    .route('/api/webhooks', webhookRoutes(deps.db, config.BOUNCE_WEBHOOK_SECRET, options.confirmSubscription))
    .route(
      '/admin',
      adminConsole({
        ctx: deps.digest,
        queues: deps.queues,
        clientAddress,
        limitSignIns: clientRateLimiter(
          slidingWindow(
            deps.redis,
            `${deps.queues.prefix}:ratelimit:admin-sign-in`,
            SIGN_INS,
            SIGN_IN_WINDOW_MS,
          ),
        ),
        adminToken: config.ADMIN_TOKEN,
        publicBaseUrl: config.PUBLIC_BASE_URL,
        queueDashboardWrite: config.QUEUE_DASHBOARD_WRITE,
        fallbackError: onError,
      }),
    );
}

/**
 * No referrer leaves a page (its address may hold a reader's token), unless the page set a policy
 * of its own (the console's same-origin): secureHeaders would overwrite it.
 */
const defaultReferrerPolicy: MiddlewareHandler = async (c, next) => {
  await next();
  if (!c.res.headers.has('Referrer-Policy')) c.header('Referrer-Policy', 'no-referrer');
};
