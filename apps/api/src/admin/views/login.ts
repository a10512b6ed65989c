import { type Html, html } from './html.ts';
import { layout } from './layout.ts';

export function loginPage({ next, csrf, error }: { next: string; csrf: string; error?: string }): Html {
  return layout(
    { title: 'Sign in', notice: error ? { kind: 'error', text: error } : undefined },
    html`<form method="post" action="/admin/login" class="card narrow">
      <input type="hidden" name="next" value="${next}" />
      <input type="hidden" name="_csrf" value="${csrf}" />
      <label for="token">Admin token</label>
      <input id="token" name="token" type="password" autocomplete="current-password" required autofocus />
      <p class="hint">The value of ADMIN_TOKEN. The session lasts eight hours.</p>
      <button type="submit">Sign in</button>
    </form>`,
  );
}
