export { contrastRatio, FONT_STACK, PALETTE, type Palette, RADIUS } from './design.ts';
export { escapeHtml, stripLineBreaks } from './html.ts';
export {
  type BodyPart,
  type CompiledMessage,
  compileMessage,
  joinParts,
  type MessageSource,
  type PartEncodings,
  personalise,
  type Recipient,
} from './mime.ts';
export { RELAY_PROBE_MS, RelayGate, type RelayState } from './relay.ts';
export { RENDER_TIMEOUT_MS } from './render.ts';
export { retryTime, withinRetryBudget } from './retry.ts';
export * from './templates/index.ts';
export {
  classifySendError,
  createSmtpTransport,
  droppedBySender,
  type MailTransport,
  type OutgoingMessage,
  type SendFailure,
  type SendFailureKind,
  type SmtpOptions,
} from './transport.ts';
