import { execFile } from 'node:child_process';
import { appendFileSync, chownSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createDatabaseIfMissing, createDb, type Db, migrateToLatest } from '@digest/db';
import { freePort } from './processes.ts';

const run = promisify(execFile);

export interface PrivatePostgres {
  port: number;
  /** A migrated database of its own on this cluster. */
  url: string;
  /** The test's own connections to `url` (they reconnect by themselves after a restart). */
  db: Db;
  /** `pg_ctl restart -m fast`: every connection is cut, the server is back when this resolves. */
  restart(): Promise<void>;
  /**
   * SIGSTOP to the server and every one of its processes: queries hang, connections stay open,
   * as when its machine stalls. `thaw` sends SIGCONT, and the server goes on where it stopped.
   */
  freeze(): Promise<void>;
  thaw(): void;
  /** Stops the server, removes its data directory. */
  destroy(): Promise<void>;
}

/**
 * A Postgres cluster of the test's own (initdb into a temp dir, on a free port), for faults the
 * shared server must never see: restarting it mid-send. Runs as the `postgres` OS user when the
 * test runs as root (Postgres refuses to run as root).
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const home = mkdtempSync(join(tmpdir(), 'digest-pg-'));
  const data = join(home, 'data');
  const asOwner = await ownerCommand(home);
  const pgCtl = (...args: string[]) =>
    asOwner(join(bin, 'pg_ctl'), ['-D', data, '-l', join(home, 'server.log'), '-w', ...args]);

  await asOwner(join(bin, 'initdb'), [
    ...['-D', data, '-A', 'trust'],
    ...['-U', 'postgres', '--no-sync', '-E', 'UTF8'],
  ]);
  // Only TCP on the chosen port and a socket in the temp dir: nothing can reach the shared cluster.
  // Durability settings off: the restart under test is a clean one (fast shutdown), not a power cut.
  appendFileSync(
    join(data, 'postgresql.conf'),
    [
      `port = ${port}`,
      "listen_addresses = '127.0.0.1'",
      `unix_socket_directories = '${home}'`,
      'fsync = off',
      'synchronous_commit = off',
      'full_page_writes = off',
      'max_connections = 200',
      '',
    ].join('\n'),
  );
  await pgCtl('start');

  const url = `postgres://postgres@127.0.0.1:${port}/digest`;
  await createDatabaseIfMissing(url);
  const db = createDb(url, { max: 5 });
  await migrateToLatest(db);
  let frozen: number[] = [];
  const thaw = () => {
    for (const pid of frozen.reverse()) process.kill(pid, 'SIGCONT');
    frozen = [];
  };
  return {
    port,
    url,
    db,
    async restart() {
      await pgCtl('restart', '-m', 'fast');
    },
    async freeze() {
      // The postmaster first, so it forks no backend while the others are being stopped.
      const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
      process.kill(postmaster, 'SIGSTOP');
      frozen.push(postmaster);
      const { stdout } = await run('pgrep', ['-P', String(postmaster)]);
      for (const pid of stdout.split('\n').filter(Boolean).map(Number)) {
        process.kill(pid, 'SIGSTOP');
        frozen.push(pid);
      }
    },
    thaw,
    async destroy() {
      thaw();
      await db.destroy();
      await pgCtl('stop', '-m', 'immediate').catch(() => {});
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The newest server installed the Debian way (/usr/lib/postgresql/<version>/bin). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = readdirSync(root)
    .filter((name) => /^\d+$/.test(name))
    .sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error(`no Postgres server under ${root}`);
  return join(root, versions[0] as string, 'bin');
}

type Command = (file: string, args: string[]) => Promise<unknown>;

/** Runs server commands as the owner of `home`: `postgres` when we are root, else ourselves. */
async function ownerCommand(home: string): Promise<Command> {
  if (userInfo().uid !== 0) return (file, args) => run(file, args);
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: gid } = await run('id', ['-g', 'postgres']);
  chownSync(home, Number(stdout.trim()), Number(gid.trim()));
  return (file, args) => run('runuser', ['-u', 'postgres', '--', file, ...args]);
}
