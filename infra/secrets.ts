/**
 * Compose's first-start step: `node infra/secrets.ts <dir> <database-url-without-password>`.
 * Keeps each secret in a file of <dir> (a volume) that the services read through *_FILE:
 * ADMIN_TOKEN, TOKEN_SECRET and DATABASE_URL from the environment (`.env`) when set there, else
 * the value already in the file, else a random one. Keeping what exists keeps links, sessions and
 * the database password working across restarts. Prints where the admin token is, never the token
 * (compose keeps service output in its logs).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [dir, databaseUrl] = process.argv.slice(2);
if (!dir || !databaseUrl) {
  console.error('usage: node infra/secrets.ts <dir> <database-url-without-password>');
  process.exit(2);
}

const random = () => randomBytes(32).toString('base64url');

/** Makes <dir>/<name> hold `given`, or keeps it, or fills it with `generate()`; returns its path. */
function ensure(name: string, given: string | undefined, generate: () => string, mode = 0o600): string {
  const file = join(dir as string, name);
  const exists = existsSync(file);
  if (given?.trim()) {
    if (!exists || readFileSync(file, 'utf8').trim() !== given.trim()) {
      writeFileSync(file, `${given.trim()}\n`, { mode });
      console.log(`${file}: set from the environment`);
    }
  } else if (!exists) {
    writeFileSync(file, `${generate()}\n`, { mode });
    console.log(`${file}: generated`);
  }
  return file;
}

const adminToken = ensure('admin-token', process.env.ADMIN_TOKEN, random);
ensure('token-secret', process.env.TOKEN_SECRET, random);
// Postgres's image reads its password file as its own user: readable, in a volume only the
// stack mounts.
const postgresPassword = ensure('postgres-password', undefined, random, 0o644);
ensure('database-url', process.env.DATABASE_URL, () => {
  const url = new URL(databaseUrl);
  url.password = readFileSync(postgresPassword, 'utf8').trim();
  return url.toString();
});

console.log(`The admin token is in ${adminToken}: docker compose exec api cat ${adminToken}`);
