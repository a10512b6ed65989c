/**
 * The benchmark's SMTP sink, run as a child process by smtp-sink.ts: accepts every message on a
 * free 127.0.0.1 port, counts messages and bytes, keeps a sample of them, and answers the parent
 * over IPC. Exits when the parent goes away.
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SMTPServer } from 'smtp-server';
import { SAMPLE_EVERY, SAMPLES_MAX, type SinkReply, type SinkRequest, type SinkStats } from './smtp-sink.ts';

const send = process.send?.bind(process);
if (!send) throw new Error('sink.ts runs as a child process with an IPC channel (see smtp-sink.ts)');

let messages = 0;
let bytes = 0;
let waiters: { id: number; messages: number }[] = [];
/** Arrival time of every message (epoch ms): a benchmark run sends at most a few tens of thousands. */
const arrivals: number[] = [];
/** Messages kept whole, one in SAMPLE_EVERY as they begin (see SinkQuery `samples`). */
let samples: string[] = [];
let begun = 0;

function stats(): SinkStats {
  const cpu = process.cpuUsage();
  return { messages, bytes, cpuUs: cpu.user + cpu.system };
}

function answerWaiters(): void {
  if (waiters.length === 0) return;
  waiters = waiters.filter((waiter) => {
    if (messages < waiter.messages) return true;
    send?.({ type: 'stats', id: waiter.id, stats: stats() } satisfies SinkReply);
    return false;
  });
}

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    const kept: Buffer[] | undefined =
      begun++ % SAMPLE_EVERY === 0 && samples.length < SAMPLES_MAX ? [] : undefined;
    stream.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      kept?.push(chunk);
    });
    stream.on('end', () => {
      if (kept) samples.push(Buffer.concat(kept).toString('latin1'));
      messages++;
      arrivals.push(performance.timeOrigin + performance.now());
      callback();
      answerWaiters();
    });
  },
});

process.on('message', (request: SinkRequest) => {
  if (request.type === 'stats') send({ type: 'stats', id: request.id, stats: stats() } satisfies SinkReply);
  else if (request.type === 'arrivals') {
    const since = arrivals.filter((time) => time >= request.since);
    send({ type: 'stats', id: request.id, stats: stats(), arrivals: since } satisfies SinkReply);
  } else if (request.type === 'samples') {
    send({ type: 'stats', id: request.id, stats: stats(), samples } satisfies SinkReply);
    samples = [];
  } else {
    waiters.push({ id: request.id, messages: request.messages });
    answerWaiters();
  }
});

const stop = () => {
  // Idle pooled connections would hold close() open; nothing is in flight by now.
  setTimeout(() => process.exit(0), 1_000).unref();
  server.close(() => process.exit(0));
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

server.listen(0, '127.0.0.1', () => {
  send({ type: 'ready', port: (server.server.address() as AddressInfo).port } satisfies SinkReply);
});
