import { timeZoneSchema } from '@digest/core';
import type { ConsentSource, NewSubscriber, Subscriber, SubscriberStatus } from '@digest/db';
import { cadenceSchema, emailSchema, keywordsSchema, sizeSchema } from '@digest/subscribers';
import { quoted } from './io.ts';

/** Every field of a subscriber an export carries, so that importing it back loses nothing. */
export const EXPORT_COLUMNS = [
  'email',
  'status',
  'cadence',
  'keywords',
  'size',
  'timezone',
  'paused_at',
  'consent_source',
  'consent_at',
  'consent_ip',
  'consent_user_agent',
  'confirmed_at',
  'unsubscribed_at',
] as const;
type Column = (typeof EXPORT_COLUMNS)[number];

/**
 * Header names of other tools' exports, normalised (lower case, spaces for `_`): listmonk's
 * (`email`, `name`, `status`) and Mailchimp's (`Email Address`, `OPTIN_TIME`, …).
 */
const ALIASES: Record<string, Column> = {
  'email address': 'email',
  'papers per email': 'size',
  'optin time': 'consent_at',
  'optin ip': 'consent_ip',
  'confirm time': 'confirmed_at',
  'unsub time': 'unsubscribed_at',
};

/** Other tools' status words, by what they mean here. Suppressed ones are never sent to. */
const STATUS_WORDS: Record<string, SubscriberStatus> = {
  active: 'active',
  pending: 'pending',
  unsubscribed: 'unsubscribed',
  bounced: 'bounced',
  complained: 'complained',
  // listmonk
  enabled: 'active',
  disabled: 'unsubscribed',
  blocklisted: 'unsubscribed',
  // Mailchimp
  subscribed: 'active',
  cleaned: 'bounced',
};
export const SUPPRESSED: readonly SubscriberStatus[] = ['unsubscribed', 'bounced', 'complained'];
const CONSENT_SOURCES: readonly ConsentSource[] = ['form', 'api', 'import'];

export interface CsvHeader {
  /** The column each field position feeds, or undefined for a column this import ignores. */
  columns: (Column | undefined)[];
  ignored: string[];
}

/** Maps a header row to columns; a problem when there is no email column or one repeats. */
export function readHeader(names: string[]): CsvHeader | { problem: string } {
  const columns = names.map((name) => {
    const normal = name
      .trim()
      .toLowerCase()
      .replace(/[_\s]+/g, ' ');
    const column = ALIASES[normal] ?? normal.replace(/ /g, '_');
    return (EXPORT_COLUMNS as readonly string[]).includes(column) ? (column as Column) : undefined;
  });
  if (!columns.includes('email')) {
    return {
      problem: `the header row must name an email column (found ${names.map((name) => quoted(name)).join(', ')})`,
    };
  }
  const repeated = columns.find((column, index) => column && columns.indexOf(column) !== index);
  if (repeated) return { problem: `column ${quoted(repeated)} appears more than once` };
  return { columns, ignored: names.filter((_, index) => columns[index] === undefined) };
}

