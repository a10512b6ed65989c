import type { OutboxKind, OutboxMail } from '@digest/db';
import type { Resources } from '@digest/runtime';

/** The mail of `kind` recorded in the outbox; throws unless each row has its job queued. */
export async function queuedOutboxMail(
  resources: Pick<Resources, 'db' | 'queues'>,
  kind: OutboxKind,
): Promise<OutboxMail[]> {
  const rows = await resources.db.selectFrom('outbox').selectAll().where('kind', '=', kind).execute();
  const queue = resources.queues.queueOf('send-mail');
  for (const row of rows) {
    if (!(await queue.getJob(`mail-${row.id}`))) throw new Error(`outbox mail ${row.id} has no job`);
  }
  return rows;
}
