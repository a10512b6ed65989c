import { setTimeout as sleep } from 'node:timers/promises';
import { AppError, dateInZone } from '@digest/core';
import type { Cadence, DeliveryCounts } from '@digest/db';
import {
  controlIssue,
  type IssueAction,
  type IssueKey,
  type IssueReport,
  issueReport,
  previewIssue,
  requestBuild,
  resendIssue,
  settledIssueReport,
} from '@digest/digest';
import type { JobName } from '@digest/queue';
import type { Resources } from '@digest/runtime';
import { emailSchema } from '@digest/subscribers';
import {
  CliError,
  expectPositionals,
  parseCadence,
  parseCommandArgs,
  parseDate,
  requireDate,
  UsageError,
} from './args.ts';
import { type Io, println, quoted, writeOutputFile } from './io.ts';

export interface DigestSendOptions {
  /** Today in DIGEST_TZ when absent. */
  date?: string;
  cadence: Cadence;
  wait: boolean;
}

export interface DigestResendOptions extends IssueKey {
  emails?: string[];
  failedOnly?: boolean;
  missingOnly?: boolean;
  all?: boolean;
}

export interface DigestControlOptions extends IssueKey {
  action: IssueAction;
}

export type DigestStatusOptions = IssueKey;

export interface DigestPreviewOptions extends IssueKey {
  out?: string;
}

/** How `digest send` waits; tests shorten both. */
export interface WaitSettings {
  pollMs: number;
  timeoutMs: number;
}

const DEFAULT_WAIT: WaitSettings = { pollMs: 1000, timeoutMs: 30 * 60 * 1000 };
const REDIS_TIMEOUT_MS = 5000;
const NO_WORKER = 'no worker is running: the digest is queued and will be sent when `pnpm start:worker` runs';

const dateOption = { date: { type: 'string' }, cadence: { type: 'string' } } as const;

export function parseDigestSendArgs(args: string[]): DigestSendOptions {
  const { values, positionals } = parseCommandArgs('digest send', {
    args,
    allowPositionals: true,
    options: { ...dateOption, 'no-wait': { type: 'boolean' } },
  });
  expectPositionals('digest send', positionals, []);
  return {
    date: values.date === undefined ? undefined : parseDate(values.date),
    cadence: parseCadence(values.cadence),
    wait: !values['no-wait'],
  };
}

export function parseDigestResendArgs(args: string[]): DigestResendOptions {
  const { values, positionals } = parseCommandArgs('digest resend', {
    args,
    allowPositionals: true,
    options: {
      ...dateOption,
      email: { type: 'string', multiple: true },
      failed: { type: 'boolean' },
      missing: { type: 'boolean' },
      all: { type: 'boolean' },
    },
  });
  expectPositionals('digest resend', positionals, []);
  const chosen = [values.email, values.failed, values.missing, values.all].filter(Boolean).length;
  if (chosen !== 1) {
    throw new UsageError(
      'digest resend: say who gets it: exactly one of --email E, --failed, --missing or --all',
    );
  }
  const emails = values.email?.map((email) => {
    const parsed = emailSchema.safeParse(email);
    if (!parsed.success)
      throw new UsageError(`--email ${quoted(email, 60)}: ${parsed.error.issues[0]?.message}`);
    return parsed.data;
  });
  return {
    date: requireDate('digest resend', values.date),
    cadence: parseCadence(values.cadence),
    emails: emails && [...new Set(emails)],
    failedOnly: values.failed,
    missingOnly: values.missing,
    all: values.all,
  };
}

export function parseDigestControlArgs(action: IssueAction, args: string[]): DigestControlOptions {
  const command = `digest ${action}`;
  const { values, positionals } = parseCommandArgs(command, {
    args,
    allowPositionals: true,
    options: dateOption,
  });
  expectPositionals(command, positionals, []);
  return { action, date: requireDate(command, values.date), cadence: parseCadence(values.cadence) };
}

