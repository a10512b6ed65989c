import type { Resources } from '@digest/runtime';
import {
  controlDigest,
  digestStatus,
  parseDigestControlArgs,
  parseDigestPreviewArgs,
  parseDigestResendArgs,
  parseDigestSendArgs,
  parseDigestStatusArgs,
  previewDigest,
  resendDigest,
  sendDigest,
} from './digest.ts';
import type { Io } from './io.ts';
import { migrate, parseMigrateArgs } from './migrate.ts';
import { importPapersFile, parsePapersImportArgs } from './papers.ts';
import {
  eraseSubscriberByEmail,
  listSubscribersPage,
  parseSubscribersEraseArgs,
  parseSubscribersListArgs,
} from './subscriber-admin.ts';
import {
  exportSubscribers,
  importSubscribersFile,
  parseSubscribersExportArgs,
  parseSubscribersImportArgs,
} from './subscribers.ts';

export type Run = (resources: Resources, io: Io) => Promise<unknown>;

export interface Command {
  usage: string;
  summary: string;
  /** False when the command's output is a document of its own (HTML, CSV) rather than a result. */
  json?: false;
  /** Checks the arguments, before any connection is opened, and returns the work to do. */
  prepare(args: string[]): Run;
}

/** Every command, by its name (the words before the arguments). */
export const COMMANDS: Record<string, Command> = {
  migrate: {
    usage: 'migrate',
    summary: 'apply the database migrations',
    prepare: (args) => {
      parseMigrateArgs(args);
      return (resources, io) => migrate(resources, io);
    },
  },
  'papers import': {
    usage: 'papers import <file.json>',
    summary: 'store a JSON array of papers (Hugging Face daily_papers items or flat objects)',
    prepare: (args) => {
      const options = parsePapersImportArgs(args);
      return (resources, io) => importPapersFile(resources, options, io);
    },
  },
  'digest send': {
    usage: 'digest send [--date YYYY-MM-DD] [--cadence daily|weekly] [--no-wait]',
    summary: 'build and send an issue (default: today in DIGEST_TZ) and follow its sending',
    prepare: (args) => {
      const options = parseDigestSendArgs(args);
      return (resources, io) => sendDigest(resources, options, io);
    },
  },
  'digest resend': {
    usage: 'digest resend --date YYYY-MM-DD [--cadence C] (--email E ... | --failed | --missing | --all)',
    summary: 'send an issue again: to the given addresses, the failed, those who lack it, or everyone',
    prepare: (args) => {
      const options = parseDigestResendArgs(args);
      return (resources, io) => resendDigest(resources, options, io);
    },
  },
  ...Object.fromEntries(
    (
      [
        ['pause', 'stop sending an issue for now (what is in flight finishes)'],
        ['resume', 'go on sending a paused issue'],
        ['cancel', 'stop sending an issue for good: deliveries still waiting are skipped'],
      ] as const
    ).map(([action, summary]) => [
      `digest ${action}`,
      {
        usage: `digest ${action} --date YYYY-MM-DD [--cadence C]`,
        summary,
        prepare: (args: string[]) => {
          const options = parseDigestControlArgs(action, args);
          return (resources: Resources, io: Io) => controlDigest(resources, options, io);
        },
      },
    ]),
  ),
  'digest status': {
    usage: 'digest status --date YYYY-MM-DD [--cadence C]',
    summary: "an issue's papers and its deliveries by status",
    prepare: (args) => {
      const options = parseDigestStatusArgs(args);
      return (resources, io) => digestStatus(resources, options, io);
    },
  },
  'digest preview': {
    usage: 'digest preview --date YYYY-MM-DD [--cadence C] [--out file.html]',
    json: false,
    summary: "an issue's HTML (as sent, or as it would be built now)",
    prepare: (args) => {
      const options = parseDigestPreviewArgs(args);
      return (resources, io) => previewDigest(resources, options, io);
    },
  },
  'subscribers import': {
    usage: 'subscribers import <file.csv> [--dry-run]',
    summary:
      'add subscribers from a CSV (this export, listmonk or Mailchimp); bad rows are reported by line and fail the command',
    prepare: (args) => {
      const options = parseSubscribersImportArgs(args);
      return (resources, io) => importSubscribersFile(resources, options, io);
    },
  },
  'subscribers list': {
    usage: 'subscribers list [--status S] [--limit N] [--offset N]',
    summary: 'one page of subscribers (address, status, cadence), oldest first',
    prepare: (args) => {
      const options = parseSubscribersListArgs(args);
      return (resources, io) => listSubscribersPage(resources, options, io);
    },
  },
  'subscribers erase': {
    usage: 'subscribers erase <email>',
    summary: 'erase a subscriber and their delivery history',
    prepare: (args) => {
      const options = parseSubscribersEraseArgs(args);
      return (resources, io) => eraseSubscriberByEmail(resources, options, io);
    },
  },
  'subscribers export': {
    usage: 'subscribers export [file.csv]',
    json: false,
    summary: 'write every subscriber as CSV to the file or standard output',
    prepare: (args) => {
      const options = parseSubscribersExportArgs(args);
      return (resources, io) => exportSubscribers(resources, options, io);
    },
  },
};

const FOOTER = [
  'Every command takes --help; those that print a result take --json (the result as one JSON line).',
  'Exit codes: 0 done, 1 failed (or some records were rejected), 2 bad arguments.',
  'Settings and connections come from the environment (DATABASE_URL, REDIS_URL, DIGEST_TZ, ...).',
];

export function usage(): string {
  return [
    'Usage: pnpm cli <command> [options]',
    '',
    'Commands:',
    ...Object.values(COMMANDS).flatMap((command) => [`  ${command.usage}`, `      ${command.summary}`]),
    '',
    ...FOOTER,
  ].join('\n');
}

export function commandUsage(command: Command): string {
  const json = command.json === false ? '' : ' [--json]';
  return [`Usage: pnpm cli ${command.usage}${json}`, '', command.summary, '', ...FOOTER].join('\n');
}

/** Finds the command named by the first one or two words; the rest are its arguments. */
export function findCommand(argv: string[]): { name: string; command: Command; args: string[] } | undefined {
  for (const words of [2, 1]) {
    const name = argv.slice(0, words).join(' ');
    const command = COMMANDS[name];
    if (command && argv.length >= words) return { name, command, args: argv.slice(words) };
  }
  return undefined;
}
