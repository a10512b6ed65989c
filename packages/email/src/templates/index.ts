export {
  CONFIRMATION_SUBJECT,
  type ConfirmationProps,
  confirmationPropsSchema,
  renderConfirmationEmail,
} from './confirmation.ts';
export {
  DATA_EXPORT_SUBJECT,
  type DataExportProps,
  dataExportPropsSchema,
  renderDataExportEmail,
} from './data-export.ts';
export {
  type DigestEdition,
  type DigestProps,
  type DigestShell,
  digestEdition,
  digestPropsSchema,
  renderDigestEmail,
  renderDigestShell,
} from './digest.ts';
export { formatDate, leadSentences, safeHttpUrl } from './format.ts';
export type { RenderedEmail } from './layout.ts';
export { type PaperView, paperStats, viewPaper } from './paper.ts';
export { newSlotNonce, type SlotMarkers, type SlotName, slotMarkers } from './placeholders.ts';
export { issuePaperSchema } from './schemas.ts';
export { renderWelcomeEmail, WELCOME_SUBJECT, type WelcomeProps, welcomePropsSchema } from './welcome.ts';