export function parseDigestStatusArgs(args: string[]): DigestStatusOptions {
  const { values, positionals } = parseCommandArgs('digest status', {
    args,
    allowPositionals: true,
    options: dateOption,
  });
  expectPositionals('digest status', positionals, []);
  return { date: requireDate('digest status', values.date), cadence: parseCadence(values.cadence) };
}

export function parseDigestPreviewArgs(args: string[]): DigestPreviewOptions {
  const { values, positionals } = parseCommandArgs('digest preview', {
    args,
    allowPositionals: true,
    options: { ...dateOption, out: { type: 'string' } },
  });
  expectPositionals('digest preview', positionals, []);
  return {
    date: requireDate('digest preview', values.date),
    cadence: parseCadence(values.cadence),
    out: values.out,
  };
}

/**
 * Queues the build of an issue and, when a worker runs, follows it until every delivery is
 * settled. An issue built before is only reported: building is idempotent and nothing is sent twice.
 */
export async function sendDigest(
  resources: Resources,
  options: DigestSendOptions,
  io: Io,
  wait: WaitSettings = DEFAULT_WAIT,
): Promise<IssueReport | undefined> {
  const key: IssueKey = {
    cadence: options.cadence,
    date: options.date ?? dateInZone(new Date(), resources.config.DIGEST_TZ),
  };
  const name = issueName(key);
  const existing = await findReport(resources, key);
  // A skipped issue (no papers then) is built again: papers may have been imported since.
  if (existing && existing.status !== 'skipped') {
    println(
      io.stdout,
      `the ${name} was already built on ${existing.createdAt.toISOString()}: nothing is sent again`,
    );
    printOutcome(io, existing);
    return existing;
  }

  await ensureRedis(resources);
  const job = await requestBuild(resources.digest, key);
  if (!(await workerRuns(resources, 'build-digest'))) {
    println(io.stdout, `queued the ${name}; ${NO_WORKER}`);
    return undefined;
  }
  if (!options.wait) {
    println(io.stdout, `queued the ${name} (job ${job.id})`);
    return undefined;
  }

  const deadline = Date.now() + wait.timeoutMs;
  println(io.stderr, `building the ${name}…`);
  await waitForBuild(resources, String(job.id), key, io, { ...wait, deadline });

  const progress = progressPrinter(io);
  for (;;) {
    const report = await issueReport(resources.digest, key);
    const { queued, sending } = report.deliveries;
    // Deliveries waiting for their readers' mornings are not waited for: they are planned.
    if (report.status === 'skipped' || queued + sending - report.scheduled === 0) {
      progress.done();
      const settled = await settledIssueReport(resources.digest, report);
      printOutcome(io, settled);
      return settled;
    }
    progress.show(report);
    if (Date.now() > deadline) {
      progress.done();
      throw timedOut(key, wait);
    }
    await sleep(wait.pollMs);
  }
}

/**
 * The progress of a send: a bar redrawn in place on a terminal, a line per change elsewhere.
 * When nothing is in flight and deliveries wait, it says why and when they are tried again.
 */
function progressPrinter(io: Io) {
  const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let last = '';
  return {
    show(report: IssueReport) {
      const line = `${progressBar(report.deliveries)}${stallNote(report)}`;
      if (line === last) return;
      last = line;
      if (tty) io.stderr.write(`\r\x1b[2K${line}`);
      else println(io.stderr, line);
    },
    done() {
      if (tty && last) io.stderr.write('\n');
    },
  };
}

