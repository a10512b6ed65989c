import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { countDeliveriesByStatus, type Db, type DeliveryCounts, findIssue } from '@digest/db';
import type { IssueKey } from '@digest/digest';
import { createSmtpTransport } from '@digest/email';
import type { Resources } from '@digest/runtime';
import { Redis } from 'ioredis';
import { type RunningWorkers, startWorkers } from '../../apps/worker/src/workers.ts';
import {
  type CallCounter,
  type CpuShares,
  cpuBetween,
  cpuSnapshot,
  type GcTotals,
  gcBetween,
  isPollQuery,
  type Memory,
  memoryAfterGc,
  type ProfileSummary,
  startProfile,
} from './probes.ts';
import type { SmtpSink } from './smtp-sink.ts';

/** Same pool as the worker's (SMTP_POOL_SIZE) and as many sends in flight as its 4 batches × 50. */
export const POOL_SIZE = 5;
const IN_FLIGHT = 200;
const WARM_UP_MESSAGE = 'Subject: warm-up\r\n\r\nOpens the pool.\r\n';

export interface PhaseResult {
  messages: number;
  ms: number;
  msgsPerS: number;
  cpu: CpuShares;
  /** How evenly messages reached the sink. */
  flow: Flow;
  /** Garbage collection in this process during the phase. */
  gc: GcTotals;
  /** Summary of the CPU profile of this process, when one was asked for. */
  profile?: ProfileSummary | undefined;
}

/**
 * The SMTP pipe without queue or database: `count` messages sent through the project's pooled
 * transport, as `raw` + envelope, `IN_FLIGHT` at a time; timed until the sink has them all.
 * `message(index)` returns the raw message: one prebuilt string (the raw pipe), or a fresh
 * personalised copy per recipient (what the worker sends, without its queue and ledger).
 */
export async function smtpPipe(
  sink: SmtpSink,
  from: string,
  message: (index: number) => string,
  count: number,
  options: { warmUp: number; profile?: string | undefined },
): Promise<PhaseResult> {
  const { profile } = options;
  const transport = createSmtpTransport({ url: sink.url, poolSize: POOL_SIZE });
  const sendMany = async (total: number) => {
    let next = 0;
    const lane = async () => {
      while (next < total) {
        const index = next++;
        await transport.send({ from, to: `reader-${index}@bench.example.org`, raw: message(index) });
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, total) }, lane));
  };
  try {
    await sendMany(options.warmUp); // opens the pool's connections (see runPipeline), warms the JIT up
    const base = (await sink.stats()).messages;
    const before = await cpuSnapshot(sink);
    const profiler = profile ? await startProfile() : undefined;
    const started = performance.now();
    await sendMany(count);
    await sink.waitFor(base + count, 60_000);
    const ended = performance.now();
    const cpu = cpuBetween(before, await cpuSnapshot(sink));
    const summary = profile ? await profiler?.stop(profile) : undefined;
    const ms = ended - started;
    const flow = flowOf(await sink.arrivals(performance.timeOrigin + started), started, ended);
    return {
      flow,
      messages: count,
      ms,
      msgsPerS: (count * 1000) / ms,
      cpu,
      gc: gcBetween(started, ended),
      profile: summary,
    };
  } finally {
    transport.close();
  }
}

export interface PipelineResult extends PhaseResult {
  issueId: number;
  papers: number;
  /** From enqueue until the build-digest job finished (render, issue + deliveries, batches enqueued). */
  buildMs: number;
  /** From enqueue until the first send-batch job started, and until the last one finished. */
  firstSendMs: number;
  lastSendMs: number;
  batches: number;
  batchMeanMs: number;
  deliveries: DeliveryCounts;
  sinkMessages: number;
  pgQueries: number;
  redisCommands: number;
  peakRssMb: number;
  /** The benchmark's own findIssue polls: how many, and the time spent awaiting them. */
  polls: { count: number; ms: number };
  memoryBefore: Memory;
  memoryAfter: Memory;
  errors: string[];
}

/**
 * The full pipeline through the real worker: start the workers, enqueue build-digest, time until
 * the issue is 'sent' (polling every 20 ms) and the sink has every message; then check the ledger.
 */
