import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TokenSigner } from './tokens.ts';

const signer = new TokenSigner(['a-secret-of-at-least-thirty-two-chars']);

describe('TokenSigner', () => {
  it('verifies its own tokens for the purpose they were made for', () => {
    const token = signer.sign('unsubscribe', 42);
    expect(token).toMatch(/^[0-9a-f]{6}\.[0-9a-z]+\.0\.[\w-]{22}$/);
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
    const [kid, , expiry, mac] = token.split('.');
    expect(signer.verify('confirm', `${kid}.8.${expiry}.${mac}`)).toBeUndefined();
    expect(signer.verify('confirm', `${kid}.7.0.${mac}`)).toBeUndefined();
    expect(signer.verify('confirm', `${kid}.7.${expiry}.${mac}`)).toBeDefined();
    expect(
      signer.verify(
        'confirm',
        new TokenSigner(['another-secret-entirely-different']).sign('confirm', 7, 3600),
      ),
    ).toBe(undefined);
    for (const junk of [
      '',
      '...',
      'a.b',
      '7.0.',
      '7.0.%00',
      `${kid}.${'z'.repeat(13)}.0.${mac}`,
      `000000.7.${expiry}.${mac}`,
    ]) {
      expect(signer.verify('confirm', junk)).toBeUndefined();
    }
  });

  it('rejects an expired token', () => {
    const token = signer.sign('confirm', 7, 60);
    expect(signer.verify('confirm', token)).toBeDefined();
    expect(signer.verify('confirm', token, Date.now() + 61_000)).toBeUndefined();
  });

  it('accepts only the canonical spelling: no leading zeros, no upper case, no other MAC encoding', () => {
    const token = signer.sign('unsubscribe', 1000); // id "rs"
    const [kid, id, expiry, mac] = token.split('.') as [string, string, string, string];
    expect(signer.verify('unsubscribe', `${kid}.0${id}.${expiry}.${mac}`)).toBeUndefined();
    expect(signer.verify('unsubscribe', `${kid}.${id}.00.${mac}`)).toBeUndefined();
    expect(signer.verify('unsubscribe', `${kid}.${id.toUpperCase()}.${expiry}.${mac}`)).toBeUndefined();
    // 16 bytes in 22 base64url characters leave 4 spare bits: another last character decodes the same.
    const last = mac.at(-1) as string;
    const twin = `${mac.slice(0, -1)}${last === 'A' ? 'B' : 'A'}`;
    expect(Buffer.from(twin, 'base64url').equals(Buffer.from(mac, 'base64url'))).toBe(
      last === 'A' || last === 'B',
    );
    expect(signer.verify('unsubscribe', `${kid}.${id}.${expiry}.${twin}`)).toBeUndefined();
  });

  it('keeps links signed with an older key working after a rotation, and only while that key is listed', () => {
    const oldKey = 'the-old-secret-of-at-least-thirty-two';
    const newKey = 'the-new-secret-of-at-least-thirty-two';
    const mailed = new TokenSigner([oldKey]).sign('unsubscribe', 9);
    const rotated = new TokenSigner([newKey, oldKey]);
    expect(rotated.verify('unsubscribe', mailed)?.subscriberId).toBe(9);
    expect(rotated.sign('unsubscribe', 9)).not.toBe(mailed);
    expect(new TokenSigner([oldKey]).verify('unsubscribe', rotated.sign('unsubscribe', 9))).toBeUndefined();
    expect(new TokenSigner([newKey]).verify('unsubscribe', mailed)).toBeUndefined();
  });

  it('still verifies tokens made before key ids, with any listed key', () => {
    // <id>.<expiry>.<HMAC(purpose:id:expiry)>, as mailed before key ids existed.
    const legacyMac = createHmac('sha256', 'the-old-secret-of-at-least-thirty-two')
      .update('unsubscribe:9:0')
      .digest()
      .subarray(0, 16)
      .toString('base64url');
    const rotated = new TokenSigner([
      'the-new-secret-of-at-least-thirty-two',
      'the-old-secret-of-at-least-thirty-two',
    ]);
    expect(rotated.verify('unsubscribe', `9.0.${legacyMac}`)?.subscriberId).toBe(9);
    expect(rotated.verify('preferences', `9.0.${legacyMac}`)).toBeUndefined();
  });
});
