import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findIssue, insertSubscriber } from '@digest/db';
import { buildIssue, importPapers } from '@digest/digest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fixture } from '../../../test/support/fixtures.ts';
import { type Harness, openHarness } from '../../../test/support/harness.ts';
import { type RunningWorkers, startWorkers } from '../../worker/src/workers.ts';
import { CliError, UsageError } from './args.ts';
import {
  digestStatus,
  parseDigestResendArgs,
  parseDigestSendArgs,
  parseDigestStatusArgs,
  previewDigest,
  resendDigest,
  sendDigest,
  type WaitSettings,
} from './digest.ts';
import { captureIo } from './testing.ts';

const FAST: WaitSettings = { pollMs: 50, timeoutMs: 20_000 };

describe('digest arguments', () => {
  it('rejects dates that are not on the calendar', () => {
    expect(() => parseDigestStatusArgs(['--date', '2026-02-30'])).toThrow(
      new UsageError('--date 2026-02-30 is not a valid date (expected YYYY-MM-DD)'),
    );
    expect(() => parseDigestSendArgs(['--date', '23/05/2026'])).toThrow(/is not a valid date/);
    expect(() => parseDigestStatusArgs([])).toThrow('digest status: --date YYYY-MM-DD is required');
    expect(() => parseDigestStatusArgs(['--date', '2026-05-23', '--cadence', 'hourly'])).toThrow(
      '--cadence hourly is not valid: expected daily or weekly',
    );
  });

  it('reads send and resend options', () => {
    expect(parseDigestSendArgs([])).toEqual({ date: undefined, cadence: 'daily', wait: true });
    expect(parseDigestSendArgs(['--date', '2026-05-25', '--cadence', 'weekly', '--no-wait'])).toEqual({
      date: '2026-05-25',
      cadence: 'weekly',
      wait: false,
    });
    expect(
      parseDigestResendArgs(['--date', '2026-05-23', '--email', 'a@example.org', '--email', 'b@example.org']),
    ).toMatchObject({
      date: '2026-05-23',
      cadence: 'daily',
      emails: ['a@example.org', 'b@example.org'],
    });
    expect(parseDigestResendArgs(['--date', '2026-05-23', '--missing'])).toMatchObject({ missingOnly: true });
    // Whom to resend to is always said, and said once: no flag never means everyone.
    for (const flags of [[], ['--failed', '--all'], ['--email', 'a@example.org', '--failed']]) {
      expect(() => parseDigestResendArgs(['--date', '2026-05-23', ...flags])).toThrow(/exactly one of/);
    }
    expect(() => parseDigestResendArgs(['--date', '2026-05-23', '--email', 'nobody'])).toThrow(
      '--email "nobody": email is not a valid address',
    );
    expect(() => parseDigestSendArgs(['--wait'])).toThrow(/Unknown option '--wait'/);
  });
});

