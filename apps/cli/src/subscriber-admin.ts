import type { Subscriber, SubscriberStatus } from '@digest/db';
import { listSubscribers } from '@digest/db';
import type { Resources } from '@digest/runtime';
import { emailSchema, eraseSubscriber } from '@digest/subscribers';
import { expectPositionals, parseCommandArgs, UsageError } from './args.ts';
import { type Io, println, quoted } from './io.ts';

const STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'];

export interface SubscribersListOptions {
  status?: SubscriberStatus;
  limit: number;
  offset: number;
}

export function parseSubscribersListArgs(args: string[]): SubscribersListOptions {
  const { values, positionals } = parseCommandArgs('subscribers list', {
    args,
    allowPositionals: true,
    options: { status: { type: 'string' }, limit: { type: 'string' }, offset: { type: 'string' } },
  });
  expectPositionals('subscribers list', positionals, []);
  const status = values.status?.toLowerCase() as SubscriberStatus | undefined;
  if (status !== undefined && !STATUSES.includes(status)) {
    throw new UsageError(`--status ${quoted(values.status ?? '')}: expected one of ${STATUSES.join(', ')}`);
  }
  return {
    status,
    limit: count('--limit', values.limit, 100, 1),
    offset: count('--offset', values.offset, 0, 0),
  };
}

function count(option: string, value: string | undefined, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > 10_000) {
    throw new UsageError(`${option} ${quoted(value)}: expected a whole number from ${min} to 10000`);
  }
  return parsed;
}

/** One page of subscribers, as the admin API lists them. */
export async function listSubscribersPage(
  resources: Pick<Resources, 'db'>,
  options: SubscribersListOptions,
  io: Io,
): Promise<Subscriber[]> {
  const subscribers = await listSubscribers(resources.db, options);
  for (const subscriber of subscribers) {
    const paused = subscriber.paused_at ? ' (paused)' : '';
    println(io.stdout, `${subscriber.email}  ${subscriber.status}  ${subscriber.cadence}${paused}`);
  }
  println(
    io.stderr,
    `${subscribers.length} subscriber${subscribers.length === 1 ? '' : 's'} from #${options.offset + 1}`,
  );
  return subscribers;
}

export function parseSubscribersEraseArgs(args: string[]): { email: string } {
  const { positionals } = parseCommandArgs('subscribers erase', { args, allowPositionals: true });
  const [email] = expectPositionals('subscribers erase', positionals, ['<email>']);
  const parsed = emailSchema.safeParse(email);
  if (!parsed.success) throw new UsageError(`${quoted(email ?? '', 60)}: ${parsed.error.issues[0]?.message}`);
  return { email: parsed.data };
}

/** Erases a subscriber and their delivery history (the right to erasure), as the admin API does. */
export async function eraseSubscriberByEmail(
  resources: Pick<Resources, 'db'>,
  options: { email: string },
  io: Io,
): Promise<{ erased: string }> {
  await eraseSubscriber(resources, options.email);
  println(io.stdout, `erased ${options.email} and their delivery history`);
  return { erased: options.email };
}