export async function runPipeline(options: {
  resources: Resources;
  sink: SmtpSink;
  pollDb: Db;
  key: IssueKey;
  recipients: number;
  pgCounter: CallCounter;
  redisCounter: CallCounter;
  timeoutMs: number;
  /** Registers a step that stops the workers if the run is interrupted. */
  onCleanup: (step: () => Promise<void>) => void;
  /** Writes a CPU profile of this process over the timed part to this file. */
  profile?: string;
}): Promise<PipelineResult> {
  const { resources, sink, pollDb, key, recipients, pgCounter, redisCounter } = options;
  const errors: string[] = [];
  const workers = await startWorkers(resources);
  const stopWorkers = stopper(workers);
  options.onCleanup(stopWorkers);
  try {
    // Open the worker's SMTP pool first, as the raw pipe's is: smtp-server holds every new
    // connection's greeting back 100 ms (early-talker check), an artifact of the sink.
    const warmUp = {
      from: 'digest@bench.example.org',
      to: 'warm-up@bench.example.org',
      raw: WARM_UP_MESSAGE,
    };
    await Promise.all(Array.from({ length: 4 * POOL_SIZE }, () => workers.transport.send(warmUp)));
    const memoryBefore = memoryAfterGc();
    const base = (await sink.stats()).messages;
    const before = await cpuSnapshot(sink);
    const profiler = options.profile ? await startProfile() : undefined;
    pgCounter.active = redisCounter.active = true;
    const enqueuedAt = Date.now();
    const started = performance.now();
    const jobId = `build-${key.cadence}-${key.date}`;
    await resources.queues.enqueue('build-digest', key, { jobId });

    let peakRss = process.memoryUsage.rss();
    const deadline = started + options.timeoutMs;
    const polls = { count: 0, ms: 0 };
    const poll = async () => {
      const pollStarted = performance.now();
      const found = await findIssue(pollDb, key.cadence, key.date);
      polls.ms += performance.now() - pollStarted;
      if (++polls.count % 10 === 0) peakRss = Math.max(peakRss, process.memoryUsage.rss());
      return found;
    };
    let issue = await poll();
    while (issue?.status !== 'sent') {
      if (issue?.status === 'skipped') throw new Error(`issue ${key.date} was skipped: no papers`);
      if (performance.now() > deadline) {
        const job = await resources.queues.queueOf('build-digest').getJob(jobId);
        throw new Error(
          `issue ${key.date} not sent within ${options.timeoutMs} ms (issue ${issue?.status ?? 'missing'}, ` +
            `build job ${job ? await job.getState() : 'missing'} ${job?.failedReason ?? ''})`,
        );
      }
      await sleep(20);
      issue = await poll();
    }
    await sink.waitFor(base + recipients, Math.max(1000, deadline - performance.now()));
    const ended = performance.now();
    const ms = ended - started;
    pgCounter.active = redisCounter.active = false;
    const cpu = cpuBetween(before, await cpuSnapshot(sink));
    const flow = flowOf(await sink.arrivals(performance.timeOrigin + started), started, ended);
    const profile = options.profile ? await profiler?.stop(options.profile) : undefined;
    const memoryAfter = memoryAfterGc();

    const buildJob = await resources.queues.queueOf('build-digest').getJob(jobId);
    const sendJobs = await resources.queues.queueOf('send-batch').getJobs(['completed', 'failed'], 0, -1);
    const since = (epochMs: number | undefined) => (epochMs ?? Number.NaN) - enqueuedAt;
    const failedJobs = sendJobs.filter((job) => job.failedReason || job.attemptsMade > 1);
    if (failedJobs.length > 0) {
      errors.push(`${failedJobs.length} send-batch jobs failed or retried: ${failedJobs[0]?.failedReason}`);
    }

    await sleep(200); // a duplicate would arrive now
    const sinkMessages = (await sink.stats()).messages - base;
    if (sinkMessages !== recipients) errors.push(`sink counted ${sinkMessages} messages for ${recipients}`);
    const deliveries = await countDeliveriesByStatus(pollDb, issue.id);
    const notSent = Object.entries(deliveries).filter(([status, count]) => status !== 'sent' && count > 0);
    if (deliveries.sent !== recipients || notSent.length > 0) {
      errors.push(`deliveries: ${JSON.stringify(deliveries)} (expected ${recipients} sent)`);
    }

    return {
      messages: recipients,
      ms,
      msgsPerS: (recipients * 1000) / ms,
      cpu,
      gc: gcBetween(started, ended),
      flow,
      polls,
      issueId: issue.id,
      papers: issue.papers.length,
      buildMs: since(buildJob?.finishedOn),
      firstSendMs: Math.min(...sendJobs.map((job) => since(job.processedOn))),
      lastSendMs: Math.max(...sendJobs.map((job) => since(job.finishedOn))),
      batches: sendJobs.length,
      batchMeanMs:
        sendJobs.reduce((sum, job) => sum + ((job.finishedOn ?? 0) - (job.processedOn ?? 0)), 0) /
        Math.max(1, sendJobs.length),
      deliveries,
      sinkMessages,
      pgQueries: pgCounter.total(isPollQuery),
      redisCommands: redisCounter.total(),
      peakRssMb: peakRss / 2 ** 20,
      memoryBefore,
      memoryAfter,
      profile,
      errors,
    };
  } finally {
    pgCounter.active = redisCounter.active = false;
    await stopWorkers();
  }
}

/** Closes the workers once, whether the run ends or is interrupted. */
function stopper(workers: RunningWorkers): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      await workers.close();
      // startWorkers hands each Worker `redis.duplicate()`; BullMQ treats a passed instance as
      // shared and leaves it open on close(), which would keep this process alive.
      for (const worker of workers.workers) {
        if (worker.opts.connection instanceof Redis) worker.opts.connection.disconnect();
      }
    })();
    return stopping;
  };
}

export interface Flow {
  /** From the start of the phase to the first message at the sink. */
  firstMs: number;
  /** Time with no message arriving for more than STALL_MS, after the first one. */
  stallMs: number;
  longestGapMs: number;
  /** Messages per FLOW_BUCKET_MS, from the start of the phase. */
  buckets: number[];
}

const STALL_MS = 10;
export const FLOW_BUCKET_MS = 100;

/** Arrival times at the sink (epoch ms) → when sending started, where it paused, its rate over time. */
function flowOf(arrivals: number[], startedAt: number, endedAt: number): Flow {
  const start = performance.timeOrigin + startedAt;
  const times = arrivals.map((time) => time - start).sort((a, b) => a - b);
  let stallMs = 0;
  let longestGapMs = 0;
  for (let index = 1; index < times.length; index++) {
    const gap = (times[index] as number) - (times[index - 1] as number);
    longestGapMs = Math.max(longestGapMs, gap);
    if (gap > STALL_MS) stallMs += gap;
  }
  const buckets = new Array<number>(Math.max(1, Math.ceil((endedAt - startedAt) / FLOW_BUCKET_MS))).fill(0);
  for (const time of times) {
    const bucket = Math.min(buckets.length - 1, Math.max(0, Math.floor(time / FLOW_BUCKET_MS)));
    buckets[bucket] = (buckets[bucket] ?? 0) + 1;
  }
  return { firstMs: times[0] ?? Number.NaN, stallMs, longestGapMs, buckets };
}
