import type { AdminSession } from '../session.ts';
import { type Html, html } from './html.ts';
import { csrf, layout } from './layout.ts';

export interface Confirmation {
  title: string;
  /** What will happen, in a sentence. */
  question: string;
  /** Where the confirmed form posts. */
  action: string;
  fields: Record<string, string>;
  confirmLabel: string;
  cancelHref: string;
  danger?: boolean;
  /** Ask the admin to type this before the button does anything. */
  typed?: string;
}

/** The confirmation step of every console action: nothing changes until this form is sent. */
export function confirmPage(session: AdminSession, confirmation: Confirmation): Html {
  const { title, question, action, fields, confirmLabel, cancelHref, danger, typed } = confirmation;
  return layout(
    { title, session },
    html`<form method="post" action="${action}" class="card narrow">
      ${csrf(session)}
      ${Object.entries(fields).map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}" />`)}
      <p>${question}</p>
      ${
        typed
          ? html`<label for="typed">Type <strong>${typed}</strong> to confirm</label>
            <input id="typed" name="typed" type="text" autocomplete="off" spellcheck="false" required />`
          : ''
      }
      <div class="actions">
        <button type="submit"${danger ? html` class="danger"` : ''}>${confirmLabel}</button>
        <a class="button secondary" href="${cancelHref}">Cancel</a>
      </div>
    </form>`,
  );
}
