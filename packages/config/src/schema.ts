import { BlockList, isIP } from 'node:net';
import { z } from 'zod';

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'] as const;

const optionalText = z
  .string()
  .trim()
  .transform((value) => value || undefined)
  .optional();

/** The entries of a comma-separated setting, trimmed, empty ones left out. */
const commaList = (text: string) =>
  text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
const positiveInt = (fallback: number) => z.coerce.number().int().positive().default(fallback);

const timeZone = z
  .string()
  .default('UTC')
  .refine(isKnownTimeZone, { error: (issue) => `unknown time zone "${String(issue.input)}"` });

const smtpUrl = z
  .url({ protocol: /^smtps?$/, error: 'must be smtp://[user:pass@]host:port or smtps://…' })
  .default('smtp://127.0.0.1:1025');

/** Which proxies in front of the API are believed about the client address (X-Forwarded-For). */
export type TrustProxy = { hops: number } | { cidrs: string[] };

/**
 * `TRUST_PROXY`: empty (no proxy: the peer is the client), a hop count (that many proxies append
 * to X-Forwarded-For) or a comma-separated list of the proxies' addresses or CIDR blocks.
 */
const trustProxy = z
  .string()
  .trim()
  .default('')
  .transform((value, ctx): TrustProxy => {
    if (value === '') return { hops: 0 };
    if (/^\d+$/.test(value)) return { hops: Number(value) };
    const cidrs = commaList(value);
    for (const cidr of cidrs) {
      if (!isCidr(cidr))
        ctx.addIssue({ code: 'custom', message: `"${cidr}" is neither an address nor a CIDR block` });
    }
    return { cidrs };
  });

/**
 * Every environment variable the services read, with development defaults for localhost services.
 * Secrets have no production default: `loadConfig` refuses to start without them.
 */
