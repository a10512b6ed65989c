import { closeOnSignals, configFromEnvironment, openResources } from '@digest/runtime';
import { serve } from '@hono/node-server';
import { createApp } from './app.ts';

const resources = openResources(configFromEnvironment(), 'api');
const server = serve({ fetch: createApp(resources).fetch, port: resources.config.PORT }, (info) =>
  resources.logger.info({ port: info.port, url: resources.config.PUBLIC_BASE_URL }, 'api listening'),
);
closeOnSignals(resources.logger, [
  [
    'http server',
    () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  ],
  ['resources', () => resources.close()],
]);
