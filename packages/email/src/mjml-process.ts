/**
 * The MJML renderer's own process (see render.ts): MJML and its CSS and HTML tooling weigh
 * about 100 MB of memory, which stays here instead of in the worker or the API, and is given
 * back to the system whole when this process exits. One request at a time over IPC.
 */
import { enablePrivateCompileCache } from './compile-cache.ts';

// Loading MJML is most of an issue's build (0.3-0.6 s, every time this process starts): with
// V8's code cache on disk, ~0.1 s less.
enablePrivateCompileCache();
// Requests that come while it loads wait for it: the listener is in place from the start.
const loaded = import('mjml').then((module) => module.default);
// A failed load is answered to each request (below), not left to crash this process unexplained.
loaded.catch(() => {});

export interface RenderRequest {
  id: number;
  mjml: string;
}

export interface MjmlError {
  line?: number;
  message?: string;
  formattedMessage?: string;
}

export type RenderReply =
  | { id: number; html: string; errors: MjmlError[] }
  | { id: number; failure: string; errors: MjmlError[] };

const send = (reply: RenderReply) => process.send?.(reply);

process.on('message', async ({ id, mjml }: RenderRequest) => {
  try {
    const mjml2html = await loaded;
    const result = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false, fonts: {} });
    send({ id, html: result.html, errors: errorsOf(result.errors) });
  } catch (error) {
    // Strict validation throws a ValidationError carrying the list of errors.
    send({
      id,
      failure: (error as Error).message ?? String(error),
      errors: errorsOf((error as { errors?: unknown }).errors),
    });
  }
});
// The parent closed the channel (idle, or it exited): nothing more will come.
process.on('disconnect', () => process.exit(0));

function errorsOf(errors: unknown): MjmlError[] {
  if (!Array.isArray(errors)) return [];
  return errors.map(({ line, message, formattedMessage }: MjmlError) => ({
    line,
    message,
    formattedMessage,
  }));
}
