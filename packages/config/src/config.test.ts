import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './index.ts';

const silent = () => {};

describe('loadConfig', () => {
  it('falls back to localhost services and the documented defaults in development', () => {
    const config = loadConfig({}, silent);
    expect(config.PORT).toBe(3000);
    expect(config.DIGEST_CRON).toBe('0 8 * * *');
    expect(config.DIGEST_TZ).toBe('UTC');
    expect(config.DIGEST_SIZE).toBe(10);
    expect(config.DIGEST_WEEKDAY).toBe('monday');
    expect(config.SIGNUP_RATE_LIMIT).toBe(20);
    expect(config.SEND_RATE).toBeUndefined();
    expect(config.ADMIN_TOKEN).toBeTruthy();
    expect(config.dkim).toBeUndefined();
    expect(config.QUEUE_DASHBOARD_WRITE).toBe(false);
    expect(config.DELIVERY_RETENTION_MONTHS).toBeUndefined();
  });

  it('keeps the ledger a whole number of months, at least one, when DELIVERY_RETENTION_MONTHS is set', () => {
    expect(loadConfig({ DELIVERY_RETENTION_MONTHS: '13' }, silent).DELIVERY_RETENTION_MONTHS).toBe(13);
    for (const value of ['0', '-1', '1.5', 'a year']) {
      expect(() => loadConfig({ DELIVERY_RETENTION_MONTHS: value }, silent)).toThrowError(
        /DELIVERY_RETENTION_MONTHS/,
      );
    }
  });

  it('enables queue dashboard actions only with QUEUE_DASHBOARD_WRITE=true', () => {
    expect(loadConfig({ QUEUE_DASHBOARD_WRITE: 'true' }, silent).QUEUE_DASHBOARD_WRITE).toBe(true);
    expect(loadConfig({ QUEUE_DASHBOARD_WRITE: 'false' }, silent).QUEUE_DASHBOARD_WRITE).toBe(false);
    expect(() => loadConfig({ QUEUE_DASHBOARD_WRITE: 'yes' }, silent)).toThrowError(/QUEUE_DASHBOARD_WRITE/);
  });

  it('refuses to start in production without the secrets, naming them', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' }, silent)).toThrowError(
      /ADMIN_TOKEN and TOKEN_SECRET must be set/,
    );
    expect(() =>
      loadConfig({ NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(40), TOKEN_SECRET: '  ' }, silent),
    ).toThrowError(/TOKEN_SECRET must be set/);
  });

  it('refuses to start in production without PUBLIC_BASE_URL (its default is localhost)', () => {
    const secrets = { NODE_ENV: 'production', ADMIN_TOKEN: 'a'.repeat(40), TOKEN_SECRET: 's'.repeat(32) };
    expect(() => loadConfig(secrets, silent)).toThrowError(/PUBLIC_BASE_URL must be set/);
    expect(
      loadConfig({ ...secrets, PUBLIC_BASE_URL: 'https://papers.example.org' }, silent).PUBLIC_BASE_URL,
    ).toBe('https://papers.example.org');
  });

  it('reads secrets from the files named by *_FILE, without their trailing newline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    writeFileSync(join(dir, 'admin'), 'file-admin-token\n');
    writeFileSync(join(dir, 'db'), 'postgres://postgres:pw@db.internal:5432/digest');
    const config = loadConfig(
      { ADMIN_TOKEN_FILE: join(dir, 'admin'), DATABASE_URL_FILE: join(dir, 'db') },
      silent,
    );
    expect(config.ADMIN_TOKEN).toBe('file-admin-token');
    expect(config.DATABASE_URL).toBe('postgres://postgres:pw@db.internal:5432/digest');

    expect(() => loadConfig({ TOKEN_SECRET_FILE: join(dir, 'missing') }, silent)).toThrowError(
      /TOKEN_SECRET_FILE: cannot read .*missing \(ENOENT\)/,
    );
    expect(() =>
      loadConfig({ ADMIN_TOKEN: 'inline', ADMIN_TOKEN_FILE: join(dir, 'admin') }, silent),
    ).toThrowError(/set ADMIN_TOKEN or ADMIN_TOKEN_FILE, not both/);
  });

  it('only warns about an http PUBLIC_BASE_URL in production', () => {
    const warnings: string[] = [];
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        ADMIN_TOKEN: 'admin-token-admin-token',
        TOKEN_SECRET: 's'.repeat(32),
        PUBLIC_BASE_URL: 'http://papers.example.org/',
      },
      (message) => warnings.push(message),
    );
    expect(config.PUBLIC_BASE_URL).toBe('http://papers.example.org');
    expect(warnings.join()).toMatch(/HTTPS/);
  });

  it('names each invalid variable', () => {
    const attempt = () =>
      loadConfig(
        { PORT: 'eighty', DIGEST_TZ: 'Mars/Olympus', SMTP_URL: 'http://x', DIGEST_WEEKDAY: 'funday' },
        silent,
      );
    expect(attempt).toThrowError(ConfigError);
    expect(attempt).toThrowError(/PORT[\s\S]*SMTP_URL|SMTP_URL[\s\S]*PORT/);
    expect(attempt).toThrowError(/Mars\/Olympus/);
    expect(attempt).toThrowError(/DIGEST_WEEKDAY/);
  });

  it('turns DKIM on only when all three variables are set', () => {
    const key = '-----BEGIN PRIVATE KEY-----\\nabc\\n-----END PRIVATE KEY-----';
    const config = loadConfig(
      { DKIM_DOMAIN: 'example.org', DKIM_SELECTOR: 'mail', DKIM_PRIVATE_KEY: key },
      silent,
    );
    expect(config.dkim).toEqual({
      domainName: 'example.org',
      keySelector: 'mail',
      privateKey: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
    });
    const warnings: string[] = [];
    expect(loadConfig({ DKIM_DOMAIN: 'example.org' }, (m) => warnings.push(m)).dkim).toBeUndefined();
    expect(warnings).toHaveLength(1);
  });

  it('parses the CORS allow-list', () => {
    expect(
      loadConfig({ ALLOWED_ORIGINS: 'https://a.example, https://b.example ,' }, silent).ALLOWED_ORIGINS,
    ).toEqual(['https://a.example', 'https://b.example']);
    // As a browser sends them: lower case, no default port, no trailing slash.
    expect(
      loadConfig(
        { ALLOWED_ORIGINS: 'https://Other.Example/, http://b.example:80, https://c.example:8443' },
        silent,
      ).ALLOWED_ORIGINS,
    ).toEqual(['https://other.example', 'http://b.example', 'https://c.example:8443']);
    for (const entry of ['https://a.example/signup', 'a.example', 'ftp://a.example', 'https://u@a.example']) {
      expect(() => loadConfig({ ALLOWED_ORIGINS: entry }, silent)).toThrowError(
        /not an origin[\s\S]*at ALLOWED_ORIGINS/,
      );
    }
  });

  it('takes a Redis Cluster as redis+cluster:// and refuses other schemes, naming REDIS_URL', () => {
    const url = 'rediss+cluster://user:pass@redis-1.internal:7000';
    expect(loadConfig({ REDIS_URL: url }, silent).REDIS_URL).toBe(url);
    expect(() => loadConfig({ REDIS_URL: 'http://redis-1.internal:7000' }, silent)).toThrowError(
      /redis\[s\]\+cluster[\s\S]*REDIS_URL/,
    );
  });

  it('parses TRUST_PROXY as a hop count or a list of proxy addresses and CIDR blocks', () => {
    expect(loadConfig({}, silent).TRUST_PROXY).toEqual({ hops: 0 });
    expect(loadConfig({ TRUST_PROXY: '2' }, silent).TRUST_PROXY).toEqual({ hops: 2 });
    expect(loadConfig({ TRUST_PROXY: '10.0.0.0/8, 2001:db8::/32,192.0.2.7' }, silent).TRUST_PROXY).toEqual({
      cidrs: ['10.0.0.0/8', '2001:db8::/32', '192.0.2.7'],
    });
    for (const bad of ['10.0.0.0/33', 'proxy.example', '10.0.0.0/8/1', '-1'])
      expect(() => loadConfig({ TRUST_PROXY: bad }, silent)).toThrow(/TRUST_PROXY/);
  });

  it('takes TOKEN_SECRET as the current key, then older ones', () => {
    const keys = `${'n'.repeat(32)}, ${'o'.repeat(32)}`;
    expect(loadConfig({ TOKEN_SECRET: keys }, silent).TOKEN_SECRET).toEqual(['n'.repeat(32), 'o'.repeat(32)]);
    expect(() =>
      loadConfig(
        {
          NODE_ENV: 'production',
          ADMIN_TOKEN: 'x',
          PUBLIC_BASE_URL: 'https://p.example',
          TOKEN_SECRET: `${'n'.repeat(32)},short`,
        },
        silent,
      ),
    ).toThrow(/each TOKEN_SECRET key must be at least 32/);
  });
});
