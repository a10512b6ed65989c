import { performance } from 'node:perf_hooks';
import { countDeliveriesByStatus, findIssue, type Issue } from '@digest/db';
import { createSmtpTransport, renderDigestEmail, slotMarkers } from '@digest/email';
import { createRedis, Queues } from '@digest/queue';
import nodemailer, { type SendMailOptions } from 'nodemailer';
import MailComposer from 'nodemailer/lib/mail-composer/index.js';
import { eventually, scriptCommand } from '../support/processes.ts';
import { testQueuePrefix } from '../support/redis.ts';
import { startService } from './services.ts';
import { createBenchDatabase, MAIL_FROM, PUBLIC_BASE_URL, serviceEnv } from './setup.ts';
import type { SmtpSink } from './smtp-sink.ts';

/** The worker's default pool (SMTP_POOL_SIZE), used by every phase that talks to the sink. */
export const POOL_SIZE = 5;
/** Sends in flight in the raw and naive phases: enough that the pool never waits for work. */
const IN_FLIGHT = 200;
export const ISSUE_DATE = '2026-05-22';
const ENVELOPE_FROM = 'digest@bench.example.org';

export interface EndToEnd {
  recipients: number;
  ms: number;
  msgsPerS: number;
  /** From the trigger until the sink accepted the first message: the build, then the first session. */
  firstMessageMs: number;
  /** Of the worker process alone: after start-up, and its peak (VmHWM) over the run. */
  idleRssMb: number;
  peakRssMb: number;
  issue: Issue;
  /** Messages of the run as the sink received them: one in SAMPLE_EVERY. */
  samples: string[];
}

/**
 * One issue to `recipients` through a worker process of its own (its own database and queue
 * prefix), timed from enqueueing build-digest until the sink has accepted the last message.
 */
export async function endToEnd(options: {
  sink: SmtpSink;
  recipients: number;
  /** Distinct personal editions among the readers (none: everyone gets the issue as published). */
  editions?: number;
  /** Extra node flags for the worker, e.g. `--cpu-prof`. */
  nodeArgs: string[];
  /** Extra environment for the worker, e.g. DKIM_* to sign every message. */
  env?: Record<string, string>;
  timeoutMs: number;
}): Promise<EndToEnd> {
  const { sink, recipients } = options;
  const database = await createBenchDatabase(recipients, options.editions);
  const queue = testQueuePrefix();
  const env = serviceEnv({
    databaseUrl: database.url,
    smtpUrl: sink.url,
    queuePrefix: queue.prefix,
    poolSize: POOL_SIZE,
  });
  const redis = createRedis(env.REDIS_URL as string);
  const queues = new Queues(redis, queue.prefix, (error) =>
    process.stderr.write(`bench: queue connection error: ${error.message}\n`),
  );
  // `pnpm start:worker`'s command line, with its V8 flags (heap sizes): the memory measured is production's.
  const command = scriptCommand('start:worker');
  const entryAt = command.findIndex((arg) => !arg.startsWith('--'));
  const worker = await startService(
    command.slice(entryAt) as [string, ...string[]],
    { ...env, ...options.env, LOG_LEVEL: 'info' },
    /"msg":"workers started"/,
    [...command.slice(0, entryAt), ...options.nodeArgs],
  );
  try {
    const idleRssMb = worker.rssMb().now;
    await sink.samples(); // the phases before kept theirs
    const base = (await sink.stats()).messages;
    const startedAt = Date.now();
    const started = performance.now();
    await queues.enqueue('build-digest', { cadence: 'daily', date: ISSUE_DATE });
    await sink.waitFor(base + recipients, options.timeoutMs);
    const ms = performance.now() - started;
    const [firstArrival = Number.NaN] = await sink.arrivals(startedAt);
    const issue = await settled(database.db, recipients);
    return {
      recipients,
      ms,
      msgsPerS: (recipients * 1000) / ms,
      firstMessageMs: firstArrival - startedAt,
      idleRssMb,
      peakRssMb: worker.rssMb().peak,
      issue,
      samples: await sink.samples(),
    };
  } finally {
    await worker.stop();
    await queues.close();
    redis.disconnect();
    await queue.cleanup();
    await database.drop();
  }
}

/** The issue once the worker has recorded every delivery as sent; throws on anything else. */
async function settled(db: Parameters<typeof findIssue>[0], recipients: number): Promise<Issue> {
  const issue = await eventually(
    async () => {
      const issue = await findIssue(db, 'daily', ISSUE_DATE);
      return issue?.status === 'sent' ? issue : undefined;
    },
    30_000,
    `issue ${ISSUE_DATE} recorded as sent within 30 s of the last message`,
  );
  const counts = await countDeliveriesByStatus(db, issue.id);
  if (counts.sent !== recipients) throw new Error(`issue sent with ${JSON.stringify(counts)}`);
  return issue;
}

