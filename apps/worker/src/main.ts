import { closeOnSignals, configFromEnvironment, openResources } from '@digest/runtime';
import { startWorkers } from './workers.ts';

const resources = openResources(configFromEnvironment(), 'worker');
const running = await startWorkers(resources);
closeOnSignals(resources.logger, [
  ['workers', () => running.close()],
  ['resources', () => resources.close()],
]);
