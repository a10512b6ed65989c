import type { Logger } from '@digest/core';

export type ShutdownStep = [name: string, close: () => Promise<unknown> | unknown];

/**
 * On SIGTERM or SIGINT, runs the steps once, in order (HTTP server, workers, queues, Redis,
 * database), then exits. A step that hangs past the deadline is abandoned and the exit code says so.
 */
export function closeOnSignals(logger: Logger, steps: ShutdownStep[], deadlineMs = 25_000): void {
  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs }, 'shutdown deadline passed; exiting');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    let code = 0;
    for (const [name, close] of steps) {
      try {
        await close();
      } catch (error) {
        code = 1;
        logger.error({ err: error, step: name }, 'shutdown step failed');
      }
    }
    logger.info('shut down');
    process.exit(code);
  };
  // `on`, not `once`: a second signal while draining must not fall back to Node's default (exit
  // at once, abandoning the batch in flight); the deadline bounds the wait instead.
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
