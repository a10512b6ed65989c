import { countDeliveriesByStatus, findIssue, insertSubscribersIfNew } from '@digest/db';
import { importPapers } from '@digest/digest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from './support/fixtures.ts';
import { type Harness, openHarness } from './support/harness.ts';
import { eventually, type RunningProcess, startService } from './support/processes.ts';
import { startTestSmtpServer, type TestSmtpServer } from './support/smtp.ts';

const RECIPIENTS = 300;
let harness: Harness;
let slowSmtp: TestSmtpServer;
const workers: RunningProcess[] = [];

beforeAll(async () => {
  harness = await openHarness();
  // A relay that takes 20 ms to accept each message, so the worker can be killed mid-issue.
  slowSmtp = await startTestSmtpServer({}, { acceptDelayMs: 20 });
  const { db } = harness.resources;
  await importPapers(db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  await insertSubscribersIfNew(
    db,
    Array.from({ length: RECIPIENTS }, (_, index) => ({
      email: `reader-${index}@example.org`,
      status: 'active' as const,
      consent_source: 'import' as const,
    })),
  );
});

afterAll(async () => {
  for (const worker of workers) await worker.stop();
  await slowSmtp?.close();
  await harness?.close();
});

function startWorker(logLevel: 'warn' | 'info' = 'warn'): RunningProcess {
  const { config } = harness;
  const worker = startService('apps/worker/src/main.ts', {
    DATABASE_URL: config.DATABASE_URL,
    REDIS_URL: config.REDIS_URL,
    QUEUE_PREFIX: config.QUEUE_PREFIX,
    SMTP_URL: slowSmtp.url,
    PUBLIC_BASE_URL: config.PUBLIC_BASE_URL,
    MAIL_FROM: config.MAIL_FROM,
    TOKEN_SECRET: config.TOKEN_SECRET.join(','),
    // Failed jobs are logged as warnings: the output a failing test shows.
    LOG_LEVEL: logLevel,
  });
  workers.push(worker);
  return worker;
}

/** What the relay received of one issue: a test never counts another test's leftovers. */
function received(subject: string) {
  return slowSmtp.messages.filter((mail) => mail.parsed.subject === subject);
}

describe('a worker killed with SIGKILL in the middle of an issue', () => {
  it('loses nothing: another worker finishes, re-sending only what was not recorded', async () => {
    const first = startWorker();
    await harness.resources.queues.enqueue('build-digest', { cadence: 'daily', date: '2026-05-22' });
    await slowSmtp.waitFor(60, 30_000);
    first.child.kill('SIGKILL');
    await first.stop();
    await slowSmtp.idle();

    const { db } = harness.resources;
    const issue = await findIssue(db, 'daily', '2026-05-22');
    const atCrash = await countDeliveriesByStatus(db, issue!.id);
    expect(atCrash.sent).toBeLessThan(RECIPIENTS);
    const receivedAtCrash = received(issue!.subject).length;

    // The new worker takes over the dead one's jobs once their locks lapse (under 40 s).
    const second = startWorker();
    const done = await eventually(
      async () => {
        const counts = await countDeliveriesByStatus(db, issue!.id);
        // The run that records the last delivery marks the issue sent a moment later.
        const { status } = (await findIssue(db, 'daily', '2026-05-22'))!;
        return counts.sent === RECIPIENTS && status === 'sent' ? counts : undefined;
      },
      120_000,
      'every delivery to be sent',
    ).catch((error: Error) => {
      throw new Error(`${error.message}\nthe second worker's output:\n${second.output()}`);
    });
    expect(done).toMatchObject({ queued: 0, sending: 0, failed: 0 });

    const mails = received(issue!.subject);
    const perAddress = new Map<string, number>();
    for (const mail of mails) {
      for (const to of mail.envelopeTo) perAddress.set(to, (perAddress.get(to) ?? 0) + 1);
    }
    expect(perAddress.size).toBe(RECIPIENTS);
    // The only second copies: messages that were accepted but not yet recorded when the worker died.
    const duplicates = mails.length - RECIPIENTS;
    expect(duplicates).toBeLessThanOrEqual(receivedAtCrash - atCrash.sent);
  }, 180_000);
});

describe('a worker stopped with SIGTERM in the middle of an issue', () => {
  it('finishes and records its batches before exiting, even when signalled twice; nothing is sent twice', async () => {
    for (const earlier of workers) await earlier.stop();
    const before = slowSmtp.messages.length;
    // At info, it logs when it starts shutting down.
    const worker = startWorker('info');
    await harness.resources.queues.enqueue('build-digest', { cadence: 'daily', date: '2026-05-23' });
    await slowSmtp.waitFor(before + 20, 30_000);
    worker.child.kill('SIGTERM');
    // A second signal while it drains (an impatient supervisor) must not cut the drain short.
    await eventually(async () => (worker.output().includes('shutting down') ? true : undefined));
    worker.child.kill('SIGTERM');
    expect(await worker.stop(), worker.output()).toBe(0);

    const { db } = harness.resources;
    const issue = await findIssue(db, 'daily', '2026-05-23');
    expect((await countDeliveriesByStatus(db, issue!.id)).sending).toBe(0);

    startWorker();
    await eventually(
      async () => ((await countDeliveriesByStatus(db, issue!.id)).sent === RECIPIENTS ? true : undefined),
      60_000,
      'the rest of the issue to be sent',
    );
    expect(received(issue!.subject)).toHaveLength(RECIPIENTS);
  }, 120_000);
});
