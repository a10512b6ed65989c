import type { Config } from '@digest/config';
import { RECONCILE_INTERVAL_MS, reconcile } from '@digest/digest';
import { createSmtpTransport, type MailTransport } from '@digest/email';
import type { DeliveryObserver } from '@digest/metrics';
import { QUEUE_NAMES, type QueueName } from '@digest/queue';
import { type Resources, senders, unreachableDependency } from '@digest/runtime';
import { Worker } from 'bullmq';
import { queueProcessor } from './processors.ts';

/** Jobs of each queue one worker process runs at once. */
const CONCURRENCY: Record<QueueName, number> = { digest: 1, send: 4, mail: 5 };

/**
 * How fast a dead worker's jobs come back. The stalled check (a short Lua script that one worker
 * runs per interval) marks active jobs and, on its next pass, hands on those whose lock has
 * lapsed: within BullMQ's 30 s lock plus one interval of a worker's death. The lock keeps its
 * default length, so a live worker that misses renewals briefly (a Redis restart) keeps its job.
 * Whether a job is rerun or not, the ledger's leases decide who sends what.
 */
const STALLED_CHECK_MS = 10_000;

export const SCHEDULER_ID = 'daily-digest';

export interface RunningWorkers {
  workers: Worker[];
  transport: MailTransport;
  /** Runs one reconciler pass now (also run at start, every 30 s, and after Redis reconnects). */
  reconcileNow(): Promise<void>;
  close(): Promise<void>;
}

/** Starts one BullMQ worker per queue, the daily scheduler, and this worker's reconciler. */
export async function startWorkers(
  resources: Resources,
  transport = smtpTransportFor(resources.config),
  observer?: DeliveryObserver,
): Promise<RunningWorkers> {
  const { config, logger, queues, redis } = resources;
  const { send, mail, relay } = senders(resources, transport, observer);
  const stopping = new AbortController();

  const workers = QUEUE_NAMES.map((queue) => {
    const worker = new Worker(queue, queueProcessor(queue, { send, mail, stopping: stopping.signal }), {
      // BullMQ duplicates it for its blocking connection and closes what it made itself.
      connection: redis,
      prefix: queues.prefix,
      concurrency: CONCURRENCY[queue],
      // A worker killed mid-run leaves its job stalled; another worker picks it up again.
      maxStalledCount: 5,
      stalledInterval: STALLED_CHECK_MS,
    });
    worker.on('failed', (job, error) =>
      logger.warn(
        { queue, job: job?.name, jobId: job?.id, attempts: job?.attemptsMade, err: error.message },
        'job failed',
      ),
    );
    worker.on('error', (error) =>
      // Its connections retry like any: an outage is told once, not at every attempt.
      unreachableDependency(error)
        ? resources.redisOutage.failed(error, `${queue} worker: redis connection error`)
        : logger.error({ queue, err: error }, 'worker error'),
    );
    return worker;
  });

  /**
   * Postgres is the truth and Redis may have lost anything: each pass puts back the schedule and
   * every job that Postgres says is due. It runs in every worker, on a timer of its own rather
   * than a BullMQ job scheduler, which a Redis that lost its data would have lost too.
   */
  let passing: Promise<void> | undefined;
  const reconcileNow = () =>
    (passing ??= (async () => {
      try {
        await ensureSchedule(resources);
        const report = await reconcile(send);
        const { created, dropped } = report.partitions;
        const busy =
          report.lapsed +
          report.cancelled +
          report.mail +
          report.completed.length +
          Object.keys(report.runs).length +
          created.length +
          dropped.length +
          (report.counted === undefined ? 0 : 1);
        if (busy > 0) logger.info(report, 'reconciled');
      } catch (error) {
        logger.warn({ err: error }, 'reconcile pass failed; the next one retries');
      } finally {
        passing = undefined;
      }
    })());

  await reconcileNow();
  const timer = setInterval(() => void reconcileNow(), RECONCILE_INTERVAL_MS);
  // A reconnect may follow a Redis restart that lost every job; the relay coming back may leave
  // work due now that no run holds.
  const onRedisReady = () => void reconcileNow();
  redis.on('ready', onRedisReady);
  const stopRelayListener = relay.onReopen(() => void reconcileNow());
  logger.info({ queues: QUEUE_NAMES, cron: config.DIGEST_CRON, tz: config.DIGEST_TZ }, 'workers started');

  return {
    workers,
    transport,
    reconcileNow,
    async close() {
      clearInterval(timer);
      redis.off('ready', onRedisReady);
      stopRelayListener();
      stopping.abort();
      // Waits for the jobs in progress; send runs stop claiming and release what they hold.
      await Promise.all(workers.map((worker) => worker.close()));
      await passing;
      relay.close();
      transport.close();
    },
  };
}

/**
 * The daily job scheduler, put back if Redis lost it. Every worker upserts the same scheduler id:
 * starting more workers never adds a second schedule.
 */
async function ensureSchedule({ config, queues }: Resources): Promise<void> {
  const queue = queues.queueOf('scheduled-digest');
  const existing = await queue.getJobScheduler(SCHEDULER_ID);
  if (existing?.pattern === config.DIGEST_CRON && existing.tz === config.DIGEST_TZ) return;
  await queue.upsertJobScheduler(
    SCHEDULER_ID,
    { pattern: config.DIGEST_CRON, tz: config.DIGEST_TZ },
    { name: 'scheduled-digest', data: {} },
  );
}

export function smtpTransportFor(config: Config): MailTransport {
  return createSmtpTransport({
    url: config.SMTP_URL,
    poolSize: config.SMTP_POOL_SIZE,
    dkim: config.dkim,
  });
}
