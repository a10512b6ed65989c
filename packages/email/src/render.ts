import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { MjmlError, RenderReply, RenderRequest } from './mjml-process.ts';

/** How long the renderer process outlives its last render: the renders of one issue reuse it. */
const RENDERER_IDLE_MS = 10_000;
/**
 * Longest a render may take (a few hundred milliseconds is usual): past it the renderer is
 * killed, so a stuck MJML never holds a build, and the transaction it waits in, for good.
 */
export const RENDER_TIMEOUT_MS = 60_000;

function describe(errors: readonly MjmlError[]): string {
  return errors.map((error) => error.formattedMessage ?? `line ${error.line}: ${error.message}`).join('; ');
}

/**
 * Renders an MJML document to HTML with strict validation, no comments and no web fonts.
 * Throws an Error listing every MJML error, if there is any.
 *
 * MJML runs in a child process started on first use and stopped once idle: its ~100 MB never
 * enter the worker's (or the API's) heap, and leave the machine when the renders are done.
 */
export async function renderMjml(
  mjml: string,
  { timeoutMs = RENDER_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<string> {
  const reply = await renderer().render(mjml, timeoutMs);
  if (reply.errors.length > 0) throw new Error(`Invalid MJML: ${describe(reply.errors)}`);
  if ('failure' in reply) throw new Error(reply.failure);
  return reply.html;
}

interface Renderer {
  render(mjml: string, timeoutMs: number): Promise<RenderReply>;
}

let current: Renderer | undefined;

function renderer(): Renderer {
  current ??= startRenderer(() => {
    current = undefined;
  });
  return current;
}

/** One renderer process; `gone` runs once it may no longer be used (exited or stopping). */
function startRenderer(gone: () => void): Renderer {
  const child: ChildProcess = fork(fileURLToPath(new URL('./mjml-process.ts', import.meta.url)), [], {
    // Not the parent's flags: the worker's small heap limits are not the renderer's.
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<
    number,
    { resolve: (reply: RenderReply) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }
  >();
  let nextId = 0;
  let idle: NodeJS.Timeout | undefined;
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    gone();
    if (child.connected) child.disconnect();
  };
  // Only a render in progress keeps the parent alive; an idle renderer never holds it open.
  const hold = (busy: boolean) => {
    if (busy) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  };
  child.on('message', (reply: RenderReply) => {
    const request = pending.get(reply.id);
    if (!request) return;
    pending.delete(reply.id);
    clearTimeout(request.timer);
    request.resolve(reply);
    if (pending.size === 0) {
      hold(false);
      idle = setTimeout(stop, RENDERER_IDLE_MS).unref();
    }
  });
  const failAll = (error: Error) => {
    stop();
    for (const request of pending.values()) {
      clearTimeout(request.timer);
      request.reject(error);
    }
    pending.clear();
  };
  child.on('exit', (code, signal) =>
    failAll(new Error(`the MJML renderer exited (${signal ?? `code ${code}`}) before it answered`)),
  );
  child.on('error', failAll);
  return {
    render(mjml, timeoutMs) {
      clearTimeout(idle);
      hold(true);
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          // Every render waiting on this process fails with it; the next render starts a new one.
          failAll(new Error(`the MJML renderer took longer than ${timeoutMs} ms: stopped`));
          child.kill('SIGKILL');
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send({ id, mjml } satisfies RenderRequest);
      });
    },
  };
}
