import { setTimeout as sleep } from 'node:timers/promises';
import { findIssue } from '@digest/db';
import { controlIssue } from '@digest/digest';
import { describe, it, type TestContext } from 'vitest';
import {
  type ChaosOptions,
  type ChaosStack,
  checkLedger,
  issueHeading,
  openChaosStack,
  POOL_SIZE,
  type ReaderChoices,
} from './support/chaos.ts';
import { dkimFailure, dkimSettings } from './support/dkim.ts';
import { eventually } from './support/processes.ts';

/**
 * Faults during a real send: real worker processes on a Postgres, a Redis and an SMTP relay of
 * the test's own. Each scenario ends by comparing the ledger with what the relay accepted (see
 * docs/delivery.md for the guarantees these check).
 */

const DATE = '2026-05-22';
const NEXT_DATE = '2026-05-23';
/** Dead mailboxes: the relay answers `550 5.1.1` to every attempt. */
const isGone = (email: string) => email.startsWith('gone-');
const isBusy = (email: string) => email.startsWith('busy-');

/**
 * Half the readers get personal editions: a quarter keywords (40 distinct pairs, one of which the
 * day's papers match; the top papers when none does), a quarter two papers; the rest the issue as
 * published. Faults must not tell the two paths apart.
 */
function mixedChoices(index: number): ReaderChoices {
  if (index % 4 === 1) return { keywords: ['EEG', `topic${index % 40}`], top_when_no_match: true };
  if (index % 4 === 2) return { papers_per_email: 2 };
  return {};
}

/** A scenario's own services and workers, taken down when the test ends, passed or not. */
async function open(context: TestContext, options: ChaosOptions): Promise<ChaosStack> {
  const stack = await openChaosStack(options);
  context.onTestFinished(() => stack.close());
  return stack;
}

/** The outcome every scenario must reach, for `delivered` recipients. */
function settledCleanly(delivered: number) {
  return {
    issueStatus: 'sent',
    completed: true,
    delivered,
    missing: 0,
    unrecorded: 0,
    phantom: 0,
    doubleRows: 0,
    bouncesWrong: 0,
    strangers: 0,
  };
}

