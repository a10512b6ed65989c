import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The sink keeps one message in this many whole (for checks after a run, e.g. DKIM), up to SAMPLES_MAX. */
export const SAMPLE_EVERY = 50;
export const SAMPLES_MAX = 400;

/** What the sink has accepted so far, and the CPU its process has used (microseconds). */
export interface SinkStats {
  messages: number;
  bytes: number;
  cpuUs: number;
}

/**
 * Parent → sink over the IPC channel. `wait` is answered once `messages` have been accepted;
 * `arrivals` with the arrival times (epoch ms) of the messages accepted since `since`; `samples`
 * with the messages kept whole since the last `samples` (one in SAMPLE_EVERY).
 */
export type SinkQuery =
  | { type: 'stats' }
  | { type: 'wait'; messages: number }
  | { type: 'arrivals'; since: number }
  | { type: 'samples' };
export type SinkRequest = SinkQuery & { id: number };

/** Sink → parent. */
export type SinkReply =
  | { type: 'ready'; port: number }
  | { type: 'stats'; id: number; stats: SinkStats; arrivals?: number[]; samples?: string[] };

export interface SmtpSink {
  url: string;
  stats(): Promise<SinkStats>;
  /** Resolves once the sink has accepted `messages` in total (counted since it started). */
  waitFor(messages: number, timeoutMs: number): Promise<SinkStats>;
  /** Arrival times (epoch ms, sub-millisecond) of the messages accepted since `since`. */
  arrivals(since: number): Promise<number[]>;
  /** Messages as received (latin1), one in SAMPLE_EVERY since the last call, at most SAMPLES_MAX. */
  samples(): Promise<string[]>;
  close(): Promise<void>;
}

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Starts the SMTP sink (sink.ts) in a process of its own, so its CPU is not the benchmark's, and
 * talks to it over IPC.
 */
export async function startSmtpSink(): Promise<SmtpSink> {
  const child = spawn(process.execPath, ['test/bench/sink.ts'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  type Answer = { stats: SinkStats; arrivals?: number[]; samples?: string[] };
  const pending = new Map<number, { resolve: (answer: Answer) => void; reject: (error: Error) => void }>();
  let nextId = 1;
  let exited: Error | undefined;

  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('SMTP sink did not start within 20 s')), 20_000);
    child.on('message', (reply: SinkReply) => {
      if (reply.type === 'ready') {
        clearTimeout(timer);
        resolve(reply.port);
      } else {
        pending.get(reply.id)?.resolve(reply);
        pending.delete(reply.id);
      }
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      exited = new Error(`SMTP sink exited (code ${code}, signal ${signal})`);
      for (const waiter of pending.values()) waiter.reject(exited);
      pending.clear();
      reject(exited);
    });
  });

  const request = (body: SinkQuery, timeoutMs = 10_000) =>
    new Promise<Answer>((resolve, reject) => {
      if (exited) return reject(exited);
      const id = nextId++;
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`SMTP sink: no answer to ${body.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, {
        resolve: (answer) => {
          clearTimeout(timer);
          resolve(answer);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      child.send({ ...body, id } satisfies SinkRequest);
    });

  return {
    url: `smtp://127.0.0.1:${port}`,
    stats: async () => (await request({ type: 'stats' })).stats,
    waitFor: async (messages, timeoutMs) => (await request({ type: 'wait', messages }, timeoutMs)).stats,
    arrivals: async (since) => (await request({ type: 'arrivals', since })).arrivals ?? [],
    samples: async () => (await request({ type: 'samples' })).samples ?? [],
    close: () => stopChild(child),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(timer);
}
