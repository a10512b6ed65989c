import { loadConfig } from '@digest/config';
import {
  countDeliveriesByStatus,
  type DeliveryCounts,
  findIssue,
  type Issue,
  insertSubscribersIfNew,
  type NewSubscriber,
} from '@digest/db';
import { importPapers } from '@digest/digest';
import { openResources, type Resources } from '@digest/runtime';
import { fixture } from './fixtures.ts';
import { type PrivatePostgres, startPrivatePostgres } from './private-postgres.ts';
import { type PrivateRedis, startPrivateRedis } from './private-redis.ts';
import { eventually, type RunningProcess, startScriptDirect } from './processes.ts';
import { startTestSmtpServer, type TestSmtpServer } from './smtp.ts';

/** Connections in each worker's SMTP pool: one message in flight per connection is what a kill can double. */
export const POOL_SIZE = 5;

/**
 * How long a dead run's claim holds its deliveries. Shorter than the engine's default (about a
 * minute), so a scenario with two kills ends in well under two minutes.
 */
const LEASE_SECONDS = 20;

/** What a reader may choose about their papers: any of it makes their mail a personal edition. */
export type ReaderChoices = Pick<NewSubscriber, 'keywords' | 'papers_per_email' | 'top_when_no_match'>;

/**
 * The start of the subject of every mail of `issue`, personal editions included: its heading
 * (an edition's subject names its own top paper after it).
 */
export function issueHeading(issue: Issue): string {
  return issue.subject.slice(0, issue.subject.indexOf(': ') + 2);
}

/** Issue states that still expect to send (a paused issue resumes). */
const UNFINISHED = new Set<string>(['sending', 'paused']);

export interface ChaosOptions {
  /** Milliseconds the relay takes to accept each message: slow enough to fault it mid-issue. */
  acceptDelayMs: number;
  poolSize?: number;
  /** Extra environment of the workers, e.g. a short SEND_RETRY_HOURS. */
  settings?: Record<string, string>;
}

export interface ChaosStack {
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  smtp: TestSmtpServer;
  /** The test's own connections to the private services (as the API or CLI would hold them). */
  resources: Resources;
  /**
   * Inserts `count` active subscribers, `<kind>-<n>@example.org`, kind chosen per index, with the
   * choices of `choicesOf` (keywords, papers per email: a personal edition) or none.
   */
  subscribe(
    count: number,
    kindOf?: (index: number) => string,
    choicesOf?: (index: number) => ReaderChoices,
  ): Promise<string[]>;
  /** A worker process started the way `pnpm start:worker` starts it, on the private services. */
  startWorker(): RunningProcess;
  /** Waits until `count` worker processes are taking send jobs. */
  workersReady(count: number): Promise<void>;
  /** SIGKILL, as the OOM killer or a lost machine would. */
  kill(worker: RunningProcess): Promise<void>;
  /** Asks for the daily issue of `date`, as the scheduler does; resolves once it is built. */
  send(date: string): Promise<Issue>;
  /** Waits until the issue has a final status and nothing of it is queued or being sent. */
  settled(issue: Issue, timeoutMs: number): Promise<Issue>;
  counts(issue: Issue): Promise<DeliveryCounts>;
  /** Every worker's output, for a failure message. */
  output(): string;
  close(): Promise<void>;
}

