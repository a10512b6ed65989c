import type { Cadence, IssuePaper } from '@digest/core';
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

export type { Cadence, IssuePaper };

/** A `date` column: read as YYYY-MM-DD (see the type parser in client.ts), written as the same. */
type DateColumn = string;
type Timestamp = ColumnType<Date, Date | string, Date | string>;
type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>;

export type SubscriberStatus = 'pending' | 'active' | 'unsubscribed' | 'bounced' | 'complained';
export type ConsentSource = 'form' | 'api' | 'import';
export type IssueStatus = 'sending' | 'paused' | 'cancelled' | 'sent' | 'skipped';
export type DeliveryStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'bounced' | 'skipped';

export interface PapersTable {
  id: Generated<number>;
  external_id: string;
  title: string;
  summary: Generated<string>;
  authors: Generated<string[]>;
  author_count: number | null;
  organization: string | null;
  published_on: DateColumn | null;
  featured_at: Timestamp;
  upvotes: Generated<number>;
  num_comments: Generated<number>;
  paper_url: string | null;
  code_url: string | null;
  ai_summary: string | null;
  ai_keywords: Generated<string[]>;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface SubscribersTable {
  id: Generated<number>;
  email: string;
  status: ColumnType<SubscriberStatus, SubscriberStatus | undefined, SubscriberStatus>;
  cadence: ColumnType<Cadence, Cadence | undefined, Cadence>;
  keywords: Generated<string[]>;
  papers_per_email: number | null;
  paused_at: Timestamp | null;
  /** IANA time zone name given by the reader; null means DIGEST_TZ. */
  timezone: string | null;
  consent_at: ColumnType<Date, Date | string | undefined, Date | string>;
  consent_ip: string | null;
  consent_user_agent: string | null;
  consent_source: ConsentSource;
  confirmed_at: Timestamp | null;
  unsubscribed_at: Timestamp | null;
  /** With keywords: on a day when none matches, the top papers (true) or no email (false). */
  top_when_no_match: Generated<boolean>;
  /** Soft bounces on consecutive issues; three make the subscriber bounced. */
  soft_bounces: Generated<number>;
  /** When and why the address was suppressed (bounce, complaint). */
  suppressed_at: Timestamp | null;
  suppression_reason: string | null;
  created_at: CreatedAt;
  updated_at: UpdatedAt;
}

export interface IssuesTable {
  id: Generated<number>;
  cadence: Cadence;
  issue_date: DateColumn;
  status: ColumnType<IssueStatus, IssueStatus, IssueStatus>;
  subject: string;
  /** The issue as published: what the archive shows and a subscriber without preferences gets. */
  papers: ColumnType<IssuePaper[], string, string>;
  /** The period's next papers in rank order (up to MAX_PAPERS_PER_EMAIL in all), for personal editions. */
  more_papers: ColumnType<IssuePaper[], string | undefined, string>;
  html: string;
  text: string;
  /** The nonce of the per-recipient markers in html and text; null: nothing to fill (skipped, or built before nonces). */
  slot_nonce: string | null;
  /** Which issue of its cadence it is, as built; null: skipped, or built before numbers were stored. */
  issue_number: number | null;
  /**
   * Of a sent issue: its deliveries by status as it was completed (the admin's issue list reads
   * them); null whenever it is not sent, and for one sent before counts were kept until the
   * reconciler counts it.
   */
  settled_counts: ColumnType<Partial<Record<DeliveryStatus, number>> | null, never, string | null>;
  created_at: CreatedAt;
  completed_at: Timestamp | null;
}

export interface DeliveriesTable {
  id: Generated<number>;
  issue_id: number;
  subscriber_id: number;
  /** The issue's date, copied from it: the ledger's partition key (one partition a month). */
  issue_date: DateColumn;
  status: ColumnType<DeliveryStatus, DeliveryStatus | undefined, DeliveryStatus>;
  attempts: Generated<number>;
  /** The send run holding the delivery while it is `sending`; its lease ends at `lease_expires_at`. */
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  /** When a queued delivery is due: at once, or after a retry's backoff. */
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** A resend beside the original delivery of (issue, subscriber). */
  resend: Generated<boolean>;
  last_error: string | null;
  smtp_message_id: string | null;
  queued_at: ColumnType<Date, Date | string | undefined, Date | string>;
  sent_at: Timestamp | null;
  updated_at: UpdatedAt;
}

export type OutboxKind = 'confirmation' | 'welcome' | 'data-export';
export type OutboxStatus = 'queued' | 'sending' | 'sent' | 'failed' | 'skipped';

/** Transactional mail that must go out, recorded before it is enqueued. */
export interface OutboxTable {
  id: Generated<number>;
  kind: OutboxKind;
  subscriber_id: number;
  status: ColumnType<OutboxStatus, OutboxStatus | undefined, OutboxStatus>;
  attempts: Generated<number>;
  next_attempt_at: ColumnType<Date, Date | string | undefined, Date | string>;
  lease_owner: string | null;
  lease_expires_at: Timestamp | null;
  last_error: string | null;
  created_at: CreatedAt;
  sent_at: Timestamp | null;
}

/** Admin sessions signed out before their expiry (see apps/api/src/admin/session.ts). */
export interface AdminSessionRevocationsTable {
  session_id: string;
  expires_at: ColumnType<Date, Date | string, Date | string>;
}

export interface Database {
  papers: PapersTable;
  subscribers: SubscribersTable;
  issues: IssuesTable;
  deliveries: DeliveriesTable;
  outbox: OutboxTable;
  admin_session_revocations: AdminSessionRevocationsTable;
}

export type Paper = Selectable<PapersTable>;
export type NewPaper = Insertable<PapersTable>;
export type Subscriber = Selectable<SubscribersTable>;
export type NewSubscriber = Insertable<SubscribersTable>;
export type SubscriberUpdate = Updateable<SubscribersTable>;
export type Issue = Selectable<IssuesTable>;
export type OutboxMail = Selectable<OutboxTable>;
