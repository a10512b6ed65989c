import { setTimeout as sleep } from 'node:timers/promises';
import { findIssue } from '@digest/db';
import { describe, it, type TestContext } from 'vitest';
import { type ChaosOptions, type ChaosStack, checkLedger, openChaosStack } from './support/chaos.ts';

/**
 * Faults during a real send: real worker processes on a Postgres, a Redis and an SMTP relay of
 * the test's own. Each scenario ends by comparing the ledger with what the relay accepted (see
 * docs/delivery.md for the guarantees these check).
 */

const DATE = '2026-05-22';
/** Dead mailboxes: the relay answers `550 5.1.1` to every attempt. */
const isGone = (email: string) => email.startsWith('gone-');

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
  it('a relay outage of 75 s in the middle of a send delays the issue, fails nothing, and the rest goes out soon after', async (context) => {
    const { expect } = context;
    const stack = await open(context, { acceptDelayMs: 20 });
    const { smtp, resources } = stack;
    const recipients = 1000;
    await stack.subscribe(recipients);
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
});
