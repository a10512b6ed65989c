import type { TokenSigner } from './tokens.ts';

/** How long a confirmation link works. Unsubscribe and preference links never expire. */
export const CONFIRM_TTL_SECONDS = 48 * 3600;

export interface SubscriberLinks {
  unsubscribeUrl: string;
  preferencesUrl: string;
}

export function confirmUrl(baseUrl: string, tokens: TokenSigner, subscriberId: number): string {
  return `${baseUrl}/confirm/${tokens.sign('confirm', subscriberId, CONFIRM_TTL_SECONDS)}`;
}

/** The per-recipient links every mail carries; two HMACs, microseconds. */
export function subscriberLinks(baseUrl: string, tokens: TokenSigner, subscriberId: number): SubscriberLinks {
  return {
    unsubscribeUrl: `${baseUrl}/unsubscribe/${tokens.sign('unsubscribe', subscriberId)}`,
    preferencesUrl: `${baseUrl}/preferences/${tokens.sign('preferences', subscriberId)}`,
  };
}
