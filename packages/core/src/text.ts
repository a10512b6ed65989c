const RUNS_OF_SPACE_OR_CONTROL = /[\s\p{Cc}\p{Zl}\p{Zp}]+/gu;

/**
 * Untrusted text as one tidy line: whitespace, control characters and line/paragraph separators
 * collapsed to single spaces, ends trimmed. What papers may carry into headers and markup.
 */
export function oneLine(text: string | null | undefined): string {
  return (text ?? '').replace(RUNS_OF_SPACE_OR_CONTROL, ' ').trim();
}
