import { countDeliveriesByStatus, findIssue, insertSubscriber } from '@digest/db';
import { importPapers } from '@digest/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture, hfTitlesByUpvotes } from '../../../test/support/fixtures.ts';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { eventually } from '../../../test/support/processes.ts';
import { firingTime } from './processors.ts';
import { type RunningWorkers, SCHEDULER_ID, startWorkers } from './workers.ts';

let harness: Harness;
let workers: RunningWorkers;

beforeEach(async () => {
  harness = await openHarness();
  await importPapers(harness.resources.db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  workers = await startWorkers(harness.resources);
});

afterEach(async () => {
  await workers.close();
  await harness.close();
});

async function addSubscribers(count: number, status: 'active' | 'pending' | 'unsubscribed' = 'active') {
  for (let index = 0; index < count; index++) {
    await insertSubscriber(harness.resources.db, {
      email: `${status}-${index}@example.org`,
      status,
      consent_source: 'import',
    });
  }
}

function waitForIssueSent(date: string) {
  return eventually(
    async () => {
      const issue = await findIssue(harness.resources.db, 'daily', date);
      return issue && issue.status !== 'sending' ? issue : undefined;
    },
    20_000,
    `issue ${date} to finish sending`,
  );
}

describe('digest pipeline through the worker', () => {
  it('registers one daily job scheduler at DIGEST_CRON in DIGEST_TZ, however many workers start', async () => {
    const second = await startWorkers(harness.resources);
    await second.close();
    const queue = harness.resources.queues.queueOf('scheduled-digest');
    expect(await queue.getJobSchedulersCount()).toBe(1);
    expect(await queue.getJobScheduler(SCHEDULER_ID)).toMatchObject({ pattern: '0 8 * * *', tz: 'UTC' });
  });

  it('dates a scheduled run by its planned firing time, not by when its job was created', async () => {
    const queue = harness.resources.queues.queueOf('scheduled-digest');
    const job = await queue.upsertJobScheduler(
      'every-five-seconds',
      { pattern: '*/5 * * * * *' },
      { name: 'probe' },
    );
    await queue.removeJobScheduler('every-five-seconds');
    const planned = firingTime(job!);
    expect(planned % 5000).toBe(0);
    expect(planned).toBeGreaterThan(job!.timestamp);
  });

  it('sends each active subscriber one email with the day’s papers in upvote order', async () => {
    await addSubscribers(3);
    await addSubscribers(1, 'pending');
    await addSubscribers(1, 'unsubscribed');

    await harness.resources.queues.enqueue('build-digest', { cadence: 'daily', date: '2026-05-22' });
    const mails = await harness.smtp.waitFor(3);
    const issue = await waitForIssueSent('2026-05-22');

    expect(mails.flatMap((mail) => mail.envelopeTo).sort()).toEqual([
      'active-0@example.org',
      'active-1@example.org',
      'active-2@example.org',
    ]);
    const expectedOrder = hfTitlesByUpvotes('2026-05-22');
    expect(issue.papers.map((paper) => paper.title)).toEqual(expectedOrder);

    const mail = mails[0]!;
    const html = mail.parsed.html as string;
    const text = mail.parsed.text as string;
    const positions = expectedOrder.map((title) => html.indexOf(title));
    expect(positions.every((position) => position >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(text).toContain(expectedOrder[0]);

    const unsubscribe = mail.header('List-Unsubscribe');
    expect(unsubscribe).toMatch(/^<http:\/\/digest\.test\/unsubscribe\/[\w.-]+>$/);
    expect(mail.header('List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(mail.header('Message-ID')).toMatch(/^<[0-9a-f-]+@digest\.test>$/);
    // The personal link in the body is the one in the header, for this recipient.
    expect(html).toContain(unsubscribe!.slice(1, -1));
    expect(html).not.toContain('{{');

    const counts = await countDeliveriesByStatus(harness.resources.db, issue.id);
    expect(counts).toMatchObject({ sent: 3, queued: 0, sending: 0, failed: 0 });
    expect(issue.status).toBe('sent');
  });

  it('sends nothing again when the same issue is triggered twice', async () => {
    await addSubscribers(2);
    await harness.resources.queues.enqueue(
      'build-digest',
      { cadence: 'daily', date: '2026-05-23' },
      { jobId: 'a' },
    );
    await harness.smtp.waitFor(2);
    await waitForIssueSent('2026-05-23');

    const again = await harness.resources.queues.enqueue(
      'build-digest',
      { cadence: 'daily', date: '2026-05-23' },
      { jobId: 'b' },
    );
    await waitForJob(again.id!);
    await waitForSendsIdle();
    expect(harness.smtp.messages).toHaveLength(2);
  });

  it('records a date without papers as skipped and sends nothing', async () => {
    await addSubscribers(1);
    const job = await harness.resources.queues.enqueue('build-digest', {
      cadence: 'daily',
      date: '2026-01-01',
    });
    await waitForJob(job.id!);
    const issue = await findIssue(harness.resources.db, 'daily', '2026-01-01');
    expect(issue?.status).toBe('skipped');
    expect(harness.smtp.messages).toHaveLength(0);
  });
});

async function waitForJob(jobId: string) {
  const queue = harness.resources.queues.queueOf('build-digest');
  const state = await eventually(
    async () => {
      const state = await queue.getJobState(jobId);
      return state === 'completed' || state === 'failed' ? state : undefined;
    },
    15_000,
    `job ${jobId} to finish`,
  );
  if (state === 'failed')
    throw new Error(`job ${jobId} failed: ${(await queue.getJob(jobId))?.failedReason}`);
}

/** Once no send run is waiting or running, nothing more can be sent. */
function waitForSendsIdle() {
  const queue = harness.resources.queues.queueOf('send-issue');
  return eventually(async () => {
    const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
    return Object.values(counts).every((count) => count === 0) ? true : undefined;
  });
}
