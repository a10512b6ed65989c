import { sql } from 'kysely';
import type { Db } from './client.ts';

/**
 * Records that the admin session `sessionId` was signed out; kept until `expiresAt`, when the
 * session would have ended anyway (the ones past it are cleared here).
 */
export async function revokeAdminSession(db: Db, sessionId: string, expiresAt: Date): Promise<void> {
  await db.deleteFrom('admin_session_revocations').where('expires_at', '<', sql<Date>`now()`).execute();
  await db
    .insertInto('admin_session_revocations')
    .values({ session_id: sessionId, expires_at: expiresAt })
    .onConflict((conflict) => conflict.column('session_id').doNothing())
    .execute();
}

/** Whether the admin session `sessionId` was signed out. */
export async function adminSessionRevoked(db: Db, sessionId: string): Promise<boolean> {
  const row = await db
    .selectFrom('admin_session_revocations')
    .select('session_id')
    .where('session_id', '=', sessionId)
    .executeTakeFirst();
  return row !== undefined;
}