describe('digest commands', () => {
  let harness: Harness;
  let workers: RunningWorkers | undefined;

  beforeEach(async () => {
    harness = await openHarness();
    await importPapers(harness.resources.db, fixture('hf-daily-papers-sample.json'), { timeZone: 'UTC' });
  });

  afterEach(async () => {
    await workers?.close();
    workers = undefined;
    await harness.close();
  });

  async function addSubscribers(...emails: string[]): Promise<void> {
    for (const email of emails) {
      await insertSubscriber(harness.resources.db, { email, status: 'active', consent_source: 'import' });
    }
  }

  it('says the digest is queued when no worker is running, and does not wait', async () => {
    const output = captureIo();
    await sendDigest(
      harness.resources,
      { date: '2026-05-23', cadence: 'daily', wait: true },
      output.io,
      FAST,
    );

    expect(output.stdout()).toBe(
      'queued the daily issue of 2026-05-23; no worker is running: the digest is queued and will be sent ' +
        'when `pnpm start:worker` runs\n',
    );
    const jobs = await harness.resources.queues.queueOf('build-digest').getJobs(['waiting']);
    expect(jobs.map((job) => job.id)).toEqual([expect.stringMatching(/^build-daily-2026-05-23-[0-9a-z]+$/)]);
    expect(jobs[0]?.data).toEqual({ cadence: 'daily', date: '2026-05-23' });
  });

  it('sends through the worker, reports the counts, and never sends the issue twice', async () => {
    await addSubscribers('ann@example.org', 'bob@example.org', 'gone@example.org');
    harness.smtp.rejectRecipient((address) => address === 'gone@example.org', 550, 'no such user');
    workers = await startWorkers(harness.resources);

    const output = captureIo();
    const report = await sendDigest(
      harness.resources,
      { date: '2026-05-22', cadence: 'daily', wait: true },
      output.io,
      FAST,
    );

    expect(report).toMatchObject({ status: 'sent', deliveries: { sent: 2, bounced: 1, total: 3 } });
    const outcome =
      'daily issue of 2026-05-22: sent with 1 bounced (sent 2/3, failed 0, bounced 1)\n' +
      '  1 bounced: "550 no such user"\n';
    expect(output.stdout()).toBe(outcome);
    expect(output.stderr()).toMatch(/^building the daily issue of 2026-05-22…\n/);
    expect(harness.smtp.messages.flatMap((mail) => mail.envelopeTo).sort()).toEqual([
      'ann@example.org',
      'bob@example.org',
    ]);

    const again = captureIo();
    await sendDigest(harness.resources, { date: '2026-05-22', cadence: 'daily', wait: true }, again.io, FAST);
    expect(again.stdout()).toBe(
      `the daily issue of 2026-05-22 was already built on ${report?.createdAt.toISOString()}: nothing is sent again\n` +
        outcome,
    );
    expect(await harness.resources.queues.queueOf('build-digest').getJobCounts()).toMatchObject({
      waiting: 0,
      active: 0,
      completed: 1,
    });

    const resend = captureIo();
    const key = { cadence: 'daily' as const, date: '2026-05-22' };
    expect(await resendDigest(harness.resources, { ...key, emails: ['ann@example.org'] }, resend.io)).toBe(1);
    expect(resend.stdout()).toBe('queued 1 delivery of the daily issue of 2026-05-22 again\n');
    const mails = await harness.smtp.waitFor(3);
    expect(mails[2]?.envelopeTo).toEqual(['ann@example.org']);
  });

  it('reports an issue without papers as skipped', async () => {
    workers = await startWorkers(harness.resources);
    const output = captureIo();
    const report = await sendDigest(
      harness.resources,
      { date: '2026-06-01', cadence: 'daily', wait: true },
      output.io,
      FAST,
    );

    expect(report?.status).toBe('skipped');
    expect(output.stdout()).toBe('no papers were featured on 2026-06-01: nothing sent\n');

    // Papers imported afterwards still go out when the day is sent again.
    await addSubscribers('late@example.org');
    await importPapers(
      harness.resources.db,
      [{ title: 'Arrived late', publishedAt: '2026-06-01', upvotes: 4 }],
      { timeZone: 'UTC' },
    );
    const again = captureIo();
    const rebuilt = await sendDigest(
      harness.resources,
      { date: '2026-06-01', cadence: 'daily', wait: true },
      again.io,
      FAST,
    );
    expect(rebuilt).toMatchObject({ status: 'sent', deliveries: { sent: 1 } });
    expect(rebuilt?.papers.map((paper) => paper.title)).toEqual(['Arrived late']);
  });

  it('prints progress while deliveries wait, and gives up clearly at its deadline', async () => {
    await addSubscribers('later@example.org');
    // A temporary refusal: the delivery goes back to the queue for a retry minutes later.
    harness.smtp.rejectRecipient(() => true, 450, 'try again later');
    workers = await startWorkers(harness.resources);

    const output = captureIo();
    const attempt = sendDigest(
      harness.resources,
      { date: '2026-05-23', cadence: 'daily', wait: true },
      output.io,
      {
        pollMs: 50,
        timeoutMs: 2000,
      },
    );

    await expect(attempt).rejects.toThrow(
      new CliError(
        'gave up waiting after 2s: the daily issue of 2026-05-23 is still in progress; ' +
          'check it with `pnpm cli digest status --date 2026-05-23`',
      ),
    );
    // With the reason once the relay has refused it (the usual case, unless the build was slow).
    expect(output.stderr()).toMatch(
      /sent 0\/1, failed 0, queued 1( — waiting: 450 try again later; retrying at \d\d:\d\d)?\n/,
    );
  });

  it('shows the status of an issue, as text or JSON', async () => {
    await addSubscribers('ann@example.org');
    await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });

    const text = captureIo();
    await digestStatus(harness.resources, { cadence: 'daily', date: '2026-05-22' }, text.io);
    const lines = text.stdout().trimEnd().split('\n');
    expect(lines[0]).toBe('daily issue of 2026-05-22: sending');
    expect(lines[1]).toMatch(/^subject: {3}Daily Papers — 22 May 2026: /);
    expect(lines[2]).toMatch(/^created: {3}\d{4}-\d\d-\d\dT/);
    expect(lines[3]).toBe('completed: -');
    expect(lines[4]).toBe('papers (5):');
    expect(lines.slice(5, 10)).toEqual(
      [1, 2, 3, 4, 5].map((rank) =>
        expect.stringMatching(new RegExp(`^ {2}${rank}\\. +\\d+ upvotes {2}\\S`)),
      ),
    );
    expect(lines[10]).toBe('deliveries (1): queued 1, sending 0, sent 0, failed 0, bounced 0, skipped 0');

    // What --json prints: the report itself.
    const report = await digestStatus(
      harness.resources,
      { cadence: 'daily', date: '2026-05-22' },
      captureIo().io,
    );
    expect(JSON.parse(JSON.stringify(report))).toMatchObject({
      cadence: 'daily',
      date: '2026-05-22',
      deliveries: { queued: 1, total: 1 },
    });

    await expect(
      digestStatus(harness.resources, { cadence: 'weekly', date: '2026-05-22' }, captureIo().io),
    ).rejects.toThrow('No weekly issue exists for 2026-05-22.');
  });

  it('resends only finished deliveries and refuses unknown addresses', async () => {
    await addSubscribers('ann@example.org');
    await buildIssue(harness.resources.digest, { cadence: 'daily', date: '2026-05-22' });
    const key = { cadence: 'daily' as const, date: '2026-05-22' };

    const output = captureIo();
    expect(await resendDigest(harness.resources, { ...key, failedOnly: true }, output.io)).toBe(0);
    expect(output.stdout()).toBe(
      'nothing to resend for the daily issue of 2026-05-22: no delivery has failed\n',
    );
    await expect(
      resendDigest(harness.resources, { ...key, emails: ['who@example.org'] }, captureIo().io),
    ).rejects.toThrow('Unknown subscriber(s): who@example.org');
  });

  it('writes a preview to a file or to standard output, storing nothing', async () => {
    const scratch = await mkdtemp(join(tmpdir(), 'cli-preview-'));
    try {
      const out = join(scratch, 'issue.html');
      const output = captureIo();
      await previewDigest(harness.resources, { cadence: 'daily', date: '2026-05-23', out }, output.io);
      expect(output.stdout()).toMatch(new RegExp(`^wrote ${out}: "Daily Papers — 23 May 2026: .+"\\n$`));
      const html = await readFile(out, 'utf8');
      expect(html).toMatch(/^<!doctype html>/);

      const stdout = captureIo();
      await previewDigest(harness.resources, { cadence: 'daily', date: '2026-05-23' }, stdout.io);
      expect(stdout.stdout()).toBe(html);
      expect(await findIssue(harness.resources.db, 'daily', '2026-05-23')).toBeUndefined();
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