describe('chaos: faults in the middle of a send', () => {
  // The relay outage spends most of its time waiting: the kill scenario runs beside it.
  it.concurrent('two SIGKILLs and a Redis FLUSHALL while 3,000 are sent DKIM-signed, 5% answered 451 once and 1% 550: everyone once, duplicates only within the kill window, every signature valid', async (context) => {
    const { expect } = context;
    const dkim = dkimSettings('digest.test');
    const stack = await open(context, { acceptDelayMs: 20, settings: dkim.env });
    const { smtp, redis } = stack;
    const recipients = 3000;
    const emails = await stack.subscribe(
      recipients,
      (index) => (index % 100 === 13 ? 'gone' : index % 20 === 7 ? 'busy' : 'reader'),
      mixedChoices,
    );
    const gone = emails.filter(isGone).length;
    smtp.rejectRecipient(isBusy, 451, '4.3.0 Mailbox busy, try again later', { once: true });
    smtp.rejectRecipient(isGone, 550, '5.1.1 No such user here');

    let worker = stack.startWorker();
    const issue = await stack.send(DATE);
    /** After each kill: messages the relay accepted that the ledger does not record as sent. */
    const unrecordedAtKills: number[] = [];
    for (let kill = 0; kill < 2; kill++) {
      // Each kill waits until the worker now running has sent its share, so each lands mid-send.
      await smtp.waitFor(smtp.messages.length + 300, 90_000);
      await stack.kill(worker);
      await smtp.idle();
      const accepted = [...smtp.countByRecipient(issueHeading(issue)).values()].reduce(
        (sum, n) => sum + n,
        0,
      );
      unrecordedAtKills.push(accepted - (await stack.counts(issue)).sent);
      worker = stack.startWorker();
    }
    await smtp.waitFor(smtp.messages.length + 300, 90_000);
    await redis.flushAll();
    expect((await stack.counts(issue)).sent, 'the issue was still sending at the Redis loss').toBeLessThan(
      recipients - gone,
    );

    await stack.settled(issue, 240_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject(settledCleanly(recipients - gone));
    // The only second copies: accepted but not yet recorded when a worker died (counted since the
    // first kill, so the second count includes what the first left)...
    const window = `unrecorded after each kill: ${unrecordedAtKills.join(', ')}; ${JSON.stringify(samples)}`;
    expect(check.duplicates, window).toBeLessThanOrEqual(unrecordedAtKills.at(-1) ?? 0);
    // ...and of those, at most one message per SMTP connection in flight at each kill.
    expect(check.duplicates, window).toBeLessThanOrEqual(POOL_SIZE * 2);
    // Every busy mailbox was refused once before the message the ledger counted above.
    for (const email of emails.filter(isBusy)) expect(smtp.recipientAttempts.get(email)).toBeGreaterThan(1);
    // Signed by workers that were killed mid-send: whatever the relay took verifies.
    const unverified = smtp.messages.flatMap((mail) => dkimFailure(mail.raw, dkim.publicKey) ?? []);
    expect(unverified.slice(0, 3), `${unverified.length} of ${smtp.messages.length} fail`).toEqual([]);
  }, 300_000);

  it.concurrent('a relay outage of 75 s, longer than the retry budget, in the middle of a send delays the issue, fails nothing, and the rest goes out soon after', async (context) => {
    const { expect } = context;
    // A retry budget of 36 s: waiting out an absent relay must not spend it.
    const stack = await open(context, { acceptDelayMs: 20, settings: { SEND_RETRY_HOURS: '0.01' } });
    const { smtp, resources } = stack;
    const recipients = 1000;
    await stack.subscribe(recipients, undefined, mixedChoices);
    stack.startWorker();
    const issue = await stack.send(DATE);

    await smtp.waitFor(300, 60_000);
    await smtp.stop();
    // The scenario itself: the relay stays down for several retry rounds.
    await sleep(75_000);
    const during = await stack.counts(issue);
    expect(during, 'nothing fails while the relay is down').toMatchObject({ failed: 0, bounced: 0 });
    expect(during.sent).toBeLessThan(recipients);
    expect((await findIssue(resources.db, 'daily', DATE))?.status).not.toBe('sent');

    const back = Date.now();
    await smtp.start();
    await stack.settled(issue, 150_000);
    // Probed about every 30 s: sending resumes within a minute, and 700 messages take seconds.
    expect(Date.now() - back).toBeLessThan(90_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject({ ...settledCleanly(recipients), duplicates: 0 });
  }, 240_000);

  it('a Postgres restart in the middle of a send: every delivery sent exactly once', async (context) => {
    const { expect } = context;
    const stack = await open(context, { acceptDelayMs: 20 });
    const { smtp, postgres } = stack;
    const recipients = 2000;
    await stack.subscribe(recipients, undefined, mixedChoices);
    stack.startWorker();
    const issue = await stack.send(DATE);

    await smtp.waitFor(500, 60_000);
    await postgres.restart();
    expect(smtp.messages.length, 'the issue was still sending at the restart').toBeLessThan(recipients);

    await stack.settled(issue, 120_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject({ ...settledCleanly(recipients), duplicates: 0 });
  }, 180_000);

  it('two, then three worker processes sharing one issue: no duplicates at all, and a dead mailbox is not mailed again', async (context) => {
    const { expect } = context;
    const poolSize = 3;
    const stack = await open(context, { acceptDelayMs: 5, poolSize });
    const { smtp } = stack;
    const recipients = 3000;
    const emails = await stack.subscribe(
      recipients,
      (index) => (index % 100 === 13 ? 'gone' : 'reader'),
      mixedChoices,
    );
    const gone = emails.filter(isGone);
    smtp.rejectRecipient(isGone, 550, '5.1.1 No such user here');

    const pair = [stack.startWorker(), stack.startWorker()];
    await stack.workersReady(2);
    const first = await stack.send(DATE);
    await stack.settled(first, 120_000);
    const one = await checkLedger(stack, first, isGone);
    expect(one.check, JSON.stringify(one.samples)).toMatchObject({
      ...settledCleanly(recipients - gone.length),
      duplicates: 0,
    });
    // More sessions at once than one worker's pool holds: both workers were sending.
    expect(smtp.peakSessions()).toBeGreaterThan(poolSize);

    for (const worker of pair) await worker.stop();
    const attemptsBefore = gone.map((email) => smtp.recipientAttempts.get(email));
    for (let count = 0; count < 3; count++) stack.startWorker();
    await stack.workersReady(3);
    const second = await stack.send(NEXT_DATE);
    await stack.settled(second, 120_000);
    const two = await checkLedger(stack, second, isGone);
    expect(two.check, JSON.stringify(two.samples)).toMatchObject({
      ...settledCleanly(recipients - gone.length),
      duplicates: 0,
    });
    expect(smtp.peakSessions(), 'all three workers were sending at once').toBeGreaterThan(2 * poolSize);
    // Bounced for good on the first issue: the relay never hears of them again.
    expect(gone.map((email) => smtp.recipientAttempts.get(email))).toEqual(attemptsBefore);
  }, 240_000);
});

/**
 * A run that must stop while the SMTP pool still holds its messages (up to 50 per run, waiting
 * for a session): they are dropped, not sent after the run has let go of their deliveries.
 */
describe('chaos: a send stopped mid-issue sends nothing it no longer holds', () => {
  const LEASE_SECONDS = 10;
  const short = { SEND_LEASE_SECONDS: String(LEASE_SECONDS) };
  const key = { cadence: 'daily' as const, date: DATE };

  it.concurrent('Postgres frozen for longer than the lease while two workers send 2,000: no one is mailed beside the run that takes their delivery over', async (context) => {
    const { expect } = context;
    const stack = await open(context, { acceptDelayMs: 50, settings: short });
    const { smtp, postgres } = stack;
    const recipients = 2000;
    await stack.subscribe(recipients, undefined, mixedChoices);
    stack.startWorker();
    stack.startWorker();
    await stack.workersReady(2);
    const issue = await stack.send(DATE);

    await smtp.waitFor(400, 60_000);
    await postgres.freeze();
    // The fault itself: every lease lapses while the workers wait on Postgres.
    await sleep(LEASE_SECONDS * 1500);
    postgres.thaw();
    expect(smtp.messages.length, 'the issue was still sending at the freeze').toBeLessThan(recipients);

    await stack.settled(issue, 180_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject(settledCleanly(recipients));
    // At most the message each session had ended before the freeze, if its outcome was not yet
    // written when another run took the delivery over.
    expect(check.duplicates, JSON.stringify(samples)).toBeLessThanOrEqual(POOL_SIZE * 2);
  }, 240_000);

  it.concurrent('paused mid-send for longer than the lease, then resumed: sending stops within a renewal, nothing goes out while paused, and no one gets the issue twice', async (context) => {
    const { expect } = context;
    // Slow enough that what the pool holds (50 a run) would take longer than a renewal to go.
    const stack = await open(context, { acceptDelayMs: 250, settings: short });
    const { smtp, resources } = stack;
    const recipients = 600;
    await stack.subscribe(recipients, undefined, mixedChoices);
    stack.startWorker();
    const issue = await stack.send(DATE);

    await smtp.waitFor(100, 60_000);
    const pausedAt = Date.now();
    await controlIssue(resources.digest, key, 'pause');
    // Every run has put back what it held: whatever it had not yet sent stays unsent.
    await eventually(
      async () => ((await stack.counts(issue)).sending === 0 ? true : undefined),
      LEASE_SECONDS * 1000,
      'the send runs to stop',
    );
    // The runs learn of the pause at their next renewal (every quarter of the lease), then only
    // what the relay is already taking goes.
    expect(Date.now() - pausedAt).toBeLessThan((LEASE_SECONDS * 1000) / 4 + 2500);
    const atStop = smtp.messages.length;
    expect(atStop, 'the issue was still sending at the pause').toBeLessThan(recipients);
    // The fault itself: paused for longer than a lease, so nothing of it is still held.
    await sleep(LEASE_SECONDS * 1300);
    expect(smtp.messages.length, 'sent while paused').toBe(atStop);

    await controlIssue(resources.digest, key, 'resume');
    await stack.settled(issue, 120_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject({ ...settledCleanly(recipients), duplicates: 0 });
  }, 180_000);

  it.concurrent('cancelled mid-send while the relay answers a tenth 451: sending stops within a renewal, and everything not sent ends skipped, none left queued', async (context) => {
    const { expect } = context;
    const stack = await open(context, { acceptDelayMs: 250, settings: short });
    const { smtp, resources } = stack;
    const recipients = 600;
    await stack.subscribe(recipients, (index) => (index % 10 === 3 ? 'busy' : 'reader'));
    smtp.rejectRecipient(isBusy, 451, '4.3.0 Mailbox busy, try again later');
    stack.startWorker();
    const issue = await stack.send(DATE);

    await smtp.waitFor(100, 60_000);
    await controlIssue(resources.digest, key, 'cancel');
    // Settled: cancelled, nothing queued or being sent (a 451 heard after the cancel used to put
    // its delivery back in the queue, where nothing would ever claim it).
    await stack.settled(issue, 60_000);
    const counts = await stack.counts(issue);
    expect(counts.sent + counts.skipped, JSON.stringify(counts)).toBe(recipients);
    const { check, samples } = await checkLedger(stack, issue, () => false);
    expect(check, JSON.stringify(samples)).toMatchObject({
      issueStatus: 'cancelled',
      delivered: counts.sent,
      missing: counts.skipped,
      unrecorded: 0,
      phantom: 0,
      duplicates: 0,
      strangers: 0,
    });
  }, 120_000);

  it.concurrent('SIGTERM while a slow relay takes a second a message and 200 wait in the pool: the worker exits cleanly in seconds, and no one gets the issue twice', async (context) => {
    const { expect } = context;
    const stack = await open(context, { acceptDelayMs: 1000 });
    const { smtp } = stack;
    const recipients = 1000;
    await stack.subscribe(recipients, undefined, mixedChoices);
    const worker = stack.startWorker();
    const issue = await stack.send(DATE);

    await smtp.waitFor(20, 60_000);
    const stoppedAt = Date.now();
    expect(await worker.stop(), worker.output()).toBe(0);
    // Only what the relay was already taking: well inside the 25 s shutdown deadline.
    expect(Date.now() - stoppedAt, worker.output()).toBeLessThan(10_000);
    expect((await stack.counts(issue)).sending).toBe(0);

    smtp.setAcceptDelay(5);
    stack.startWorker();
    await stack.settled(issue, 120_000);
    const { check, samples } = await checkLedger(stack, issue, isGone);
    expect(check, JSON.stringify(samples)).toMatchObject({ ...settledCleanly(recipients), duplicates: 0 });
  }, 180_000);
});
