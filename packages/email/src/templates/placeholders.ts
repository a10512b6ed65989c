/**
 * Literal markers left in rendered mail; the sender replaces them per recipient by plain string
 * substitution, so the issue is rendered once for the whole list.
 */
export const PLACEHOLDERS = {
  unsubscribeUrl: '{{unsubscribe_url}}',
  preferencesUrl: '{{preferences_url}}',
} as const;

export type Placeholder = (typeof PLACEHOLDERS)[keyof typeof PLACEHOLDERS];
