/**
 * `pnpm bench [--recipients N] [--quick] [--profile <dir>]`: the digest pipeline against the raw
 * speed of the SMTP pipe, the worker's memory, DKIM signing (verified on a sample), personal
 * editions (every reader their own) and signup under load, in one run. The worker, the API and
 * the SMTP sink run as child processes, started the production way (`node <entry>.ts`).
 * Prints a table, then one JSON object as the last line of stdout; progress goes to stderr.
 * Everything it creates (databases, Redis keys, processes) is removed at the end and on Ctrl-C.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { dkimFailure, dkimSettings } from '../support/dkim.ts';
import { endToEnd, naive, POOL_SIZE, rawPipe } from './send.ts';
import { signupLoad } from './signup.ts';
import { startSmtpSink } from './smtp-sink.ts';

const progress = (message: string) => process.stderr.write(`bench: ${message}\n`);

interface Options {
  recipients: number;
  naiveSample: number;
  loadSeconds: number;
  /** Signup latency is reported at this fixed rate (req/s). */
  loadRate: number;
  /** Writes the worker's CPU profiles of the 4N runs (node --cpu-prof) here: unsigned, and in dkim/ signed. */
  profile?: string | undefined;
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
  const recipients = values.recipients ? Number(values.recipients) : values.quick ? 500 : 5000;
  if (!Number.isInteger(recipients) || recipients < 1 || recipients > 250_000) {
    throw new Error(`--recipients must be a whole number from 1 to 250000, got "${values.recipients}"`);
  }
  return {
    recipients,
    naiveSample: values.quick ? 20 : 200,
    loadSeconds: values.quick ? 3 : 10,
    loadRate: 1000,
    profile: values.profile,
  };
}

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

