import type mjml2html from 'mjml';

interface MjmlError {
  line?: number;
  message?: string;
  formattedMessage?: string;
}

function describe(errors: readonly MjmlError[]): string {
  return errors.map((error) => error.formattedMessage ?? `line ${error.line}: ${error.message}`).join('; ');
}

/**
 * Renders an MJML document to HTML with strict validation, no comments and no web fonts.
 * Throws an Error listing every MJML error, if there is any.
 */
export async function renderMjml(mjml: string): Promise<string> {
  // Loaded on first use: MJML and its CSS and HTML tooling weigh about 100 MB of memory, which
  // the API and an idle worker should not carry.
  const { default: render } = await import('mjml');
  let result: Awaited<ReturnType<typeof mjml2html>>;
  try {
    result = await render(mjml, { validationLevel: 'strict', keepComments: false, fonts: {} });
  } catch (error) {
    // Strict validation throws a ValidationError carrying the list of errors.
    const errors = (error as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      throw new Error(`Invalid MJML: ${describe(errors as MjmlError[])}`, { cause: error });
    }
    throw error;
  }
  if (result.errors.length > 0) throw new Error(`Invalid MJML: ${describe(result.errors)}`);
  return result.html;
}
