export {
  applyBounceEvents,
  type BounceEvent,
  type BounceReport,
  bounceWebhookSchema,
  type ParsedWebhook,
  parseBounceWebhook,
} from './bounces.ts';
export { CONFIRM_TTL_SECONDS, confirmUrl, type SubscriberLinks, subscriberLinks } from './links.ts';
export {
  type MailSettings,
  sendOutboxMail,
  type TransactionalMailContext,
} from './mail.ts';
export { mailboxKey, mailboxOf } from './mailbox.ts';
export {
  cadenceSchema,
  emailSchema,
  keywordsSchema,
  type Preferences,
  preferencesSchema,
  type Signup,
  type SignupInput,
  signupSchema,
  sizeSchema,
} from './schemas.ts';
export {
  type Consent,
  confirm,
  endSubscription,
  eraseByPreferencesLink,
  eraseSubscriber,
  isExpiredConfirmation,
  parseSignup,
  renewConfirmation,
  requestDataExport,
  type SubscriptionContext,
  savePreferences,
  subscribe,
  subscriberForToken,
  unsubscribe,
  verifiedLink,
} from './service.ts';
export { type TokenClaims, type TokenPurpose, TokenSigner } from './tokens.ts';
