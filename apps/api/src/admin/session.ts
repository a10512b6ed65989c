import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { adminSessionRevoked, type Db, revokeAdminSession } from '@digest/db';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';

const SESSION_COOKIE = 'admin_session';
const NOTICE_COOKIE = 'admin_notice';
const SIGN_IN_COOKIE = 'admin_sign_in';
const SIGN_IN_FORM_SECONDS = 60 * 60;
const SESSION_SECONDS = 8 * 60 * 60;
export const CONSOLE_PATH = '/admin';

export interface AdminSession {
  id: string;
  expiresAt: Date;
  /** Goes in every form of the console; a post without it changes nothing. */
  csrfToken: string;
}

export interface Notice {
  kind: 'success' | 'error';
  text: string;
}

/**
 * Admin sessions in a signed cookie: it carries a random id and its expiry, signed with a key
 * derived from ADMIN_TOKEN, so changing the token signs every session out. Signing out records
 * the id until it would have expired (a copy of the cookie opens nothing then); that is all that
 * is stored. The CSRF token is derived from the session id.
 */
export class AdminSessions {
  readonly #key: Buffer;
  readonly #secure: boolean;
  readonly #db: Db;

  constructor(adminToken: string, publicBaseUrl: string, db: Db) {
    this.#key = createHash('sha256').update('admin-session\0').update(adminToken).digest();
    this.#secure = publicBaseUrl.startsWith('https:');
    this.#db = db;
  }

  start(c: Context): AdminSession {
    const id = randomBytes(18).toString('base64url');
    const expires = Math.floor(Date.now() / 1000) + SESSION_SECONDS;
    const value = `${id}.${expires}`;
    setCookie(c, SESSION_COOKIE, `${value}.${this.#sign(value)}`, this.#cookieOptions(SESSION_SECONDS));
    deleteCookie(c, SIGN_IN_COOKIE, this.#cookieOptions(0));
    return this.#session(id, expires);
  }

  /** The session the request carries, when its signature holds, it has not expired and was not signed out. */
  async read(c: Context): Promise<AdminSession | undefined> {
    const session = this.#carried(c);
    if (!session || (await adminSessionRevoked(this.#db, session.id))) return undefined;
    return session;
  }

  /** Signs the request's session out, for this browser and any copy of its cookie. */
  async end(c: Context): Promise<void> {
    const session = this.#carried(c);
    if (session) await revokeAdminSession(this.#db, session.id, session.expiresAt);
    deleteCookie(c, SESSION_COOKIE, this.#cookieOptions(0));
  }

  /**
   * Before sign-in there is no session to tie a CSRF token to: the sign-in form's token is the
   * signature of a random value kept in a short-lived cookie of its own (signed double submit).
   */
  signInToken(c: Context): string {
    let nonce = getCookie(c, SIGN_IN_COOKIE);
    if (!nonce || !/^[\w-]{24}$/.test(nonce)) {
      nonce = randomBytes(18).toString('base64url');
      setCookie(c, SIGN_IN_COOKIE, nonce, this.#cookieOptions(SIGN_IN_FORM_SECONDS));
    }
    return this.#sign(`sign-in.${nonce}`);
  }

  signInTokenValid(c: Context, given: string | undefined): boolean {
    const nonce = getCookie(c, SIGN_IN_COOKIE);
    return nonce !== undefined && given !== undefined && this.#verify(`sign-in.${nonce}`, given);
  }

  csrfValid(session: AdminSession, given: string | undefined): boolean {
    return given !== undefined && equal(given, session.csrfToken);
  }

  /** A result message shown once, by the page the action redirects to. */
  flash(c: Context, notice: Notice): void {
    const value = Buffer.from(JSON.stringify(notice)).toString('base64url');
    setCookie(c, NOTICE_COOKIE, `${value}.${this.#sign(`notice.${value}`)}`, this.#cookieOptions(60));
  }

  takeNotice(c: Context): Notice | undefined {
    const cookie = getCookie(c, NOTICE_COOKIE);
    if (!cookie) return undefined;
    deleteCookie(c, NOTICE_COOKIE, this.#cookieOptions(0));
    const [value, signature] = cookie.split('.');
    if (!value || !signature || !this.#verify(`notice.${value}`, signature)) return undefined;
    const notice = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Notice;
    return { kind: notice.kind === 'error' ? 'error' : 'success', text: String(notice.text) };
  }

  /** The session of the cookie, when its signature holds and it has not expired. */
  #carried(c: Context): AdminSession | undefined {
    const [id, expires, signature] = getCookie(c, SESSION_COOKIE)?.split('.') ?? [];
    if (!id || !expires || !signature || !/^\d{1,12}$/.test(expires)) return undefined;
    if (!this.#verify(`${id}.${expires}`, signature)) return undefined;
    if (Number(expires) * 1000 <= Date.now()) return undefined;
    return this.#session(id, Number(expires));
  }

  #session(id: string, expires: number): AdminSession {
    return { id, expiresAt: new Date(expires * 1000), csrfToken: this.#sign(`csrf.${id}`) };
  }

  #sign(value: string): string {
    return createHmac('sha256', this.#key).update(value).digest('base64url');
  }

  #verify(value: string, signature: string): boolean {
    return equal(signature, this.#sign(value));
  }

  #cookieOptions(maxAge: number) {
    return {
      path: CONSOLE_PATH,
      httpOnly: true,
      secure: this.#secure,
      sameSite: 'Strict' as const,
      maxAge,
    };
  }
}

function equal(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
