import type { AppError } from '@digest/core';

/** A refused form, told the way a person reads it: one sentence per field, and a summary. */
export interface FormProblems {
  summary: string;
  /** Field name → what to fix there. */
  fields: Record<string, string>;
}

const FIELD_HINTS: Record<string, string> = {
  email: 'Enter an email address such as name@example.org.',
};

/** Validator messages ("email is not a valid address") as sentences under their fields. */
export function formProblems(error: AppError): FormProblems {
  const fields: Record<string, string> = {};
  for (const issue of error.issues ?? []) {
    const field = issue.path.split('.')[0] || 'form';
    if (fields[field]) continue;
    const sentence = issue.message.charAt(0).toUpperCase() + issue.message.slice(1).replace(/\.?$/, '.');
    fields[field] = FIELD_HINTS[field] ? `${sentence} ${FIELD_HINTS[field]}` : sentence;
  }
  const count = Object.keys(fields).length;
  return {
    summary:
      count > 1 ? `Please check the ${count} fields marked below.` : 'Please check the field marked below.',
    fields,
  };
}
