import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** What a token lets its bearer do; a token made for one purpose never verifies for another. */
export type TokenPurpose = 'confirm' | 'unsubscribe' | 'preferences';

export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: number;
  /** Unix seconds; 0 for tokens that do not expire (links in mail already sent must keep working). */
  expiresAt: number;
}

const SIGNATURE_BYTES = 16;
const NUMBER = /^(0|[1-9a-z][0-9a-z]{0,11})$/;

interface Key {
  id: string;
  secret: string;
}

/**
 * Stateless signed tokens: `<keyId>.<subscriberId>.<expiresAt>.<mac>`, the MAC an HMAC-SHA256
 * over the key id, the purpose and both numbers. `keys` lists the current secret first, then
 * older ones: tokens are signed with the first and verified with the one their key id names, so
 * links mailed before a rotation keep working while their key is listed. Tokens from before key
 * ids (`<subscriberId>.<expiresAt>.<mac>`) are verified with every key. Only the canonical
 * spelling of a token verifies (base-36 numbers without leading zeros): one link, one string.
 */
export class TokenSigner {
  private readonly keys: readonly Key[];

  constructor(keys: readonly string[]) {
    if (keys.length === 0) throw new Error('TokenSigner needs at least one key');
    // The id names the key, not its place in the list, so reordering or adding keys is safe.
    this.keys = keys.map((secret) => ({
      id: createHash('sha256').update(`token-key:${secret}`).digest('hex').slice(0, 6),
      secret,
    }));
  }

  sign(purpose: TokenPurpose, subscriberId: number, ttlSeconds?: number): string {
    const expiresAt = ttlSeconds ? Math.floor(Date.now() / 1000) + ttlSeconds : 0;
    const key = this.keys[0] as Key;
    const body = `${key.id}.${subscriberId.toString(36)}.${expiresAt.toString(36)}`;
    return `${body}.${mac(key.secret, `${key.id}:${purpose}:${subscriberId}:${expiresAt}`)}`;
  }

  /** The claims of a genuine, unexpired token made for `purpose`; undefined for anything else. */
  verify(purpose: TokenPurpose, token: string, now = Date.now()): TokenClaims | undefined {
    const parts = token.split('.');
    if (parts.length !== 3 && parts.length !== 4) return undefined;
    const [keyId, idPart, expiryPart, macPart] = (parts.length === 4 ? parts : [undefined, ...parts]) as [
      string | undefined,
      string,
      string,
      string,
    ];
    if (!NUMBER.test(idPart) || !NUMBER.test(expiryPart)) return undefined;
    const subscriberId = Number.parseInt(idPart, 36);
    const expiresAt = Number.parseInt(expiryPart, 36);
    if (subscriberId < 1 || !Number.isSafeInteger(subscriberId) || !Number.isSafeInteger(expiresAt))
      return undefined;

    const candidates = keyId === undefined ? this.keys : this.keys.filter((key) => key.id === keyId);
    const genuine = candidates.some((key) => {
      const claims = keyId === undefined ? '' : `${keyId}:`;
      return sameString(macPart, mac(key.secret, `${claims}${purpose}:${subscriberId}:${expiresAt}`));
    });
    if (!genuine) return undefined;
    if (expiresAt !== 0 && expiresAt * 1000 < now) return undefined;
    return { purpose, subscriberId, expiresAt };
  }
}

function mac(secret: string, claims: string): string {
  return createHmac('sha256', secret)
    .update(claims)
    .digest()
    .subarray(0, SIGNATURE_BYTES)
    .toString('base64url');
}

/** Constant-time equality of the given MAC and the expected one (their strings, so no alternate encodings). */
function sameString(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