/** One record's subscriber, or why it cannot be imported. */
export function readRecord(
  header: CsvHeader,
  record: string[],
  now: Date,
): { subscriber: NewSubscriber } | { problems: string[] } {
  // Fewer fields is fine (spreadsheets drop trailing empty ones); more is a misplaced comma.
  if (record.length > header.columns.length) {
    return { problems: [`expected at most ${header.columns.length} fields, found ${record.length}`] };
  }
  const fields: Partial<Record<Column, string>> = {};
  header.columns.forEach((column, index) => {
    const value = unescapeFormula(record[index] ?? '').trim();
    if (column && value) fields[column] = value;
  });

  const problems: string[] = [];
  const check = <T>(
    result: { success: true; data: T } | { success: false; error: { issues: { message: string }[] } },
    raw?: string,
  ) => {
    if (result.success) return result.data;
    problems.push(`${result.error.issues[0]?.message ?? 'invalid'}${raw ? ` (${quoted(raw, 60)})` : ''}`);
    return undefined;
  };
  const email = fields.email ? check(emailSchema.safeParse(fields.email), fields.email) : undefined;
  if (!fields.email) problems.push('email is missing');
  const cadence = check(cadenceSchema.safeParse(fields.cadence?.toLowerCase() ?? 'daily'), fields.cadence);
  const keywords = check(keywordsSchema.safeParse(splitKeywords(fields.keywords ?? '')));
  const size = fields.size ? check(sizeSchema.safeParse(fields.size), fields.size) : undefined;
  const timezone = fields.timezone
    ? check(timeZoneSchema.safeParse(fields.timezone), fields.timezone)
    : undefined;
  const status = STATUS_WORDS[fields.status?.toLowerCase() ?? 'active'];
  if (!status)
    problems.push(
      `status ${quoted(fields.status ?? '', 30)} is not one of ${Object.keys(STATUS_WORDS).join(', ')}`,
    );
  const source = (fields.consent_source?.toLowerCase() ?? 'import') as ConsentSource;
  if (!CONSENT_SOURCES.includes(source))
    problems.push(`consent_source must be one of ${CONSENT_SOURCES.join(', ')}`);
  const times = Object.fromEntries(
    (['paused_at', 'consent_at', 'confirmed_at', 'unsubscribed_at'] as const).map((column) => {
      const value = fields[column];
      const time = value === undefined ? undefined : parseTime(value);
      if (time === null) problems.push(`${column} ${quoted(value ?? '', 40)} is not a date and time`);
      return [column, time ?? undefined];
    }),
  ) as Record<'paused_at' | 'consent_at' | 'confirmed_at' | 'unsubscribed_at', Date | undefined>;

  if (problems.length > 0 || !email || !cadence || !keywords || !status) return { problems };
  const has = (column: Column) => header.columns.includes(column);
  return {
    subscriber: {
      email,
      status,
      cadence,
      keywords,
      papers_per_email: size ?? null,
      timezone: timezone ?? null,
      paused_at: times.paused_at ?? null,
      consent_source: source,
      consent_at: times.consent_at ?? now,
      consent_ip: fields.consent_ip ?? null,
      consent_user_agent: fields.consent_user_agent ?? null,
      // Without the column (another tool's list), an active row was confirmed there and a
      // suppressed one stopped; with it (an export), an empty field stays empty.
      confirmed_at: times.confirmed_at ?? (!has('confirmed_at') && status === 'active' ? now : null),
      unsubscribed_at:
        times.unsubscribed_at ?? (!has('unsubscribed_at') && SUPPRESSED.includes(status) ? now : null),
    },
  };
}

/**
 * ISO 8601, or `YYYY-MM-DD HH:MM:SS` as Mailchimp writes it, in UTC when no zone is given.
 * Null when it is neither.
 */
function parseTime(value: string): Date | null {
  const iso = value.replace(' ', 'T');
  const zoned = /(Z|[+-]\d\d(:?\d\d)?)$/i.test(iso) || !iso.includes('T') ? iso : `${iso}Z`;
  const time = new Date(zoned);
  return Number.isNaN(time.getTime()) ? null : time;
}

/**
 * Cells a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or CR, after
 * any quotes) get one more `'` in front on export (OWASP "CSV injection"); import takes it off,
 * so a value that really starts with `'=` comes back as it was.
 */
const FORMULA_LIKE = /^'*[=+\-@\t\r]/;

export function escapeFormula(value: string): string {
  return FORMULA_LIKE.test(value) ? `'${value}` : value;
}

function unescapeFormula(value: string): string {
  return value.startsWith("'") && FORMULA_LIKE.test(value) ? value.slice(1) : value;
}

/**
 * Keywords inside the field are separated by `;` or `,` (as in the signup form), or by spaces when
 * there is neither (so `"llm agents"` is two keywords and `"large language models;"` is one).
 */
export function splitKeywords(field: string): string[] {
  const keywords = /[;,]/.test(field) ? field.split(/[;,]/) : field.split(/\s+/);
  return keywords.map((keyword) => keyword.trim()).filter(Boolean);
}

/** The inverse of splitKeywords: one multi-word keyword alone gets a trailing `;` to stay whole. */
export function joinKeywords(keywords: string[]): string {
  const joined = keywords.join(';');
  return keywords.length === 1 && /\s/.test(joined) ? `${joined};` : joined;
}

export function exportRow(subscriber: Subscriber): string[] {
  const time = (value: Date | null) => value?.toISOString() ?? '';
  const cells = [
    subscriber.email,
    subscriber.status,
    subscriber.cadence,
    joinKeywords(subscriber.keywords),
    subscriber.papers_per_email?.toString() ?? '',
    subscriber.timezone ?? '',
    time(subscriber.paused_at),
    subscriber.consent_source,
    time(subscriber.consent_at),
    subscriber.consent_ip ?? '',
    subscriber.consent_user_agent ?? '',
    time(subscriber.confirmed_at),
    time(subscriber.unsubscribed_at),
  ];
  return cells.map(escapeFormula);
}
