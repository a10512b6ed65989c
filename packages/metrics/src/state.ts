import { Gauge, type Registry } from 'prom-client';

const JOB_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

export interface JobCounter {
  getJobCounts(...states: string[]): Promise<Record<string, number>>;
}

export interface OpenIssueDeliveries {
  cadence: string;
  date: string;
  status: string;
  count: number;
}

/**
 * Gauges of the state every process shares, read on each scrape: jobs per queue and state (from
 * Redis), and the deliveries of the issues still sending (a bounded query). Each collection
 * starts from zero, so a series whose count dropped away disappears instead of keeping its old
 * value. A store that does not answer leaves its gauges empty rather than hanging the scrape.
 */
export function sharedStateMetrics(
  registry: Registry,
  sources: {
    queues: Record<string, JobCounter>;
    openIssues: () => Promise<OpenIssueDeliveries[]>;
    timeoutMs: number;
  },
): void {
  const within = <T>(work: Promise<T>) => withTimeout(work, sources.timeoutMs);
  new Gauge({
    name: 'digest_queue_jobs',
    help: 'Jobs per queue and state',
    labelNames: ['queue', 'state'],
    registers: [registry],
    async collect() {
      this.reset();
      await Promise.all(
        Object.entries(sources.queues).map(async ([queue, counter]) => {
          const counts = await within(counter.getJobCounts(...JOB_STATES));
          if (counts) for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }),
      );
    },
  });

  new Gauge({
    name: 'digest_issue_deliveries',
    help: 'Deliveries of the issues still sending, by status: their progress',
    labelNames: ['cadence', 'date', 'status'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of (await within(sources.openIssues())) ?? []) {
        this.set({ cadence: row.cadence, date: row.date, status: row.status }, row.count);
      }
    },
  });
}

async function withTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([work.catch(() => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
