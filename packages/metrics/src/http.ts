import { Counter, Histogram, type Registry } from 'prom-client';

export interface HttpMetrics {
  /** `route` is the route pattern (`/confirm/:token`), never the path: paths carry tokens. */
  observe(labels: { method: string; route: string; status: number }, seconds: number): void;
}

export function httpMetrics(registry: Registry): HttpMetrics {
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration by method and route',
    labelNames: ['method', 'route'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    observe({ method, route, status }, seconds) {
      duration.observe({ method, route }, seconds);
      requests.inc({ method, route, status: String(status) });
    },
  };
}
