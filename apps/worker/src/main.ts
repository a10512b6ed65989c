import { createMetricsServer, createRegistry } from '@digest/metrics';
import {
  closeOnSignals,
  configFromEnvironment,
  connectOrExit,
  listenOrExit,
  openResources,
} from '@digest/runtime';
import { startWorkers } from './workers.ts';

const resources = openResources(configFromEnvironment(), 'worker');
await connectOrExit(resources);
const { METRICS_PORT } = resources.config;
const metrics = METRICS_PORT === undefined ? undefined : createMetricsServer({ registry: createRegistry() });
if (metrics && METRICS_PORT) await listenOrExit(metrics, METRICS_PORT, 'METRICS_PORT');
const running = await startWorkers(resources);
closeOnSignals(resources.logger, [
  ['workers', () => running.close()],
  ['metrics server', () => metrics && new Promise((resolve) => metrics.close(resolve))],
  ['resources', () => resources.close()],
]);
