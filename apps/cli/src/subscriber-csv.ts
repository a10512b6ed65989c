import type { Cadence, Subscriber, SubscriberStatus } from '@digest/db';
import { cadenceSchema, emailSchema, keywordsSchema } from '@digest/subscribers';
import { CsvError, parse } from 'csv-parse/sync';
import { CliError } from './args.ts';
import { quoted } from './io.ts';

export const EXPORT_COLUMNS = [
  'email',
  'cadence',
  'keywords',
  'status',
  'confirmed_at',
  'unsubscribed_at',
] as const;

/** `email` is required; the export's own columns are accepted so an export can be imported again. */
const IMPORT_COLUMNS: readonly string[] = EXPORT_COLUMNS;

const STATUSES: readonly SubscriberStatus[] = ['pending', 'active', 'unsubscribed', 'bounced', 'complained'];

export interface SubscriberRow {
  line: number;
  email: string;
  cadence: Cadence;
  keywords: string[];
  /** From a `status` column (an export); only `active` rows are imported. */
  status: SubscriberStatus;
}

export interface ParsedSubscriberCsv {
  rows: SubscriberRow[];
  /** `line N: message`, in line order; when not empty, nothing may be imported. */
  problems: string[];
}

interface CsvRecord {
  record: string[];
  info: { lines: number };
}

/**
 * Reads a subscriber CSV: a header row naming `email` and optionally `cadence` and `keywords` (any
 * order, any case), then one row per address. Every row is checked, and every problem reported.
 */
export function parseSubscriberCsv(text: string, file: string): ParsedSubscriberCsv {
  let records: CsvRecord[];
  try {
    // With `info`, csv-parse returns `{ record, info }` objects rather than the arrays it is typed as.
    records = parse(text, {
      bom: true,
      info: true,
      trim: true,
      skip_empty_lines: true,
      skip_records_with_empty_values: true,
      relax_column_count: true,
    }) as unknown as CsvRecord[];
  } catch (error) {
    if (error instanceof CsvError) throw new CliError(`${file} is not valid CSV: ${error.message}`);
    throw error;
  }

  const [header, ...body] = records;
  if (!header) throw new CliError(`${file} is empty: expected a header row email[,cadence,keywords]`);
  const columns = header.record.map((name) => name.toLowerCase());
  const headerProblems = checkHeader(columns);
  if (headerProblems.length > 0) {
    return { rows: [], problems: headerProblems.map((problem) => `line ${header.info.lines}: ${problem}`) };
  }

  const rows: SubscriberRow[] = [];
  const problems: string[] = [];
  const firstLineOf = new Map<string, number>();
  for (const { record, info } of body) {
    const line = info.lines;
    // Fewer fields is fine (spreadsheets drop trailing empty ones); more is a misplaced comma.
    if (record.length > columns.length) {
      problems.push(`line ${line}: expected at most ${columns.length} fields, found ${record.length}`);
      continue;
    }
    const fields = Object.fromEntries(columns.map((column, index) => [column, record[index] ?? '']));
    const row = parseRow(fields);
    if ('problems' in row) {
      problems.push(...row.problems.map((problem) => `line ${line}: ${problem}`));
      continue;
    }
    const key = row.email.toLowerCase();
    const firstLine = firstLineOf.get(key);
    if (firstLine !== undefined) {
      problems.push(`line ${line}: ${row.email} is a duplicate of line ${firstLine}`);
      continue;
    }
    firstLineOf.set(key, line);
    rows.push({ line, ...row });
  }
  return { rows, problems };
}

function checkHeader(columns: string[]): string[] {
  const problems: string[] = [];
  if (!columns.includes('email')) {
    problems.push(
      `the header row must name an email column (found ${columns.map((name) => quoted(name)).join(', ')})`,
    );
  }
  const unknown = columns.filter((name) => !IMPORT_COLUMNS.includes(name));
  if (unknown.length > 0) {
    problems.push(
      `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((name) => quoted(name)).join(', ')} (expected email, cadence, keywords)`,
    );
  }
  const repeated = columns.filter((name, index) => columns.indexOf(name) !== index);
  if (repeated.length > 0) problems.push(`column ${quoted(repeated[0] as string)} appears more than once`);
  return problems;
}

function parseRow(fields: Record<string, string>): Omit<SubscriberRow, 'line'> | { problems: string[] } {
  const problems: string[] = [];
  const rawEmail = fields.email ?? '';
  const email = emailSchema.safeParse(rawEmail);
  if (!email.success) {
    problems.push(rawEmail ? `${firstMessage(email.error)} (${quoted(rawEmail, 60)})` : 'email is missing');
  }
  const cadence = cadenceSchema.safeParse(fields.cadence?.toLowerCase() || 'daily');
  if (!cadence.success) problems.push(`${firstMessage(cadence.error)} (${quoted(fields.cadence ?? '', 30)})`);
  const keywords = keywordsSchema.safeParse(splitKeywords(fields.keywords ?? ''));
  if (!keywords.success) problems.push(firstMessage(keywords.error));
  const status = (fields.status?.toLowerCase() || 'active') as SubscriberStatus;
  if (!STATUSES.includes(status)) {
    problems.push(`status must be one of ${STATUSES.join(', ')} (${quoted(fields.status ?? '', 30)})`);
  }

  if (!email.success || !cadence.success || !keywords.success || problems.length > 0) return { problems };
  return { email: email.data, cadence: cadence.data, keywords: keywords.data, status };
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
  return [
    subscriber.email,
    subscriber.cadence,
    joinKeywords(subscriber.keywords),
    subscriber.status,
    subscriber.confirmed_at?.toISOString() ?? '',
    subscriber.unsubscribed_at?.toISOString() ?? '',
  ];
}

function firstMessage(error: { issues: { message: string }[] }): string {
  return error.issues[0]?.message ?? 'invalid';
}
