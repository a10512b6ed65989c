import { describe, expect, it } from 'vitest';
import { mailboxKey, mailboxOf } from './mailbox.ts';

describe('mailboxOf', () => {
  it('folds case and +tags, and Gmail dots and domains, into one inbox', () => {
    expect(mailboxOf('Bomb+7@Example.com')).toBe('bomb@example.com');
    expect(mailboxOf('b.o.m.b+x@googlemail.com')).toBe('bomb@gmail.com');
    expect(mailboxOf('B.omb@GMAIL.com')).toBe('bomb@gmail.com');
    // Elsewhere dots are significant.
    expect(mailboxOf('b.omb@example.com')).toBe('b.omb@example.com');
    expect(mailboxOf('+only@example.com')).toBe('+only@example.com');
  });

  it('keys by a hash, never the address', () => {
    expect(mailboxKey('Bomb+1@example.com')).toBe(mailboxKey('bomb@example.com'));
    expect(mailboxKey('bomb@example.com')).not.toContain('bomb');
  });
});
