import { domainToASCII } from 'node:url';
import { timeZoneSchema } from '@digest/core';
import { MAX_PAPERS_PER_EMAIL } from '@digest/db';
import { z } from 'zod';

/**
 * A local part as `<input type="email">` takes it (RFC 5322's dot-atom: no quoted forms), at most
 * 64 characters, no dot first, last or twice.
 */
const LOCAL_PART = /^(?!\.)(?!.*\.\.)[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$(?<!\.)/;
/** An internet host name in ASCII: labels of up to 63 characters, a top-level name of letters (or punycode). */
const HOST_NAME =
  /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/i;

/** The address with an internationalised domain in punycode (bücher.example → xn--bcher-kva.example). */
function asciiDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = address.slice(at + 1);
  return /[^\p{ASCII}]/u.test(domain) ? `${address.slice(0, at + 1)}${domainToASCII(domain)}` : address;
}

function isDeliverable(address: string): boolean {
  const at = address.lastIndexOf('@');
  return at > 0 && LOCAL_PART.test(address.slice(0, at)) && HOST_NAME.test(address.slice(at + 1));
}

/** An address we are willing to send to: one line, no display name, sane length. */
export const emailSchema = z
  .string({ error: 'email is required' })
  // Before trimming: a line break anywhere, even at the end, is a header-injection attempt.
  .refine((value) => !/[\r\n\0]/.test(value), 'email must be a single line')
  .trim()
  .transform(asciiDomain)
  .pipe(
    z.string().max(254, 'email is too long').refine(isDeliverable, { error: 'email is not a valid address' }),
  );

export const cadenceSchema = z.enum(['daily', 'weekly'], { error: 'cadence must be "daily" or "weekly"' });

/** Keywords as a list or one comma-separated string (what a form field sends). */
export const keywordsSchema = z
  .union([z.array(z.string()), z.string()], { error: 'keywords must be a list of words' })
  .transform((value) => (typeof value === 'string' ? value.split(',') : value))
  .transform((list) => [
    ...new Set(list.map((keyword) => keyword.replace(/\s+/g, ' ').trim().toLowerCase()).filter(Boolean)),
  ])
  .pipe(
    z
      .array(
        z
          .string()
          .max(40, 'each keyword must be at most 40 characters')
          .regex(/^[^\p{Cc}<>]+$/u, 'keywords may not contain markup'),
      )
      .max(20, 'at most 20 keywords'),
  );

/** A JSON number, or a form field's decimal digits: never `true`, `[5]`, `"0x10"` or `"1e1"`. */
export const sizeSchema = z
  .union(
    [
      z.number(),
      z
        .string()
        .trim()
        .regex(/^\d{1,4}$/)
        .transform(Number),
    ],
    {
      error: 'size must be a whole number',
    },
  )
  .pipe(
    z
      .number()
      .int('size must be a whole number')
      .min(1, `size must be between 1 and ${MAX_PAPERS_PER_EMAIL}`)
      .max(MAX_PAPERS_PER_EMAIL, `size must be between 1 and ${MAX_PAPERS_PER_EMAIL}`),
  );

export const signupSchema = z.object({
  email: emailSchema,
  cadence: cadenceSchema.default('daily'),
  keywords: keywordsSchema.default([]),
  size: sizeSchema.optional(),
  timezone: timeZoneSchema.optional(),
});

export type SignupInput = z.input<typeof signupSchema>;
export type Signup = z.output<typeof signupSchema>;

/** A form checkbox ("on" or absent) or a JSON boolean. */
const checkbox = z
  .union([z.boolean(), z.enum(['on', 'true', 'false', ''])])
  .optional()
  .transform((value) => value === true || value === 'on' || value === 'true');

export const preferencesSchema = z.object({
  cadence: cadenceSchema,
  keywords: keywordsSchema.default([]),
  size: z.union([z.literal('').transform(() => undefined), sizeSchema]).optional(),
  /** Empty clears the zone (deliveries then follow DIGEST_TZ). */
  timezone: z.preprocess((value) => (value === '' ? undefined : value), timeZoneSchema.optional()),
  paused: checkbox,
  /** With keywords, on a day when none matches: the top papers instead of no email. */
  topWhenNoMatch: checkbox,
});

export type Preferences = z.output<typeof preferencesSchema>;
