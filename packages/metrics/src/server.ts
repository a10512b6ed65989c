import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';
import { metricsAuthorized } from './auth.ts';

export interface MetricsServerOptions {
  port: number;
  registry: Registry;
  /** When set, `/metrics` asks for `Authorization: Bearer <token>`; `/healthz` never does. */
  token?: string;
}

/**
 * The worker's own HTTP endpoint: `/healthz` for the orchestrator's health check and `/metrics`
 * for Prometheus. Listening errors (a port in use) reach the returned server's `error` event.
 */
export function createMetricsServer({ registry, token }: Omit<MetricsServerOptions, 'port'>): Server {
  return createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://worker').pathname;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD' }).end();
    } else if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (path !== '/metrics') {
      response.writeHead(404).end();
    } else if (!metricsAuthorized(request.headers.authorization, token)) {
      response.writeHead(401, { 'www-authenticate': 'Bearer' }).end();
    } else {
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    }
  });
}