function progressBar(counts: DeliveryCounts & { total: number }): string {
  const settled = counts.total - counts.queued - counts.sending;
  const width = 24;
  const filled = counts.total === 0 ? width : Math.round((settled / counts.total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${progressLine(counts)}`;
}

function stallNote(report: IssueReport): string {
  if (report.status === 'paused') return ' — paused (pnpm cli digest resume to go on)';
  const waiting = report.failures.find((failure) => failure.status === 'retrying');
  if (report.deliveries.sending > 0 || !waiting || !report.nextAttemptAt) return '';
  return ` — waiting: ${waiting.reason}; retrying at ${clock(report.nextAttemptAt)}`;
}

function clock(at: Date): string {
  return at.toTimeString().slice(0, 5);
}

export async function resendDigest(
  resources: Resources,
  options: DigestResendOptions,
  io: Io,
): Promise<number> {
  await ensureRedis(resources);
  const { requeued } = await resendIssue(resources.digest, options);
  const name = issueName(options);
  if (requeued === 0) {
    const why = options.failedOnly
      ? 'no delivery has failed'
      : options.missingOnly
        ? 'every active subscriber has received it or is about to'
        : 'every matching delivery is still queued or being sent';
    println(io.stdout, `nothing to resend for the ${name}: ${why}`);
    return 0;
  }
  println(io.stdout, `queued ${requeued} deliver${requeued === 1 ? 'y' : 'ies'} of the ${name} again`);
  if (!(await workerRuns(resources, 'send-issue'))) {
    println(io.stdout, 'no worker is running: they will be sent when `pnpm start:worker` runs');
  }
  return requeued;
}

/** Pauses, resumes or cancels the sending of an issue. */
export async function controlDigest(
  resources: Resources,
  options: DigestControlOptions,
  io: Io,
): Promise<void> {
  const { status, skipped } = await controlIssue(resources.digest, options, options.action);
  const note = skipped > 0 ? ` (${skipped} waiting deliver${skipped === 1 ? 'y' : 'ies'} skipped)` : '';
  println(io.stdout, `the ${issueName(options)} is now ${status}${note}`);
}

export async function digestStatus(
  resources: Pick<Resources, 'db'>,
  options: DigestStatusOptions,
  io: Io,
): Promise<IssueReport> {
  const report = await issueReport(resources, { cadence: options.cadence, date: options.date });
  println(io.stdout, `${issueName(report)}: ${report.label}`);
  println(io.stdout, `subject:   ${report.subject}`);
  println(io.stdout, `created:   ${report.createdAt.toISOString()}`);
  println(io.stdout, `completed: ${report.completedAt?.toISOString() ?? '-'}`);
  println(io.stdout, `papers (${report.papers.length}):`);
  const upvoteWidth = Math.max(1, ...report.papers.map((paper) => String(paper.upvotes).length));
  report.papers.forEach((paper, index) => {
    const rank = String(index + 1).padStart(3);
    println(io.stdout, `${rank}. ${String(paper.upvotes).padStart(upvoteWidth)} upvotes  ${paper.title}`);
  });
  const counts = Object.entries(report.deliveries)
    .filter(([status]) => status !== 'total')
    .map(([status, count]) => `${status} ${count}`);
  println(io.stdout, `deliveries (${report.deliveries.total}): ${counts.join(', ')}`);
  if (report.failures.length > 0) {
    println(io.stdout, 'not delivered, by reason:');
    for (const failure of report.failures) {
      println(
        io.stdout,
        `  ${String(failure.count).padStart(6)} ${failure.status.padEnd(8)} ${quoted(failure.reason, 200)}`,
      );
    }
  }
  if (report.nextAttemptAt && report.deliveries.queued > 0) {
    println(io.stdout, `next attempt: ${report.nextAttemptAt.toISOString()}`);
  }
  if (report.scheduled > 0) {
    println(io.stdout, `scheduled: ${report.scheduled} for their readers' mornings (DIGEST_LOCAL_HOUR)`);
  }
  return report;
}

export async function previewDigest(
  resources: Resources,
  options: DigestPreviewOptions,
  io: Io,
): Promise<void> {
  const preview = await previewIssue(resources.digest, { cadence: options.cadence, date: options.date });
  if (options.out === undefined) {
    io.stdout.write(preview.html);
    return;
  }
  await writeOutputFile(options.out, preview.html);
  println(io.stdout, `wrote ${options.out}: ${quoted(preview.subject)}`);
}

async function findReport(resources: Resources, key: IssueKey): Promise<IssueReport | undefined> {
  try {
    return await issueReport(resources.digest, key);
  } catch (error) {
    if (error instanceof AppError && error.code === 'not_found') return undefined;
    throw error;
  }
}

/** Waits for the build job, reporting retries; a job that failed for good is an error. */
async function waitForBuild(
  resources: Resources,
  jobId: string,
  key: IssueKey,
  io: Io,
  wait: WaitSettings & { deadline: number },
): Promise<void> {
  const queue = resources.queues.queueOf('build-digest');
  let attemptsReported = 0;
  for (;;) {
    const state = await queue.getJobState(jobId);
    // `unknown`: the job was already trimmed from Redis, so it finished.
    if (state === 'completed' || state === 'unknown') return;
    if (state === 'failed' || state === 'delayed') {
      const job = await queue.getJob(jobId);
      if (state === 'failed') {
        throw new CliError(`building the ${issueName(key)} failed: ${job?.failedReason ?? 'unknown reason'}`);
      }
      if (job && job.attemptsMade > attemptsReported) {
        attemptsReported = job.attemptsMade;
        println(io.stderr, `build attempt ${attemptsReported} failed (${job.failedReason}); retrying`);
      }
    }
    if (Date.now() > wait.deadline) throw timedOut(key, wait);
    await sleep(wait.pollMs);
  }
}

/** Commands on a stopped Redis would wait for it to come back forever; fail clearly instead. */
async function ensureRedis(resources: Pick<Resources, 'redis'>): Promise<void> {
  const cancel = new AbortController();
  const unreachable = sleep(REDIS_TIMEOUT_MS, undefined, { signal: cancel.signal }).then(() => {
    throw new CliError(`cannot reach Redis (REDIS_URL) within ${REDIS_TIMEOUT_MS / 1000}s: is it running?`);
  });
  try {
    await Promise.race([resources.redis.ping(), unreachable]);
  } finally {
    cancel.abort();
  }
}

async function workerRuns(resources: Pick<Resources, 'queues'>, job: JobName): Promise<boolean> {
  return (await resources.queues.queueOf(job).getWorkersCount()) > 0;
}

function printOutcome(io: Io, report: IssueReport): void {
  const name = issueName(report);
  if (report.status === 'skipped') {
    const period = report.cadence === 'daily' ? `on ${report.date}` : `in the week ending ${report.date}`;
    println(io.stdout, `no papers were featured ${period}: nothing sent`);
  } else if (report.deliveries.total === 0) {
    println(io.stdout, `the ${name} had no ${report.cadence} subscriber to go to: nothing sent`);
  } else {
    println(io.stdout, `${name}: ${report.label} (${finalCounts(report.deliveries)})`);
    for (const failure of report.failures) {
      println(io.stdout, `  ${failure.count} ${failure.status}: ${quoted(failure.reason, 200)}`);
    }
    if (report.scheduled > 0) println(io.stdout, scheduledNote(report));
  }
}

function scheduledNote(report: IssueReport): string {
  const first = report.nextAttemptAt ? `, the first at ${report.nextAttemptAt.toISOString()}` : '';
  return `  ${report.scheduled} scheduled for their readers' morning (DIGEST_LOCAL_HOUR in their time zone)${first}`;
}

function progressLine(counts: DeliveryCounts & { total: number }): string {
  return `sent ${counts.sent}/${counts.total}, failed ${counts.failed}, queued ${counts.queued + counts.sending}`;
}

function finalCounts(counts: DeliveryCounts & { total: number }): string {
  const others = (['queued', 'sending', 'bounced', 'skipped'] as const)
    .filter((status) => counts[status] > 0)
    .map((status) => `, ${status} ${counts[status]}`)
    .join('');
  return `sent ${counts.sent}/${counts.total}, failed ${counts.failed}${others}`;
}

function timedOut(key: IssueKey, wait: WaitSettings): CliError {
  const seconds = Math.round(wait.timeoutMs / 1000);
  const after = seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds}s`;
  return new CliError(
    `gave up waiting after ${after}: the ${issueName(key)} is still in progress; ` +
      `check it with \`pnpm cli digest status --date ${key.date}${key.cadence === 'weekly' ? ' --cadence weekly' : ''}\``,
  );
}

function issueName(key: IssueKey): string {
  return `${key.cadence} issue of ${key.date}`;
}
