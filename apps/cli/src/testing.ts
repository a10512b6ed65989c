import { Writable } from 'node:stream';
import { type Config, loadConfig } from '@digest/config';
import { TEST_REDIS_URL } from '../../../test/support/env.ts';
import type { Io } from './io.ts';

/** Test helpers for the command tests (not a test file itself). */

export interface CapturedIo {
  io: Io;
  stdout(): string;
  stderr(): string;
}

/** An Io whose output the test can read back. */
export function captureIo(): CapturedIo {
  const text = { stdout: '', stderr: '' };
  const sink = (name: keyof typeof text) =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        text[name] += chunk.toString();
        done();
      },
    });
  return {
    io: { stdout: sink('stdout'), stderr: sink('stderr') },
    stdout: () => text.stdout,
    stderr: () => text.stderr,
  };
}

export function testConfig(databaseUrl: string): Config {
  return loadConfig(
    { NODE_ENV: 'test', DATABASE_URL: databaseUrl, REDIS_URL: TEST_REDIS_URL, LOG_LEVEL: 'silent' },
    () => {},
  );
}

/** The repository's copy of the shared paper fixtures. */
export const FIXTURES = new URL('../../../test/fixtures/', import.meta.url).pathname;
