import type { Subscriber } from '@digest/db';
import { controlIssue, type DigestContext, type IssueKey, requestBuild, resendIssue } from '@digest/digest';
import { endSubscription, eraseSubscriber } from '@digest/subscribers';

/**
 * What each console button does: the question its confirmation page asks, and the change,
 * which returns the result message. One table, so every action gets the same two steps.
 */
export interface Action<Target, Input> {
  title: string;
  confirmLabel: string;
  danger?: boolean;
  question(target: Target, input: Input): string;
  run(ctx: DigestContext, target: Target, input: Input): Promise<string>;
}

export interface IssueActionInput {
  email?: string;
}

const deliveries = (count: number) => `${count} ${count === 1 ? 'delivery' : 'deliveries'}`;
/** Deliveries still queued or in flight are not put back: they are about to go anyway. */
const requeuedMessage = (count: number, what: string) =>
  count === 0
    ? `Nothing was queued again: ${what} had nothing finished to resend.`
    : `${deliveries(count)} queued again for ${what}.`;
const describe = (key: IssueKey) => `the ${key.cadence} issue of ${key.date}`;

export const ISSUE_ACTIONS = {
  send: {
    title: 'Send now',
    confirmLabel: 'Send now',
    question: (key) =>
      `Build ${describe(key)} if it does not exist yet and send it to every active ${key.cadence} subscriber who has not had it? An issue already sent never goes to anyone twice.`,
    async run(ctx, key) {
      await requestBuild(ctx, key);
      return `${capitalise(describe(key))} was queued for building and sending.`;
    },
  },
  'resend-failed': {
    title: 'Resend failed deliveries',
    confirmLabel: 'Resend failed',
    question: (key) => `Send ${describe(key)} again to every active subscriber whose delivery failed?`,
    async run(ctx, key) {
      const { requeued } = await resendIssue(ctx, { ...key, failedOnly: true });
      return requeuedMessage(requeued, 'the failed deliveries');
    },
  },
  'resend-missing': {
    title: 'Resend to those who missed it',
    confirmLabel: 'Resend missing',
    question: (key) =>
      `Send ${describe(key)} to every active ${key.cadence} subscriber who has not received it yet?`,
    async run(ctx, key) {
      const { requeued } = await resendIssue(ctx, { ...key, missingOnly: true });
      return requeuedMessage(requeued, 'those who missed it');
    },
  },
  pause: {
    title: 'Pause sending',
    confirmLabel: 'Pause',
    question: (key) => `Pause ${describe(key)}? Messages in flight finish; the rest wait until you resume.`,
    async run(ctx, key) {
      await controlIssue(ctx, key, 'pause');
      return `${capitalise(describe(key))} is paused.`;
    },
  },
  resume: {
    title: 'Resume sending',
    confirmLabel: 'Resume',
    question: (key) => `Resume sending ${describe(key)} to those still waiting for it?`,
    async run(ctx, key) {
      await controlIssue(ctx, key, 'resume');
      return `${capitalise(describe(key))} is sending again.`;
    },
  },
  cancel: {
    title: 'Cancel sending',
    confirmLabel: 'Cancel the issue',
    danger: true,
    question: (key) =>
      `Cancel ${describe(key)}? Every delivery still waiting is skipped, for good (a resend to a named address still works).`,
    async run(ctx, key) {
      const { skipped } = await controlIssue(ctx, key, 'cancel');
      return `${capitalise(describe(key))} is cancelled: ${deliveries(skipped)} skipped.`;
    },
  },
  'resend-email': {
    title: 'Resend to an address',
    confirmLabel: 'Resend',
    question: (key, input) => `Send ${describe(key)} again to ${input.email}?`,
    async run(ctx, key, input) {
      const { requeued } = await resendIssue(ctx, { ...key, emails: [input.email ?? ''] });
      return requeuedMessage(requeued, input.email ?? '');
    },
  },
} satisfies Record<string, Action<IssueKey, IssueActionInput>>;

export type IssueActionName = keyof typeof ISSUE_ACTIONS;
/** Actions that need an address. */
export const ISSUE_ACTIONS_WITH_EMAIL: IssueActionName[] = ['resend-email'];

export interface SubscriberActionInput {
  /** The issue to resend. */
  issue?: IssueKey;
}

export const SUBSCRIBER_ACTIONS = {
  resend: {
    title: 'Resend an issue',
    confirmLabel: 'Resend',
    question: (subscriber, input) =>
      `Send ${input.issue ? describe(input.issue) : 'the issue'} again to ${subscriber.email}?`,
    async run(ctx, subscriber, input) {
      if (!input.issue) throw new Error('resend without an issue');
      await resendIssue(ctx, { ...input.issue, emails: [subscriber.email] });
      return `${capitalise(describe(input.issue))} was queued for ${subscriber.email}.`;
    },
  },
  unsubscribe: {
    title: 'Unsubscribe',
    confirmLabel: 'Unsubscribe',
    question: (subscriber) =>
      `Unsubscribe ${subscriber.email}? They get no more issues; their record and history stay.`,
    async run(ctx, subscriber) {
      const changed = await endSubscription(ctx, subscriber.id);
      return changed ? `${subscriber.email} is unsubscribed.` : `${subscriber.email} was not subscribed.`;
    },
  },
  erase: {
    title: 'Erase a subscriber',
    confirmLabel: 'Erase for good',
    danger: true,
    question: (subscriber) =>
      `Erase ${subscriber.email} with their consent record and delivery history? This cannot be undone.`,
    async run(ctx, subscriber) {
      await eraseSubscriber(ctx, subscriber.email);
      return `${subscriber.email} was erased.`;
    },
  },
} satisfies Record<string, Action<Subscriber, SubscriberActionInput>>;

export type SubscriberActionName = keyof typeof SUBSCRIBER_ACTIONS;

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
