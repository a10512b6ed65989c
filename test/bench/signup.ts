import autocannon from 'autocannon';
import { freePort } from '../support/processes.ts';
import { testQueuePrefix } from '../support/redis.ts';
import { type Service, startService } from './services.ts';
import { createBenchDatabase, serviceEnv } from './setup.ts';
import type { SmtpSink } from './smtp-sink.ts';

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}

export interface SignupResult {
  /** As many requests as the API answers (50 connections). */
  subscribe: LoadResult;
  /** The same endpoint at a fixed `rate` req/s. */
  subscribeAtRate: LoadResult & { rate: number };
  bare: LoadResult;
}

/** Addresses signed up so far by this process: each run continues the count. */
let signups = 0;

/**
 * Unique addresses, across runs too, so every request is a real signup (insert, token,
 * confirmation job), never a repeat that the known-address path or the per-inbox limit answers.
 */
function load(
  url: string,
  seconds: number,
  options: { connections: number; rate?: number },
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url: `${url}/api/subscribe`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        duration: seconds,
        connections: options.connections,
        ...(options.rate ? { overallRate: options.rate } : {}),
        requests: [
          {
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ email: `load-${process.pid}-${signups++}@bench.example.org` }),
            }),
          },
        ],
      },
      (error, result) => {
        if (error) return reject(error);
        resolve({
          rps: result.requests.average,
          p50Ms: result.latency.p50,
          p99Ms: result.latency.p99,
          errors: result.errors + result.timeouts + result.non2xx,
        });
      },
    );
  });
}

/**
 * Signup throughput and latency of the real API process (its own database and queue prefix),
 * then of a bare Hono endpoint, each driven by autocannon from this process.
 */
export async function signupLoad(sink: SmtpSink, seconds: number, rate: number): Promise<SignupResult> {
  const database = await createBenchDatabase(0);
  const queue = testQueuePrefix();
  const services: Service[] = [];
  try {
    const port = await freePort();
    const env = serviceEnv({
      databaseUrl: database.url,
      smtpUrl: sink.url,
      queuePrefix: queue.prefix,
      poolSize: 5,
    });
    services.push(
      await startService(
        ['apps/api/src/main.ts'],
        { ...env, PORT: String(port), LOG_LEVEL: 'info' },
        /api listening/,
      ),
    );
    const api = `http://127.0.0.1:${port}`;
    await load(api, 1, { connections: 10 }); // warm-up
    const subscribe = await load(api, seconds, { connections: 50 });
    const subscribeAtRate = { ...(await load(api, seconds, { connections: 50, rate })), rate };

    const barePort = await freePort();
    services.push(await startService(['test/bench/bare.ts', String(barePort)], {}, /bare listening/));
    const bareUrl = `http://127.0.0.1:${barePort}`;
    await load(bareUrl, 1, { connections: 10 });
    return { subscribe, subscribeAtRate, bare: await load(bareUrl, seconds, { connections: 50 }) };
  } finally {
    for (const service of services) await service.stop();
    await queue.cleanup();
    await database.drop();
  }
}