/** Postgres, Redis and SMTP of the scenario's own, so it can restart, flush and stop them. */
export async function openChaosStack({
  acceptDelayMs,
  poolSize = POOL_SIZE,
  settings = {},
}: ChaosOptions): Promise<ChaosStack> {
  const [postgres, redis, smtp] = await Promise.all([
    startPrivatePostgres(),
    startPrivateRedis(),
    startTestSmtpServer({}, { acceptDelayMs, headersOnly: true }),
  ]);
  const env = {
    NODE_ENV: 'test',
    DATABASE_URL: postgres.url,
    REDIS_URL: redis.url,
    QUEUE_PREFIX: 'chaos',
    SMTP_URL: smtp.url,
    SMTP_POOL_SIZE: String(poolSize),
    SEND_LEASE_SECONDS: String(LEASE_SECONDS),
    PUBLIC_BASE_URL: 'http://digest.test',
    MAIL_FROM: 'Daily Papers <digest@digest.test>',
    TOKEN_SECRET: 'chaos-secret-chaos-secret-chaos-secret',
    // Failed jobs and connection errors are warnings: the output a failing scenario shows.
    LOG_LEVEL: 'warn',
    ...settings,
  };
  const resources = openResources(
    loadConfig({ ...env, LOG_LEVEL: 'silent' }, () => {}),
    'chaos-test',
  );
  await importPapers(resources.db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  const workers: RunningProcess[] = [];
  const output = () =>
    workers.map((worker, index) => `--- worker ${index + 1}:\n${worker.output().slice(-4000)}`).join('\n');

  return {
    postgres,
    redis,
    smtp,
    resources,
    async subscribe(count, kindOf = () => 'reader', choicesOf = () => ({})) {
      const emails = Array.from({ length: count }, (_, index) => `${kindOf(index)}-${index}@example.org`);
      await insertSubscribersIfNew(
        resources.db,
        emails.map((email, index) => ({
          email,
          status: 'active' as const,
          consent_source: 'import' as const,
          ...choicesOf(index),
        })),
      );
      return emails;
    },
    startWorker() {
      const worker = startScriptDirect('start:worker', env);
      workers.push(worker);
      return worker;
    },
    async workersReady(count) {
      const sendQueue = resources.queues.byName.send;
      await eventually(
        async () => ((await sendQueue.getWorkersCount()) >= count ? true : undefined),
        30_000,
        `${count} workers to take send jobs`,
      );
    },
    async kill(worker) {
      worker.child.kill('SIGKILL');
      await worker.stop();
    },
    async send(date) {
      await resources.queues.enqueue('build-digest', { cadence: 'daily', date });
      return eventually(() => findIssue(resources.db, 'daily', date), 30_000, `the issue of ${date}`);
    },
    async settled(issue, timeoutMs) {
      let last: { status?: string; counts?: DeliveryCounts } = {};
      return eventually(
        async () => {
          const current = await findIssue(resources.db, issue.cadence, issue.issue_date);
          const counts = await countDeliveriesByStatus(resources.db, issue.id);
          last = { status: current?.status, counts };
          const busy = counts.queued + counts.sending > 0;
          return current && !UNFINISHED.has(current.status) && !busy ? current : undefined;
        },
        timeoutMs,
        `the issue to settle`,
      ).catch((error: Error) => {
        throw new Error(`${error.message}; last seen ${JSON.stringify(last)}\n${output()}`);
      });
    },
    counts: (issue) => countDeliveriesByStatus(resources.db, issue.id),
    output,
    async close() {
      await Promise.all(workers.map((worker) => worker.stop()));
      await resources.close();
      await smtp.close();
      await redis.stop();
      await postgres.destroy();
    },
  };
}

export interface LedgerCheck {
  issueStatus: string;
  completed: boolean;
  /** Recipients expected to get the issue: mailed at least once and recorded `sent`. */
  delivered: number;
  /** Expected recipients the relay never accepted a message for (lost). */
  missing: number;
  /** Mailed, but the ledger does not say `sent`. */
  unrecorded: number;
  /** Recorded `sent` but never accepted by the relay. */
  phantom: number;
  /** Messages beyond the first per recipient. */
  duplicates: number;
  /** Recipients with more than one delivery row for the issue. */
  doubleRows: number;
  /** Dead mailboxes that were mailed, or whose delivery or subscriber is not `bounced`. */
  bouncesWrong: number;
  /** Mail of this issue to addresses outside the ledger. */
  strangers: number;
}

/**
 * Compares the ledger in Postgres with what the relay accepted for one issue. `bounced` are the
 * addresses the relay answers `550 5.1.1`. `samples` names a few addresses behind each nonzero
 * count, for the failure message.
 */
export async function checkLedger(
  stack: ChaosStack,
  issue: Issue,
  bounced: (email: string) => boolean,
): Promise<{ check: LedgerCheck; samples: Record<string, string[]> }> {
  const { db } = stack.resources;
  const rows = await db
    .selectFrom('deliveries')
    .innerJoin('subscribers', 'subscribers.id', 'deliveries.subscriber_id')
    .select(['subscribers.email', 'subscribers.status as subscriberStatus', 'deliveries.status'])
    .where('deliveries.issue_id', '=', issue.id)
    .execute();
  const current = await findIssue(db, issue.cadence, issue.issue_date);
  const mailed = stack.smtp.countByRecipient(issueHeading(issue));

  const samples: Record<string, string[]> = {};
  const note = (kind: keyof LedgerCheck, email: string) => {
    const list = samples[kind] ?? [];
    if (list.length < 5) samples[kind] = [...list, email];
  };
  const check: LedgerCheck = {
    issueStatus: current?.status ?? 'missing',
    completed: Boolean(current?.completed_at),
    delivered: 0,
    missing: 0,
    unrecorded: 0,
    phantom: 0,
    duplicates: 0,
    doubleRows: 0,
    bouncesWrong: 0,
    strangers: 0,
  };
  const seen = new Set<string>();
  for (const row of rows) {
    if (seen.has(row.email)) {
      check.doubleRows++;
      note('doubleRows', row.email);
      continue;
    }
    seen.add(row.email);
    const copies = mailed.get(row.email) ?? 0;
    if (bounced(row.email)) {
      if (copies > 0 || row.status !== 'bounced' || row.subscriberStatus !== 'bounced') {
        check.bouncesWrong++;
        note('bouncesWrong', `${row.email} (${copies} mailed, ${row.status}, ${row.subscriberStatus})`);
      }
      continue;
    }
    if (copies === 0 && row.status === 'sent') {
      check.phantom++;
      note('phantom', row.email);
    } else if (copies === 0) {
      check.missing++;
      note('missing', `${row.email} (${row.status})`);
    } else if (row.status !== 'sent') {
      check.unrecorded++;
      note('unrecorded', `${row.email} (${row.status})`);
    } else check.delivered++;
    if (copies > 1) {
      check.duplicates += copies - 1;
      note('duplicates', `${row.email} ×${copies}`);
    }
  }
  for (const email of mailed.keys()) {
    if (seen.has(email)) continue;
    check.strangers++;
    note('strangers', email);
  }
  // What the relay got against what the ledger says, for the run's log.
  const received = [...mailed.values()].reduce((sum, copies) => sum + copies, 0);
  console.info(
    `ledger check of ${issue.issue_date}: the relay received ${received}, ${JSON.stringify(check)}`,
  );
  return { check, samples };
}
