import { collectDefaultMetrics, Registry } from 'prom-client';

/** One registry per process, with Node's own metrics (CPU, memory, event loop lag). */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return registry;
}
