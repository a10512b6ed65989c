import type { Logger } from '@digest/core';
import type { Cadence, Db, Issue } from '@digest/db';
import type { CompiledMessage, DigestShell, MailTransport, PartEncodings, RelayGate } from '@digest/email';
import type { Queues, SendThrottle } from '@digest/queue';
import type { TokenSigner } from '@digest/subscribers';

export interface DigestSettings {
  timeZone: string;
  /** Papers per issue. */
  size: number;
  /** Weekday (lower-case English) on which the weekly issue is built. */
  weekday: string;
  publicBaseUrl: string;
  mailFrom: string;
  unsubscribeMailto?: string;
  /** MAIL_POSTAL_ADDRESS, for the footer. */
  postalAddress?: string;
  /** DIGEST_THUMBNAILS, the image URL template. */
  thumbnails?: string;
  /** How long a temporarily refused message is retried (SEND_RETRY_HOURS). */
  retryHours: number;
  /** The hour a reader with a time zone gets the daily issue there (DIGEST_LOCAL_HOUR). */
  localHour: number;
  /** How long a send run's lease on its deliveries lasts without renewal. */
  leaseMs: number;
  /** DELIVERY_RETENTION_MONTHS: ledger months kept before the current one; undefined keeps all. */
  retentionMonths?: number;
}

/** What the digest services need; built once per process by the app that runs them. */
export interface DigestContext {
  db: Db;
  queues: Queues;
  settings: DigestSettings;
  logger: Logger;
}

export interface SendContext extends DigestContext {
  /** Where delivery outcomes are written (recordDeliveryResults): the ledger's own connections. */
  ledgerDb: Db;
  transport: MailTransport;
  /** Whether the relay answers; closed, it pauses sending without using up attempts. */
  relay: RelayGate;
  throttle: SendThrottle;
  tokens: TokenSigner;
  /** Issue id → its messages, each compiled once; owned by the worker process. */
  compiledIssues: Map<number, IssueMessages>;
}

export interface IssueMessages {
  issue: Issue;
  /** The issue as published: what most subscribers get. */
  published: CompiledMessage;
  /** Edition key → the personal edition, least recently used first. */
  /** Undefined for a choice that matches nothing today and wants no email then. */
  editions: Map<string, Promise<CompiledMessage | undefined>>;
  /** The issue's mail as MJML rendered it, cut where editions differ: made for the first edition. */
  shell?: Promise<DigestShell>;
  /** The shell's pieces as encoded once for all editions. */
  encodings: PartEncodings;
}

/** An issue's rendered mail, with the nonce of its per-recipient markers. */
export interface IssueMail {
  subject: string;
  html: string;
  text: string;
  slotNonce: string | null;
}

export function issueMail(issue: Issue): IssueMail {
  return { subject: issue.subject, html: issue.html, text: issue.text, slotNonce: issue.slot_nonce };
}

export interface IssueKey {
  cadence: Cadence;
  date: string;
}

export function archiveUrl(baseUrl: string, key: IssueKey): string {
  return `${baseUrl}/archive/${key.date}${key.cadence === 'weekly' ? '?cadence=weekly' : ''}`;
}
