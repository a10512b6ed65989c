import { type Config, ConfigError, loadConfig } from '@digest/config';
import { createLogger, type Logger } from '@digest/core';
import { createDb, type Db } from '@digest/db';
import type { DigestContext, DigestSettings, SendContext } from '@digest/digest';
import { type MailTransport, RelayGate } from '@digest/email';
import { type DeliveryObserver, observedTransport } from '@digest/metrics';
import { createRedis, Queues, type RedisConnection, type RedisRole, SendThrottle } from '@digest/queue';
import { TokenSigner, type TransactionalMailContext } from '@digest/subscribers';

/** The connections every process holds, opened once from the parsed config. */
export interface Resources {
  config: Config;
  logger: Logger;
  db: Db;
  /**
   * The deliveries ledger's writes, on connections of their own (opened on first use) whose
   * prepared statements are planned once, not at every call (DbOptions.genericPlans).
   */
  ledgerDb: Db;
  redis: RedisConnection;
  /** Where a Redis connection's failures are told: once an outage, however many clients retry. */
  redisOutage: RedisOutageLog;
  queues: Queues;
  tokens: TokenSigner;
  digest: DigestContext;
  /** Closes the queues, then Redis, then the database connections. */
  close(): Promise<void>;
}

/**
 * A process serving people (`serving: true`, the API) fails fast when Postgres or Redis is away,
 * so a request gets its 503 in time; workers and the CLI wait for them to come back.
 */
const SERVING_DB_TIMEOUTS = { connectMs: 1_500, queryMs: 10_000 };
/** A send run has one ledger write in flight: as many as a worker runs at once. */
const LEDGER_CONNECTIONS = 4;

export function openResources(
  config: Config,
  name: string,
  options: { logTo?: 'stdout' | 'stderr'; serving?: boolean } = {},
): Resources {
  const logger = createLogger(name, {
    level: config.LOG_LEVEL,
    stream: options.logTo,
    pretty: config.NODE_ENV === 'development',
  });
  const serving = options.serving === true;
  const db = createDb(config.DATABASE_URL, serving ? { timeouts: SERVING_DB_TIMEOUTS } : {});
  const ledgerDb = createDb(config.DATABASE_URL, { max: LEDGER_CONNECTIONS, genericPlans: true });
  const redisRole: RedisRole = serving ? 'producer' : 'worker';
  const redis = createRedis(config.REDIS_URL, redisRole);
  const outage = redisOutageLog(logger);
  redis.on('error', (error) => outage.failed(error, 'redis connection error'));
  redis.on('ready', outage.recovered);
  const queues = new Queues(redis, config.QUEUE_PREFIX, (error) =>
    outage.failed(error, 'queue connection error'),
  );
  return {
    config,
    logger,
    db,
    ledgerDb,
    redis,
    redisOutage: outage,
    queues,
    tokens: new TokenSigner(config.TOKEN_SECRET),
    digest: { db, queues, logger, settings: digestSettings(config) },
    async close() {
      await queues.close();
      // QUIT waits for a connection that may never come back: only a live one is asked politely.
      if (redis.status === 'ready') await redis.quit().catch(() => redis.disconnect());
      else redis.disconnect();
      await Promise.all([db.destroy(), ledgerDb.destroy()]);
    },
  };
}

/**
 * What sending needs on top of the connections: the transport (digest sends reported to the
 * observer when one is given), the relay's state as this process sees it, the throughput limits
 * shared with every worker, and a per-process message cache.
 */
export function senders(
  resources: Resources,
  transport: MailTransport,
  observer?: DeliveryObserver,
): { send: SendContext; mail: TransactionalMailContext; relay: RelayGate } {
  const { config, db, ledgerDb, tokens, digest, logger, redis, queues } = resources;
  // Only digest sends are observed: they are the deliveries the metrics count.
  const digestTransport = observer ? observedTransport(transport, observer) : transport;
  const relay = new RelayGate(transport, {
    log: (state) =>
      state.open
        ? logger.info('relay reachable again; sending resumes')
        : logger.warn(
            { reason: state.reason, nextProbeAt: state.nextProbeAt },
            'relay unreachable; sending paused',
          ),
  });
  const throttle = new SendThrottle(redis, queues.prefix, {
    sendRate: config.SEND_RATE,
    domainRates: config.DOMAIN_RATES,
  });
  return {
    relay,
    send: {
      ...digest,
      ledgerDb,
      transport: digestTransport,
      relay,
      throttle,
      tokens,
      compiledIssues: new Map(),
    },
    mail: { db, tokens, transport, relay, settings: digest.settings },
  };
}

function digestSettings(config: Config): DigestSettings {
  return {
    timeZone: config.DIGEST_TZ,
    size: config.DIGEST_SIZE,
    weekday: config.DIGEST_WEEKDAY,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    mailFrom: config.MAIL_FROM,
    unsubscribeMailto: config.MAIL_UNSUBSCRIBE_MAILTO,
    postalAddress: config.MAIL_POSTAL_ADDRESS,
    thumbnails: config.DIGEST_THUMBNAILS,
    retryHours: config.SEND_RETRY_HOURS,
    localHour: config.DIGEST_LOCAL_HOUR,
    leaseMs: config.SEND_LEASE_SECONDS * 1000,
    retentionMonths: config.DELIVERY_RETENTION_MONTHS,
  };
}

/** The parsed environment, or the process ends with the reasons on one screen (no stack trace). */
export function configFromEnvironment(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}

export interface RedisOutageLog {
  failed(error: Error, message: string): void;
}

/**
 * Logs a Redis outage once, when it starts, and once more when Redis is back: a client retries
 * every few hundred milliseconds, and each failed attempt would otherwise be a warning of its own.
 */
function redisOutageLog(logger: Logger): RedisOutageLog & { recovered(): void } {
  let down = false;
  return {
    failed(error: Error, message: string) {
      if (down) return;
      down = true;
      // The message says it all: a refused or dropped connection's stack names only Node's internals.
      logger.warn({ error: error.message }, `${message}: retrying until Redis answers`);
    },
    recovered() {
      if (!down) return;
      down = false;
      logger.info('redis connection back');
    },
  };
}
