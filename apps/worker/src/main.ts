import { createMetricsServer, createRegistry, deliveryMetrics, jobMetrics } from '@digest/metrics';
import {
  closeOnSignals,
  configFromEnvironment,
  connectOrExit,
  listenOrExit,
  openResources,
} from '@digest/runtime';
import { logFinishedJobs } from './job-log.ts';
import { smtpTransportFor, startWorkers } from './workers.ts';

const resources = openResources(configFromEnvironment(), 'worker');
await connectOrExit(resources, { ledger: true });
const { METRICS_PORT, METRICS_TOKEN } = resources.config;

// This process's own counters; the shared state (queue depths, issue progress) is the API's.
const registry = createRegistry();
const metrics = METRICS_PORT ? createMetricsServer({ registry, token: METRICS_TOKEN }) : undefined;
if (metrics && METRICS_PORT) await listenOrExit(metrics, METRICS_PORT, 'METRICS_PORT');

const running = await startWorkers(resources, smtpTransportFor(resources.config), deliveryMetrics(registry));
jobMetrics(registry, Object.fromEntries(running.workers.map((worker) => [worker.name, worker])));
logFinishedJobs(resources.logger, running.workers);
closeOnSignals(resources.logger, [
  ['workers', () => running.close()],
  ['metrics server', () => metrics && new Promise((resolve) => metrics.close(resolve))],
  ['resources', () => resources.close()],
]);
