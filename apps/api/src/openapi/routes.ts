import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import { openApiDocument } from './document.ts';

/** `/openapi.json`, and interactive docs of it at `/docs`. */
export function openApiRoutes(publicBaseUrl: string) {
  const document = openApiDocument(publicBaseUrl);
  return new Hono()
    .get('/openapi.json', (c) => c.json(document))
    .get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Daily Papers digest API' }));
}
