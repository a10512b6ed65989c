import { Counter, type Registry } from 'prom-client';

export interface JobEvents {
  on(event: 'completed' | 'failed', listener: (...args: unknown[]) => void): unknown;
}

/** Jobs this worker process finished, per queue and result (a failed attempt counts as failed). */
export function jobMetrics(registry: Registry, workers: Record<string, JobEvents>): void {
  const jobs = new Counter({
    name: 'digest_jobs_total',
    help: 'Jobs finished by this worker process, by queue and result',
    labelNames: ['queue', 'result'],
    registers: [registry],
  });
  for (const [queue, worker] of Object.entries(workers)) {
    for (const result of ['completed', 'failed'] as const) {
      jobs.inc({ queue, result }, 0);
      worker.on(result, () => jobs.inc({ queue, result }));
    }
  }
}
