import { describe, expect, it } from 'vitest';
import { TokenSigner } from './tokens.ts';

const signer = new TokenSigner('a-secret-of-at-least-thirty-two-chars');

describe('TokenSigner', () => {
  it('verifies its own tokens for the purpose they were made for', () => {
    const token = signer.sign('unsubscribe', 42);
    expect(token).toMatch(/^[0-9a-z]+\.0\.[\w-]{22}$/);
    expect(signer.verify('unsubscribe', token)).toEqual({
      purpose: 'unsubscribe',
      subscriberId: 42,
      expiresAt: 0,
    });
  });

  it('rejects a token made for another purpose', () => {
    expect(signer.verify('confirm', signer.sign('unsubscribe', 42))).toBeUndefined();
    expect(signer.verify('unsubscribe', signer.sign('preferences', 42))).toBeUndefined();
  });

  it('rejects forged, altered and malformed tokens', () => {
    const token = signer.sign('confirm', 7, 3600);
    const [, expiry, mac] = token.split('.');
    expect(signer.verify('confirm', `8.${expiry}.${mac}`)).toBeUndefined();
    expect(signer.verify('confirm', `7.0.${mac}`)).toBeUndefined();
    expect(
      signer.verify('confirm', new TokenSigner('another-secret-entirely-different').sign('confirm', 7, 3600)),
    ).toBe(undefined);
    for (const junk of ['', '...', 'a.b', '7.0.', '7.0.%00', `${'z'.repeat(13)}.0.${mac}`]) {
      expect(signer.verify('confirm', junk)).toBeUndefined();
    }
  });

  it('rejects an expired token', () => {
    const token = signer.sign('confirm', 7, 60);
    expect(signer.verify('confirm', token)).toBeDefined();
    expect(signer.verify('confirm', token, Date.now() + 61_000)).toBeUndefined();
  });
});
