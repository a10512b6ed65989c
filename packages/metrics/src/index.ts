export { metricsAuthorized } from './auth.ts';
export {
  type DeliveryObserver,
  type DeliveryOutcome,
  deliveryMetrics,
  observedTransport,
  replyClass,
  type SmtpReplyClass,
} from './delivery.ts';
export { type HttpMetrics, httpMetrics } from './http.ts';
export { type JobEvents, jobMetrics } from './jobs.ts';
export { createRegistry } from './registry.ts';
export { createMetricsServer, type MetricsServerOptions } from './server.ts';
export { type JobCounter, type OpenIssueDeliveries, sharedStateMetrics } from './state.ts';
