import { hostname } from 'node:os';
import type { ConnectionOptions } from 'node:tls';

/** Where and how to reach the relay: everything a connection needs, read from SMTP_URL. */
export interface SmtpEndpoint {
  host: string;
  port: number;
  /** `smtps://`: TLS from the first byte. */
  secure: boolean;
  /** STARTTLS on a plain connection: when the relay offers it (default), always, or never. */
  startTls: 'when-offered' | 'required' | 'never';
  tls: ConnectionOptions;
  auth?: { user: string; pass: string };
  /** The name we give in EHLO. */
  clientName: string;
  connectionTimeoutMs: number;
  socketTimeoutMs: number;
}

const QUERY_OPTIONS = [
  'ignoreTLS',
  'requireTLS',
  'name',
  'connectionTimeout',
  'socketTimeout',
  'tls.rejectUnauthorized',
  'tls.servername',
] as const;

/**
 * `smtp://[user:pass@]host[:port][?option=value…]` or `smtps://…`. Options: `ignoreTLS` and
 * `requireTLS` (true/false), `name` (EHLO name), `connectionTimeout` and `socketTimeout` (ms),
 * `tls.rejectUnauthorized` and `tls.servername`. Anything else is refused, not ignored.
 */
export function parseSmtpUrl(url: string): SmtpEndpoint {
  const parsed = new URL(url);
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:') {
    throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${parsed.protocol}//`);
  }
  for (const key of parsed.searchParams.keys()) {
    if (!(QUERY_OPTIONS as readonly string[]).includes(key)) {
      throw new Error(`SMTP_URL: unknown option "${key}" (known: ${QUERY_OPTIONS.join(', ')})`);
    }
  }
  const query = (key: (typeof QUERY_OPTIONS)[number]) => parsed.searchParams.get(key) ?? undefined;
  const secure = parsed.protocol === 'smtps:';
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const tls: ConnectionOptions = {
    servername: query('tls.servername') ?? (isIp(host) ? undefined : host),
    // A relay on this machine (a mail catcher, a local MTA) often offers STARTTLS with a
    // self-signed certificate; the connection never leaves the host, so it is not verified.
    rejectUnauthorized: flag(query('tls.rejectUnauthorized'), 'tls.rejectUnauthorized') ?? !isLoopback(host),
  };
  return {
    host,
    port: parsed.port ? Number(parsed.port) : secure ? 465 : 587,
    secure,
    startTls: flag(query('ignoreTLS'), 'ignoreTLS')
      ? 'never'
      : flag(query('requireTLS'), 'requireTLS')
        ? 'required'
        : 'when-offered',
    tls,
    ...(parsed.username
      ? { auth: { user: decodeURIComponent(parsed.username), pass: decodeURIComponent(parsed.password) } }
      : {}),
    clientName: query('name') ?? defaultClientName(),
    connectionTimeoutMs: milliseconds(query('connectionTimeout'), 'connectionTimeout') ?? 30_000,
    // RFC 5321 4.5.3.2 gives the reply to a message's end 10 minutes: a content scan can be slow.
    socketTimeoutMs: milliseconds(query('socketTimeout'), 'socketTimeout') ?? 600_000,
  };
}

function flag(value: string | undefined, name: string): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`SMTP_URL: ${name} must be true or false, not "${value}"`);
}

function milliseconds(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Number(value);
  if (!Number.isInteger(ms) || ms <= 0)
    throw new Error(`SMTP_URL: ${name} must be milliseconds, not "${value}"`);
  return ms;
}

/** This host's name when it is fully qualified, as RFC 5321 asks of EHLO; else a literal. */
function defaultClientName(): string {
  const name = hostname();
  return name.includes('.') ? name : '[127.0.0.1]';
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}
