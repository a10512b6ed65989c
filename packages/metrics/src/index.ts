export { metricsAuthorized } from './auth.ts';
export { createRegistry } from './registry.ts';
export { createMetricsServer, type MetricsServerOptions } from './server.ts';
