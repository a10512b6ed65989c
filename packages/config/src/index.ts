import { z } from 'zod';
import { configSchema, type RawConfig, type TrustProxy, WEEKDAYS, type Weekday } from './schema.ts';
import { readSecretFiles } from './secret-files.ts';

export { configSchema, type TrustProxy, WEEKDAYS, type Weekday };

/** Development-only values; production refuses to start without real ones. */
const DEVELOPMENT_SECRETS = { ADMIN_TOKEN: 'dev-admin-token', TOKEN_SECRET: 'dev-token-secret-change-me' };

export interface Config extends Omit<RawConfig, 'ADMIN_TOKEN' | 'TOKEN_SECRET'> {
  ADMIN_TOKEN: string;
  /** The token keys, current first: TOKEN_SECRET is `current[,older…]` so a rotation keeps mailed links working. */
  TOKEN_SECRET: string[];
  /** Set when DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY are all present. */
  dkim: { domainName: string; keySelector: string; privateKey: string } | undefined;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * Parses the environment once at start-up. Throws a ConfigError that names every bad variable;
 * `warn` receives problems that are allowed but worth a look.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  warn: (message: string) => void = (message) => console.warn(`config: ${message}`),
): Config {
  const secrets = readSecretFiles(env);
  if (secrets.problems.length > 0) {
    throw new ConfigError(`invalid configuration:\n${secrets.problems.map((p) => `✖ ${p}`).join('\n')}`);
  }
  const parsed = configSchema.safeParse(secrets.env);
  if (!parsed.success) {
    throw new ConfigError(`invalid configuration:\n${z.prettifyError(parsed.error)}`);
  }
  const raw = parsed.data;
  const production = raw.NODE_ENV === 'production';

  const missing = (['ADMIN_TOKEN', 'TOKEN_SECRET'] as const).filter((name) => !raw[name]);
  if (production && missing.length > 0) {
    throw new ConfigError(`${missing.join(' and ')} must be set when NODE_ENV=production`);
  }
  const tokenKeys = (raw.TOKEN_SECRET ?? DEVELOPMENT_SECRETS.TOKEN_SECRET)
    .split(',')
    .map((key) => key.trim())
    .filter(Boolean);
  if (tokenKeys.length === 0) throw new ConfigError('TOKEN_SECRET lists no key');
  if (production && tokenKeys.some((key) => key.length < 32)) {
    throw new ConfigError('each TOKEN_SECRET key must be at least 32 characters when NODE_ENV=production');
  }
  // Its localhost default would put a dead link in every mail.
  if (production && !secrets.env.PUBLIC_BASE_URL?.trim()) {
    throw new ConfigError(
      'PUBLIC_BASE_URL must be set when NODE_ENV=production (the base of every link in mail)',
    );
  }
  if (production && raw.PUBLIC_BASE_URL.startsWith('http://')) {
    warn(`PUBLIC_BASE_URL is ${raw.PUBLIC_BASE_URL}: links in mail will not use HTTPS`);
  }

  const dkimParts = [raw.DKIM_DOMAIN, raw.DKIM_SELECTOR, raw.DKIM_PRIVATE_KEY].filter(Boolean).length;
  if (dkimParts > 0 && dkimParts < 3) {
    warn('DKIM is off: DKIM_DOMAIN, DKIM_SELECTOR and DKIM_PRIVATE_KEY must all be set');
  }

  return {
    ...raw,
    ADMIN_TOKEN: raw.ADMIN_TOKEN ?? DEVELOPMENT_SECRETS.ADMIN_TOKEN,
    TOKEN_SECRET: tokenKeys,
    dkim:
      raw.DKIM_DOMAIN && raw.DKIM_SELECTOR && raw.DKIM_PRIVATE_KEY
        ? {
            domainName: raw.DKIM_DOMAIN,
            keySelector: raw.DKIM_SELECTOR,
            // Env files often carry the PEM with literal "\n" sequences.
            privateKey: raw.DKIM_PRIVATE_KEY.replace(/\\n/g, '\n'),
          }
        : undefined,
  };
}
