import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@digest/config';
import { AppError } from '@digest/core';
import { countPapers } from '@digest/db';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { freePort, REPO_ROOT } from '../../../test/support/processes.ts';
import { testQueuePrefix } from '../../../test/support/redis.ts';
import { CliError } from './args.ts';
import { COMMANDS, commandUsage, findCommand, usage } from './commands.ts';
import { expectedErrorMessage } from './errors.ts';

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as `pnpm cli` does: this Node, stripping types, from the repo root. */
function runCli(args: string[], env: Record<string, string>): Promise<Outcome> {
  const child = spawn(process.execPath, ['apps/cli/src/main.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

describe('pnpm cli', () => {
  let database: TestDatabase;
  let scratch: string;
  const queue = testQueuePrefix();

  beforeAll(async () => {
    database = await createTestDatabase();
    scratch = await mkdtemp(join(tmpdir(), 'cli-main-'));
  });

  afterAll(async () => {
    await database.drop();
    await queue.cleanup();
    await rm(scratch, { recursive: true, force: true });
  });

  it('lists every command for --help and exits 0', async () => {
    const { code, stdout } = await runCli(['--help'], {});
    expect(code).toBe(0);
    for (const command of Object.values(COMMANDS)) expect(stdout).toContain(command.usage);
  });

  it('answers --help for every command, and exits 2 on bad arguments', async () => {
    for (const command of Object.values(COMMANDS)) {
      expect(commandUsage(command)).toContain(`Usage: pnpm cli ${command.usage}`);
    }
    // The process itself, all at once: --help wins over missing arguments and connects to nothing.
    const [importHelp, resendHelp, unknown, bad, noJson, noRecipients] = await Promise.all([
      runCli(['subscribers', 'import', '--help'], {}),
      runCli(['digest', 'resend', '-h'], {}),
      runCli(['papers', 'export'], {}),
      runCli(['digest', 'status', '--date', 'tomorrow'], {}),
      runCli(['subscribers', 'export', '--json'], {}),
      // Whom to resend to must be said: no flag is a usage error, never "everyone".
      runCli(['digest', 'resend', '--date', '2026-05-22'], {}),
    ]);
    for (const { code, stdout } of [importHelp, resendHelp]) {
      expect(code).toBe(0);
      expect(stdout).toMatch(/^Usage: pnpm cli (subscribers import|digest resend) /);
      expect(stdout).toContain('Exit codes: 0 done, 1 failed');
    }
    expect(unknown).toMatchObject({ code: 2, stdout: '' });
    expect(unknown.stderr).toBe(
      'error: unknown command "papers export": papers import (see pnpm cli --help)\n',
    );
    expect(bad).toMatchObject({
      code: 2,
      stderr: 'error: --date tomorrow is not a valid date (expected YYYY-MM-DD)\n',
    });
    expect(noJson.code).toBe(2);
    expect(noRecipients.code).toBe(2);
  });

  it('prints the result as JSON with --json, and exits 1 when any record was rejected', async () => {
    const file = join(scratch, 'all-rejected.json');
    await writeFile(file, JSON.stringify([{ title: 'No date at all', upvotes: 3 }]));
    const { code, stdout, stderr } = await runCli(['papers', 'import', file, '--json'], {
      DATABASE_URL: database.url,
      QUEUE_PREFIX: queue.prefix,
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout)).toMatchObject({ received: 1, inserted: 0, rejected: [{ index: 0 }] });
    expect(stderr).toBe(`error: 1 record of ${file} rejected\n`);
  });

  it('exits 1 with a one-line error for a file that is not JSON, storing nothing', async () => {
    const file = join(scratch, 'papers.json');
    // JSON.parse quotes a text this short whole, newline included.
    await writeFile(file, 'this is not json\n');
    const { code, stdout, stderr } = await runCli(['papers', 'import', file], {
      DATABASE_URL: database.url,
      QUEUE_PREFIX: queue.prefix,
    });

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(new RegExp(`^error: ${file} is not valid JSON: [^\\n]+\\n$`));
    expect(await countPapers(database.db)).toBe(0);
  });

  it('names an unreachable Redis in one line, after one warning however often it retried', async () => {
    const { code, stderr } = await runCli(['digest', 'resend', '--date', '2026-05-22', '--failed'], {
      DATABASE_URL: database.url,
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      QUEUE_PREFIX: queue.prefix,
      NODE_ENV: 'test',
    });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines.filter((line) => line.includes('retrying until Redis answers'))).toHaveLength(1);
    expect(lines.at(-1)).toBe('error: cannot reach Redis (REDIS_URL) within 5s: is it running?');
    expect(lines.length).toBeLessThanOrEqual(2);
  });

  it('stops quietly, exit 0, when the reader of its output goes away (| head -1)', async () => {
    await sql`insert into subscribers (email, status, consent_source)
      select 'reader' || n || '@example.org', 'active', 'import' from generate_series(1, 20000) as n`.execute(
      database.db,
    );
    const child = spawn(process.execPath, ['apps/cli/src/main.ts', 'subscribers', 'export'], {
      cwd: REPO_ROOT,
      env: { ...process.env, DATABASE_URL: database.url, QUEUE_PREFIX: queue.prefix },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.stdout.once('data', () => child.stdout.destroy());
    const [code] = await once(child, 'close');
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
  });
});

describe('command lookup and errors', () => {
  it('finds commands by their first words and keeps the rest as arguments', () => {
    expect(findCommand(['papers', 'import', 'x.json'])).toMatchObject({
      name: 'papers import',
      args: ['x.json'],
    });
    expect(findCommand(['migrate'])).toMatchObject({ name: 'migrate', args: [] });
    expect(findCommand(['digest'])).toBeUndefined();
    expect(findCommand(['papers', 'export'])).toBeUndefined();
    expect(usage()).toMatch(/^Usage: pnpm cli <command> \[options\]/);
  });

  it('checks arguments before anything connects', () => {
    expect(() => COMMANDS['digest status']?.prepare(['--date', '2026-02-30'])).toThrow(
      '--date 2026-02-30 is not a valid date (expected YYYY-MM-DD)',
    );
    expect(() => COMMANDS.migrate?.prepare(['now'])).toThrow('migrate: unexpected argument "now"');
  });

  it('gives expected failures one line and leaves bugs to their stack', () => {
    expect(expectedErrorMessage(new CliError('bad file'))).toBe('bad file');
    expect(expectedErrorMessage(new ConfigError('invalid configuration'))).toBe('invalid configuration');
    expect(expectedErrorMessage(new AppError('not_found', 'No daily issue exists for 2026-05-23.'))).toBe(
      'No daily issue exists for 2026-05-23.',
    );
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5499'), { code: 'ECONNREFUSED' });
    expect(expectedErrorMessage(new AggregateError([refused]))).toBe(
      'cannot reach the database (DATABASE_URL): connect ECONNREFUSED 127.0.0.1:5499',
    );
    expect(expectedErrorMessage(new TypeError('undefined is not a function'))).toBeUndefined();
  });
});