export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).default('postgres://postgres@127.0.0.1:5432/digest'),
  /** `redis+cluster://` (or `rediss+cluster://`) names one node of a Redis Cluster; the client finds the rest. */
  REDIS_URL: z
    .url({ protocol: /^rediss?(\+cluster)?$/, error: 'must be redis[s]://… or redis[s]+cluster://host:port' })
    .default('redis://127.0.0.1:6379'),
  /**
   * Namespace of every Redis key (queues, rate limits): lets several deployments or test runs share
   * one Redis. Keys use it as the hash tag `{QUEUE_PREFIX}`, which keeps them in one cluster slot.
   */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w-]{1,40}$/, 'letters, digits, - and _ only')
    .default('digest'),
  SMTP_URL: smtpUrl,
  SMTP_POOL_SIZE: positiveInt(5),
  PUBLIC_BASE_URL: z
    .url({ protocol: /^https?$/ })
    .default('http://localhost:3000')
    .transform((url) => url.replace(/\/+$/, '')),
  MAIL_FROM: z.string().trim().min(3).default('Daily Papers <digest@localhost>'),
  MAIL_UNSUBSCRIBE_MAILTO: optionalText.pipe(z.email().optional()),
  ADMIN_TOKEN: optionalText,
  TOKEN_SECRET: optionalText,
  /** `<NAME>_FILE`: read that secret from a file (Docker and Kubernetes secrets); see secret-files.ts. */
  ADMIN_TOKEN_FILE: optionalText,
  TOKEN_SECRET_FILE: optionalText,
  DATABASE_URL_FILE: optionalText,
  DKIM_PRIVATE_KEY_FILE: optionalText,
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  DIGEST_CRON: z.string().trim().min(9).default('0 8 * * *'),
  DIGEST_TZ: timeZone,
  DIGEST_SIZE: positiveInt(10).pipe(z.number().max(50)),
  DIGEST_WEEKDAY: z.string().trim().toLowerCase().pipe(z.enum(WEEKDAYS)).default('monday'),
  /** The hour a reader with a time zone gets each issue there; readers without one get it at the build. */
  DIGEST_LOCAL_HOUR: z.coerce.number().int().min(0).max(23).default(8),
  /** Messages per second across every worker (a Redis token bucket); unlimited when unset. */
  SEND_RATE: z.coerce.number().positive().optional(),
  /** Messages per second per recipient domain, across every worker: `gmail.com=20,outlook.com=10`. */
  DOMAIN_RATES: z
    .string()
    .default('')
    .transform((list, context) => {
      const rates: Record<string, number> = {};
      for (const entry of commaList(list)) {
        const match = /^([a-z0-9.-]+\.[a-z]{2,})=(\d+(?:\.\d+)?)$/i.exec(entry);
        if (!match || Number(match[2]) <= 0) {
          context.addIssue({ code: 'custom', message: `"${entry}" is not domain=messages-per-second` });
          return z.NEVER;
        }
        rates[(match[1] as string).toLowerCase()] = Number(match[2]);
      }
      return rates;
    }),
  /** How long a temporarily refused message is retried before it fails. */
  SEND_RETRY_HOURS: z.coerce
    .number()
    .positive()
    .max(24 * 14)
    .default(24),
  /** A send run's lease on its deliveries; a dead worker's rows come back after it lapses. */
  SEND_LEASE_SECONDS: z.coerce.number().int().min(10).max(3600).default(60),
  /**
   * Months of the deliveries ledger kept besides the current one: the reconciler drops the monthly
   * partitions wholly older than this (issues stay, without their deliveries). Unset: keep all.
   */
  DELIVERY_RETENTION_MONTHS: z.coerce.number().int().positive().optional(),
  /** Shared secret of POST /api/webhooks/bounces (bearer token or Basic password); off when unset. */
  BOUNCE_WEBHOOK_SECRET: optionalText,
  /** Each as a browser sends `Origin` (lower case, no default port, no slash), so it can match. */
  ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((list, context) => {
      const origins: string[] = [];
      for (const entry of commaList(list)) {
        const url = URL.canParse(entry) ? new URL(entry) : undefined;
        const bare =
          url && !url.username && !url.password && url.pathname === '/' && !url.search && !url.hash;
        if (!bare || (url.protocol !== 'https:' && url.protocol !== 'http:')) {
          context.addIssue({ code: 'custom', message: `"${entry}" is not an origin (https://host[:port])` });
          return z.NEVER;
        }
        origins.push(url.origin);
      }
      return origins;
    }),
  DKIM_DOMAIN: optionalText,
  DKIM_SELECTOR: optionalText,
  DKIM_PRIVATE_KEY: optionalText,
  SIGNUP_RATE_LIMIT: positiveInt(20),
  /** When set, `/metrics` (API and worker) asks for it as a bearer token. */
  METRICS_TOKEN: optionalText,
  /** Port of the worker's own HTTP server (`/healthz`, `/metrics`); none when unset. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65535).optional(),
  /** The sender's postal address, printed in every mail's footer (CAN-SPAM). */
  MAIL_POSTAL_ADDRESS: optionalText,
  /** Thumbnail image URL template for the digest, `{id}` standing for the paper's id; unset: no images. */
  DIGEST_THUMBNAILS: optionalText.pipe(
    z
      .string()
      .regex(/^https?:\/\/\S*\{id\}/, 'must be an http(s) URL template containing {id}')
      .optional(),
  ),
  TRUST_PROXY: trustProxy,
  /** The queue dashboard only shows jobs unless this is exactly `true`: its actions can add or drop any job. */
  QUEUE_DASHBOARD_WRITE: z
    .enum(['true', 'false'])
    .default('false')
    .transform((value) => value === 'true'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type RawConfig = z.infer<typeof configSchema>;
export type Weekday = (typeof WEEKDAYS)[number];
export { WEEKDAYS };

function isCidr(value: string): boolean {
  const [address = '', bits, extra] = value.split('/');
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  try {
    new BlockList().addSubnet(address, Number(bits), family === 6 ? 'ipv6' : 'ipv4');
    return true;
  } catch {
    return false;
  }
}

function isKnownTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
