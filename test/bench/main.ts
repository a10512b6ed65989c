/**
 * `pnpm bench [--recipients N] [--quick] [--profile <prefix>]`: how close the digest pipeline gets
 * to the raw speed of the SMTP pipe, measured side by side in one run. Prints a table, then one
 * JSON line (the last line of stdout); progress goes to stderr. Everything it creates (database,
 * Redis keys, the sink process) is removed at the end, on error and on Ctrl-C.
 */
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { findIssue, selectTrendingPapers } from '@digest/db';
import { type IssueKey, issuePeriod, renderIssue, toIssuePaper } from '@digest/digest';
import { compileMessage, personalise } from '@digest/email';
import { openResources } from '@digest/runtime';
import { subscriberLinks } from '@digest/subscribers';
import { testQueuePrefix } from '../support/redis.ts';
import { measureMicro } from './micro.ts';
import { POOL_SIZE, runPipeline, smtpPipe } from './phases.ts';
import { CallCounter, countPgQueries, countRedisCommands, memoryAfterGc } from './probes.ts';
import { formatReport, summarise } from './report.ts';
import { benchConfig, createBenchDatabase, seed } from './setup.ts';
import { startSmtpSink } from './smtp-sink.ts';

const ISSUE: IssueKey = { cadence: 'daily', date: '2026-05-22' };
const RUN_DEADLINE_MS = 150_000;

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Options {
  recipients: number;
  microIterations: number;
  /** Writes CPU profiles of this process, one per phase, to <profile>-<phase>.cpuprofile. */
  profile?: string;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((arg) => arg !== '--'),
    options: {
      recipients: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'string' },
    },
  });
  const recipients = values.recipients ? Number(values.recipients) : values.quick ? 300 : 2000;
  if (!Number.isInteger(recipients) || recipients < 1 || recipients > 100_000) {
    throw new Error(`--recipients must be a whole number from 1 to 100000, got "${values.recipients}"`);
  }
  return { recipients, microIterations: values.quick ? 5_000 : 20_000, profile: values.profile };
}

/** Cleanup steps, run once, last registered first. */
const cleanups: (() => Promise<unknown>)[] = [];
let cleaning: Promise<void> | undefined;
function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (const step of cleanups.reverse()) {
      await step().catch((error: unknown) => progress(`cleanup step failed: ${String(error)}`));
    }
  })();
  return cleaning;
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: cleaning up`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const { recipients } = options;
  const profileFile = (phase: string) => options.profile && `${options.profile}-${phase}.cpuprofile`;
  const runStarted = performance.now();
  setTimeout(() => {
    progress(`still running after ${RUN_DEADLINE_MS / 1000} s: giving up`);
    void cleanUp().finally(() => process.exit(1));
  }, RUN_DEADLINE_MS).unref();

  const counters = { pg: new CallCounter(), redis: new CallCounter() };
  countPgQueries(counters.pg);
  countRedisCommands(counters.redis);

  progress(`${recipients} recipients: creating the database, Redis prefix and SMTP sink`);
  const database = await createBenchDatabase();
  cleanups.push(database.drop);
  const queue = testQueuePrefix();
  cleanups.push(queue.cleanup);
  const sink = await startSmtpSink();
  cleanups.push(sink.close);
  await seed(database.db, recipients);

  const config = benchConfig({ databaseUrl: database.url, smtpUrl: sink.url, queuePrefix: queue.prefix });
  const resources = openResources(config, 'bench');
  cleanups.push(resources.close);
  const ctx = { ...resources.digest, db: resources.db };
  const memoryAtStart = memoryAfterGc();

  // The issue's message as the worker will send it: same papers, render, compile and personalise.
  const papers = await selectTrendingPapers(resources.db, {
    ...issuePeriod(ISSUE),
    timeZone: config.DIGEST_TZ,
    limit: config.DIGEST_SIZE,
  });
  const rendered = await renderIssue(ctx, ISSUE, papers.map(toIssuePaper));
  const source = {
    from: config.MAIL_FROM,
    subject: rendered.subject,
    html: rendered.html,
    text: rendered.text,
    slotNonce: rendered.slotNonce,
    listUnsubscribe: {},
  };
  const compiled = compileMessage(source);
  const personalised = (index: number) =>
    personalise(compiled, {
      to: `reader-${index}@bench.example.org`,
      ...subscriberLinks(config.PUBLIC_BASE_URL, resources.tokens, index + 1),
    }).raw;
  const prebuilt = personalised(0);
  const messageKb = Buffer.byteLength(prebuilt) / 1024;
  const from = compiled.envelopeFrom;

  progress(`raw SMTP pipe (1/2): ${recipients} × ${messageKb.toFixed(1)} KB, one prebuilt message`);
  // The first phase also warms up the JIT of this process and of the sink.
  const rawBefore = await smtpPipe(sink, from, () => prebuilt, recipients, {
    warmUp: 1000,
    profile: profileFile('raw'),
  });
  progress('personalised SMTP pipe: a fresh personalised message per recipient');
  const personalisedPipe = await smtpPipe(sink, from, personalised, recipients, {
    warmUp: 200,
    profile: profileFile('personalised'),
  });

  progress(`pipeline: build-digest ${ISSUE.date} → ${recipients} deliveries through the worker`);
  const pipeline = await runPipeline({
    resources,
    sink,
    pollDb: database.db,
    key: ISSUE,
    recipients,
    pgCounter: counters.pg,
    redisCounter: counters.redis,
    timeoutMs: Math.max(30_000, recipients * 20),
    profile: profileFile('pipeline'),
    onCleanup: (step) => cleanups.push(step),
  });
  const errors = [...pipeline.errors];
  const issue = await findIssue(database.db, ISSUE.cadence, ISSUE.date);
  if (issue?.status !== 'sent') errors.push(`issue status ${issue?.status} after the run`);

  progress('raw SMTP pipe (2/2)');
  const rawAfter = await smtpPipe(sink, from, () => prebuilt, recipients, { warmUp: 200 });

  progress(`micro: personalise ×${options.microIterations}, MJML render`);
  const micro = await measureMicro(ctx, resources.tokens, source, options.microIterations);

  await cleanUp();
  const measured = {
    recipients,
    issueDate: ISSUE.date,
    messageKb,
    poolSize: POOL_SIZE,
    rawBefore,
    personalised: personalisedPipe,
    pipeline,
    rawAfter,
    micro,
    memoryAtStart,
    errors,
  };
  const figures = summarise(measured, (performance.now() - runStarted) / 1000);
  process.stdout.write(formatReport(figures, measured, counters));
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  if (errors.length > 0) {
    for (const error of errors) progress(`ERROR: ${error}`);
    process.exitCode = 1;
  }
}

main().catch(async (error: unknown) => {
  if (cleaning) return; // interrupted: the run's own steps fail as their resources go away
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanUp();
  process.exitCode = 1;
});
