import { createHmac, timingSafeEqual } from 'node:crypto';

/** What a token lets its bearer do; a token made for one purpose never verifies for another. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  /** Unix seconds; 0 for tokens that do not expire (links in mail already sent must keep working). */
  expiresAt: number;
}

const SIGNATURE_BYTES = 16;

/**
 * Stateless signed tokens: `<subscriberId>.<expiresAt>.<mac>`, the MAC an HMAC-SHA256 over the
 * purpose and both numbers. Nothing is stored; rotating TOKEN_SECRET invalidates every link.
 */
export class TokenSigner {
  private readonly secret: string;

  constructor(secret: string) {
    this.secret = secret;
  }

  sign(purpose: TokenPurpose, subscriberId: number, ttlSeconds?: number): string {
    const expiresAt = ttlSeconds ? Math.floor(Date.now() / 1000) + ttlSeconds : 0;
    return `${subscriberId.toString(36)}.${expiresAt.toString(36)}.${this.mac(purpose, subscriberId, expiresAt)}`;
  }

  /** The claims of a genuine, unexpired token made for `purpose`; undefined for anything else. */
  verify(purpose: TokenPurpose, token: string, now = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3) return undefined;
    const [idPart, expiryPart, macPart] = parts as [string, string, string];
    if (!/^[0-9a-z]{1,12}$/.test(idPart) || !/^[0-9a-z]{1,12}$/.test(expiryPart)) return undefined;
    const subscriberId = Number.parseInt(idPart, 36);
    const expiresAt = Number.parseInt(expiryPart, 36);
    const expected = Buffer.from(this.mac(purpose, subscriberId, expiresAt));
    const given = Buffer.from(macPart);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    if (expiresAt !== 0 && expiresAt * 1000 < now) return undefined;
    return { purpose, subscriberId, expiresAt };
  }

  private mac(purpose: TokenPurpose, subscriberId: number, expiresAt: number): string {
    return createHmac('sha256', this.secret)
      .update(`${purpose}:${subscriberId}:${expiresAt}`)
      .digest()
      .subarray(0, SIGNATURE_BYTES)
      .toString('base64url');
  }
}
