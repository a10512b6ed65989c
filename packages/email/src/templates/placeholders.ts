import { randomBytes } from 'node:crypto';

/** The per-recipient values a rendered mail has slots for. */
export type SlotName = 'unsubscribeUrl' | 'preferencesUrl';
export type SlotMarkers = Readonly<Record<SlotName, string>>;

const SLOT_KEYS: Record<SlotName, string> = {
  unsubscribeUrl: 'unsubscribe_url',
  preferencesUrl: 'preferences_url',
};

/**
 * A fresh secret for one render. Paper data exists before it does and never sees it, so no title,
 * summary or link can spell a marker: only the renderer's own links are filled per recipient.
 */
export function newSlotNonce(): string {
  return randomBytes(16).toString('hex');
}

/**
 * The literal markers of one render (`{{unsubscribe_url:<nonce>}}`…); the sender replaces them per
 * recipient by plain string substitution, so the issue is rendered once for the whole list.
 */
export function slotMarkers(nonce: string): SlotMarkers {
  if (!/^[0-9a-f]{32}$/.test(nonce)) throw new Error('a slot nonce is 32 hex digits');
  return {
    unsubscribeUrl: `{{${SLOT_KEYS.unsubscribeUrl}:${nonce}}}`,
    preferencesUrl: `{{${SLOT_KEYS.preferencesUrl}:${nonce}}}`,
  };
}
