import { createHash } from 'node:crypto';

/** Providers that ignore dots in the local part and treat both domains as one. */
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);

/**
 * The inbox an address delivers to, as far as a sender can tell: case folded, `+tag` dropped,
 * and for Gmail dots dropped and googlemail.com = gmail.com. `Bomb+1@x` and `bomb+2@x` are one inbox.
 */
export function mailboxOf(email: string): string {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1).toLowerCase();
  const local = email.slice(0, at).toLowerCase();
  const untagged = local.replace(/\+.*$/, '') || local;
  if (GMAIL_DOMAINS.has(domain)) return `${untagged.replaceAll('.', '')}@gmail.com`;
  return `${untagged}@${domain}`;
}

/** A key for counting per inbox that does not reveal the address (rate-limit keys live in Redis). */
export function mailboxKey(email: string): string {
  return createHash('sha256').update(mailboxOf(email)).digest('hex').slice(0, 32);
}
