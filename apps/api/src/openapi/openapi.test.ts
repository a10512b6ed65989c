import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, openHarness } from '../../../../test/support/harness.ts';
import { createApp } from '../app.ts';

let harness: Harness;
let app: ReturnType<typeof createApp>;

beforeAll(async () => {
  harness = await openHarness();
  app = createApp(harness.resources);
});
afterAll(() => harness.close());

/** `/api/admin/digests/:date` as OpenAPI writes it: `/api/admin/digests/{date}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

describe('OpenAPI document', () => {
  it('is served at /openapi.json and valid OpenAPI 3.1', async () => {
    const response = await app.request('/openapi.json');
    expect(response.status).toBe(200);
    const document = await response.json();
    expect(document.openapi).toBe('3.1.0');
    // The validator dereferences in place: give it a copy.
    await expect(SwaggerParser.validate(structuredClone(document))).resolves.toBeDefined();
  });

  it('describes every JSON route the app registers, with the bearer scheme on admin routes', async () => {
    const document = (await (await app.request('/openapi.json')).json()) as {
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>;
    };
    const jsonRoutes = app.routes
      .filter(
        (route) =>
          route.method !== 'ALL' &&
          (route.path.startsWith('/api/') || /^\/(healthz|readyz)$/.test(route.path)),
      )
      .map((route) => `${route.method.toLowerCase()} ${openApiPath(route.path)}`);
    expect(jsonRoutes.length).toBeGreaterThan(6);
    for (const route of new Set(jsonRoutes)) {
      const [method, path] = route.split(' ') as [string, string];
      const operation = document.paths[path]?.[method];
      expect(operation, route).toBeDefined();
      if (path.startsWith('/api/admin/')) {
        expect(operation?.security, route).toEqual([{ adminToken: [] }]);
        expect(operation?.responses, route).toHaveProperty('401');
      }
    }
    // And nothing that is not there.
    const documented = Object.entries(document.paths).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method} ${path}`),
    );
    for (const route of documented) expect(jsonRoutes, route).toContain(route);
  });

  it('takes its request bodies from the zod schemas the routes validate with', async () => {
    const document = await (await app.request('/openapi.json')).json();
    const signup = document.paths['/api/subscribe'].post.requestBody.content['application/json'].schema;
    expect(signup.required).toEqual(['email']);
    expect(Object.keys(signup.properties)).toEqual(
      expect.arrayContaining(['email', 'cadence', 'keywords', 'size', 'timezone']),
    );
    const resend =
      document.paths['/api/admin/digests/{date}/resend'].post.requestBody.content['application/json'].schema;
    expect(resend.properties.emails.maxItems).toBe(10_000);
  });

  it('serves interactive docs at /docs', async () => {
    const response = await app.request('/docs');
    expect(response.status).toBe(200);
    expect(await response.text()).toContain('/openapi.json');
  });
});