const round = (value: number, digits = 0) => Math.round(value * 10 ** digits) / 10 ** digits;

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const n = options.recipients;
  const sink = await startSmtpSink();
  cleanups.push(sink.close);
  const timeoutMs = Math.max(60_000, n * 4 * 10);

  progress(`end to end: ${n} recipients through a worker process`);
  const e2e = await endToEnd({ sink, recipients: n, nodeArgs: [], timeoutMs });
  progress(
    `raw pipe: ${n} × one prebuilt message, pool of ${POOL_SIZE}: Nodemailer, then the project's client`,
  );
  const raw = await rawPipe(sink, e2e.issue, n, 'nodemailer');
  const rawOwn = await rawPipe(sink, e2e.issue, n, 'project');
  progress(`naive: MJML render + Nodemailer compose per recipient, ${options.naiveSample} recipients`);
  const naiveRun = await naive(sink, e2e.issue, options.naiveSample);

  progress(
    `end to end: ${4 * n} recipients${options.profile ? `, CPU profile into ${options.profile}` : ''}`,
  );
  // With --profile, the worker's CPU profile of a run (node --cpu-prof), in `folder` of it.
  const profiled = (folder = '') =>
    options.profile ? ['--cpu-prof', '--cpu-prof-dir', join(options.profile, folder)] : [];
  const e2e4 = await endToEnd({
    sink,
    recipients: 4 * n,
    nodeArgs: profiled(),
    timeoutMs,
  });
  progress(`raw pipe: ${4 * n}, both clients`);
  const raw4 = await rawPipe(sink, e2e.issue, 4 * n, 'nodemailer');
  const rawOwn4 = await rawPipe(sink, e2e.issue, 4 * n, 'project');
  progress(`end to end: ${4 * n} recipients, each message DKIM-signed (rsa-sha256, 2,048-bit key)`);
  const dkim = dkimSettings('bench.example.org', 'bench');
  const signed = await endToEnd({
    sink,
    recipients: 4 * n,
    nodeArgs: profiled('dkim'),
    env: dkim.env,
    timeoutMs,
  });
  const dkimFailures = signed.samples.flatMap((message) => dkimFailure(message, dkim.publicKey) ?? []);
  progress(`end to end: ${n} recipients, each with a personal edition of their own`);
  const ownEditions = await endToEnd({ sink, recipients: n, editions: n, nodeArgs: [], timeoutMs });

  progress(`signup: autocannon against the API and a bare Hono endpoint, ${options.loadSeconds} s each`);
  const signup = await signupLoad(sink, options.loadSeconds, options.loadRate);
  await cleanUp();

  const figures = {
    recipients: n,
    e2e_msgs_per_s: round(e2e.msgsPerS),
    raw_msgs_per_s: round(raw.msgsPerS),
    e2e_vs_raw: round(e2e.msgsPerS / raw.msgsPerS, 2),
    raw_project_client_msgs_per_s: round(rawOwn.msgsPerS),
    e2e_vs_raw_project_client: round(e2e.msgsPerS / rawOwn.msgsPerS, 2),
    e2e_msgs_per_s_4x: round(e2e4.msgsPerS),
    raw_msgs_per_s_4x: round(raw4.msgsPerS),
    e2e_vs_raw_4x: round(e2e4.msgsPerS / raw4.msgsPerS, 2),
    e2e_vs_raw_project_client_4x: round(e2e4.msgsPerS / rawOwn4.msgsPerS, 2),
    e2e_dkim_msgs_per_s_4x: round(signed.msgsPerS),
    e2e_dkim_vs_raw_4x: round(signed.msgsPerS / raw4.msgsPerS, 2),
    e2e_dkim_vs_unsigned_4x: round(signed.msgsPerS / e2e4.msgsPerS, 2),
    dkim_samples_verified: signed.samples.length - dkimFailures.length,
    dkim_samples: signed.samples.length,
    naive_msgs_per_s: round(naiveRun.msgsPerS, 1),
    e2e_vs_naive: round(e2e.msgsPerS / naiveRun.msgsPerS, 1),
    worker_rss_mb: round(e2e.peakRssMb),
    worker_rss_mb_4x: round(e2e4.peakRssMb),
    rss_growth: round(e2e4.peakRssMb / e2e.peakRssMb, 2),
    editions_msgs_per_s: round(ownEditions.msgsPerS),
    editions_vs_e2e: round(ownEditions.msgsPerS / e2e.msgsPerS, 2),
    worker_rss_mb_editions: round(ownEditions.peakRssMb),
    subscribe_rps: round(signup.subscribe.rps),
    subscribe_p99_ms: round(signup.subscribeAtRate.p99Ms, 1),
    subscribe_vs_bare: round(signup.subscribe.rps / signup.bare.rps, 2),
  };
  const rows: [string, string, string][] = [
    ['end to end', `${figures.e2e_msgs_per_s} msg/s`, `${n} recipients, trigger → last message accepted`],
    [
      '  first message after',
      `${round(e2e.firstMessageMs)} ms`,
      'trigger → first accepted: build, first session',
    ],
    [
      'raw pipe (Nodemailer)',
      `${figures.raw_msgs_per_s} msg/s`,
      `${raw.messageKb.toFixed(1)} KB message, Nodemailer's pool of ${POOL_SIZE}, sendMail({ raw })`,
    ],
    [
      'raw pipe (project client)',
      `${figures.raw_project_client_msgs_per_s} msg/s`,
      `the worker's transport, pool of ${POOL_SIZE}`,
    ],
    ['end to end / raw', String(figures.e2e_vs_raw), 'target ≥ 0.75 at 4N'],
    [
      'end to end / raw (project)',
      String(figures.e2e_vs_raw_project_client),
      'the pipeline against its own client',
    ],
    [`end to end ×4`, `${figures.e2e_msgs_per_s_4x} msg/s`, `${4 * n} recipients`],
    ['  first message after', `${round(e2e4.firstMessageMs)} ms`, ''],
    ['raw pipe ×4 (Nodemailer)', `${figures.raw_msgs_per_s_4x} msg/s`, ''],
    ['raw pipe ×4 (project)', `${round(rawOwn4.msgsPerS)} msg/s`, ''],
    ['end to end / raw ×4', String(figures.e2e_vs_raw_4x), 'target ≥ 0.75'],
    ['end to end / raw ×4 (project)', String(figures.e2e_vs_raw_project_client_4x), ''],
    [
      'end to end ×4, DKIM-signed',
      `${figures.e2e_dkim_msgs_per_s_4x} msg/s`,
      `${4 * n} recipients, rsa-sha256 with a 2,048-bit key`,
    ],
    ['  against raw ×4', String(figures.e2e_dkim_vs_raw_4x), 'raw pipe ×4 (Nodemailer), which does not sign'],
    ['  against unsigned ×4', String(figures.e2e_dkim_vs_unsigned_4x), `end to end ×4 unsigned`],
    [
      '  signatures verified',
      `${figures.dkim_samples_verified}/${figures.dkim_samples}`,
      'sampled at the sink, checked by a verifier of their own (test/support/dkim.ts)',
    ],
    [
      'naive',
      `${figures.naive_msgs_per_s} msg/s`,
      `${options.naiveSample} recipients, MJML + Nodemailer sendMail each`,
    ],
    ['end to end / naive', String(figures.e2e_vs_naive), 'target ≥ 10'],
    ['worker RSS idle', `${round(e2e.idleRssMb)} MB`, 'after start-up'],
    ['worker RSS peak', `${figures.worker_rss_mb} MB`, `VmHWM at ${n}`],
    ['worker RSS peak ×4', `${figures.worker_rss_mb_4x} MB`, `VmHWM at ${4 * n}; target ≤ 200`],
    ['RSS growth', String(figures.rss_growth), 'target ≤ 1.3'],
    [
      'end to end, own editions',
      `${figures.editions_msgs_per_s} msg/s`,
      `${n} recipients, each their own personal edition (keywords)`,
    ],
    [
      '  against one edition',
      String(figures.editions_vs_e2e),
      `own editions / everyone the same, both at ${n}`,
    ],
    ['worker RSS peak, editions', `${figures.worker_rss_mb_editions} MB`, `VmHWM at ${n} editions`],
    [
      'signup, 50 connections',
      `${figures.subscribe_rps} req/s`,
      `p50 ${signup.subscribe.p50Ms} ms, p99 ${signup.subscribe.p99Ms} ms, ${signup.subscribe.errors} errors`,
    ],
    [
      `signup at ${options.loadRate} req/s`,
      `p99 ${figures.subscribe_p99_ms} ms`,
      `${round(signup.subscribeAtRate.rps)} req/s served, p50 ${signup.subscribeAtRate.p50Ms} ms; target p99 ≤ 50`,
    ],
    ['bare Hono endpoint', `${round(signup.bare.rps)} req/s`, `p99 ${signup.bare.p99Ms} ms`],
    ['signup / bare', String(figures.subscribe_vs_bare), ''],
  ];
  const width = (column: 0 | 1) => Math.max(...rows.map((row) => row[column].length));
  const lines = rows.map(([label, value, note]) =>
    `${label.padEnd(width(0))}  ${value.padStart(width(1))}  ${note}`.trimEnd(),
  );
  process.stdout.write(`${lines.join('\n')}\n`);
  process.stdout.write(`${JSON.stringify(figures)}\n`);
  const errors = signup.subscribe.errors + signup.subscribeAtRate.errors + signup.bare.errors;
  if (errors > 0) {
    progress(`ERROR: ${errors} failed load-test requests`);
    process.exitCode = 1;
  }
  if (dkimFailures.length > 0 || signed.samples.length === 0) {
    progress(
      `ERROR: DKIM did not verify on ${dkimFailures.length} of ${signed.samples.length} sampled messages: ${dkimFailures[0] ?? 'none sampled'}`,
    );
    process.exitCode = 1;
  }
}

main().catch(async (error: unknown) => {
  if (cleaning) return; // interrupted: the run's own steps fail as their resources go away
  progress(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  await cleanUp();
  process.exitCode = 1;
});
