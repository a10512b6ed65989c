import type { Server } from 'node:http';
import {
  closeOnSignals,
  configFromEnvironment,
  connectOrExit,
  listenOrExit,
  openResources,
} from '@digest/runtime';
import { createAdaptorServer } from '@hono/node-server';
import { createApp } from './app.ts';

const resources = openResources(configFromEnvironment(), 'api', { serving: true });
await connectOrExit(resources);
const server = createAdaptorServer({ fetch: createApp(resources).fetch }) as Server;
await listenOrExit(server, resources.config.PORT, 'PORT');
resources.logger.info(
  { port: resources.config.PORT, url: resources.config.PUBLIC_BASE_URL },
  'api listening',
);
closeOnSignals(resources.logger, [
  [
    'http server',
    () =>
      new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve()))),
  ],
  ['resources', () => resources.close()],
]);
