import type { Server } from 'node:http';

/**
 * Listens on `port`, or ends the process with one line naming the variable to change: a port in
 * use would otherwise surface as an "Unhandled 'error' event" stack trace.
 */
export function listenOrExit(server: Server, port: number, variable: string): Promise<void> {
  return new Promise((resolve) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be listened on (${error.message})`;
      console.error(`error: port ${port} ${reason}; choose another with ${variable}`);
      process.exit(1);
    });
    server.listen(port, () => resolve());
  });
}