/** The rendered issue as one ordinary Nodemailer message for `index`: rendered, nothing reused. */
async function naiveMessage(issue: Issue, index: number): Promise<SendMailOptions> {
  const mail = await renderDigestEmail({
    cadence: 'daily',
    issueDate: ISSUE_DATE,
    papers: issue.papers,
    archiveUrl: `${PUBLIC_BASE_URL}/archive/${ISSUE_DATE}`,
    siteUrl: `${PUBLIC_BASE_URL}/`,
  });
  const unsubscribe = `${PUBLIC_BASE_URL}/unsubscribe/reader-${index}`;
  const links = {
    unsubscribeUrl: unsubscribe,
    preferencesUrl: `${PUBLIC_BASE_URL}/preferences/reader-${index}`,
  };
  const fill = (body: string) => {
    if (!mail.slotNonce) return body;
    const markers = slotMarkers(mail.slotNonce);
    return body
      .replaceAll(markers.unsubscribeUrl, links.unsubscribeUrl)
      .replaceAll(markers.preferencesUrl, links.preferencesUrl);
  };
  return {
    from: MAIL_FROM,
    to: `reader-${index}@bench.example.org`,
    subject: mail.subject,
    html: fill(mail.html),
    text: fill(mail.text),
    list: { unsubscribe: { url: unsubscribe, comment: 'Unsubscribe' } },
    headers: { 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
  };
}

/** The issue's message as one prebuilt RFC 5322 text, composed by Nodemailer. */
async function prebuiltMessage(issue: Issue): Promise<string> {
  const composer = new MailComposer(await naiveMessage(issue, 0));
  return (await composer.compile().build()).toString();
}

/**
 * Who sends in a pipe phase: Nodemailer's own pool (`sendMail`, what a plain Nodemailer sender
 * does), or the project's transport (the worker's client).
 */
export type PipeClient = 'nodemailer' | 'project';

interface Client {
  send(to: string, message: string | SendMailOptions): Promise<unknown>;
  close(): void;
}

function pipeClient(kind: PipeClient, url: string): Client {
  if (kind === 'project') {
    const transport = createSmtpTransport({ url, poolSize: POOL_SIZE });
    return {
      send: (to, message) => {
        if (typeof message !== 'string') throw new Error('the project transport sends prebuilt messages');
        return transport.send({ from: ENVELOPE_FROM, to, raw: message });
      },
      close: () => transport.close(),
    };
  }
  const transport = nodemailer.createTransport({
    pool: true,
    url,
    maxConnections: POOL_SIZE,
    maxMessages: Number.POSITIVE_INFINITY,
  });
  return {
    send: (to, message) =>
      transport.sendMail(
        typeof message === 'string' ? { envelope: { from: ENVELOPE_FROM, to: [to] }, raw: message } : message,
      ),
    close: () => transport.close(),
  };
}

export interface PipeResult {
  messages: number;
  ms: number;
  msgsPerS: number;
  messageKb: number;
}

/**
 * `count` messages through `client`'s pool of POOL_SIZE to the sink, `IN_FLIGHT` at a time,
 * timed until the sink has them all. `message(index)` makes each one.
 */
async function pipe(
  sink: SmtpSink,
  client: PipeClient,
  count: number,
  message: (index: number) => string | SendMailOptions | Promise<SendMailOptions>,
): Promise<PipeResult> {
  const sender = pipeClient(client, sink.url);
  let bytes = 0;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const index = next++;
      const made = await message(index);
      bytes += typeof made === 'string' ? made.length : String(made.html).length;
      await sender.send(`reader-${index}@bench.example.org`, made);
    }
  };
  try {
    const base = (await sink.stats()).messages;
    const started = performance.now();
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, count) }, lane));
    await sink.waitFor(base + count, 120_000);
    const ms = performance.now() - started;
    return { messages: count, ms, msgsPerS: (count * 1000) / ms, messageKb: bytes / count / 1024 };
  } finally {
    sender.close();
  }
}

/** The raw pipe: one prebuilt message of the issue's size, `count` times, through `client`. */
export async function rawPipe(
  sink: SmtpSink,
  issue: Issue,
  count: number,
  client: PipeClient,
): Promise<PipeResult> {
  const prebuilt = await prebuiltMessage(issue);
  await pipe(sink, client, Math.min(1000, count), () => prebuilt); // warms the JIT of both processes
  return pipe(sink, client, count, () => prebuilt);
}

/** The naive sender: MJML render and a full Nodemailer compose and send for every recipient. */
export async function naive(sink: SmtpSink, issue: Issue, sample: number): Promise<PipeResult> {
  await naiveMessage(issue, 0); // loads MJML
  return pipe(sink, 'nodemailer', sample, (index) => naiveMessage(issue, index));
}
