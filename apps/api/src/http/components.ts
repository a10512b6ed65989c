import type { IssuePaper } from '@digest/core';
import { paperStats, viewPaper } from '@digest/email';
import { html } from 'hono/html';
import type { FormProblems } from './forms.ts';
import type { Content } from './layout.ts';

/** A labelled form field with its hint and, after a refused post, what to fix (announced by screen readers). */
export function field(
  name: string,
  label: string,
  control: (describedBy: string, invalid: boolean) => Content,
  options: { hint?: string; problems?: FormProblems } = {},
) {
  const problem = options.problems?.fields[name];
  const ids = [options.hint ? `${name}-hint` : '', problem ? `${name}-error` : ''].filter(Boolean).join(' ');
  return html`<div class="field">
    <label for="${name}">${label}</label>
    ${control(ids, problem !== undefined)}
    ${options.hint ? html`<span class="hint" id="${name}-hint">${options.hint}</span>` : ''}
    ${problem ? html`<span class="field-error" id="${name}-error">${problem}</span>` : ''}
  </div>`;
}

/** Attributes every text control shares: its description and invalid state. */
export function controlState(describedBy: string, invalid: boolean) {
  return html`${describedBy ? html`aria-describedby="${describedBy}"` : ''} ${invalid ? html`aria-invalid="true"` : ''}`;
}

export function problemSummary(problems?: FormProblems) {
  if (!problems) return '';
  return html`<div class="alert" role="alert"><strong>${problems.summary}</strong>
    <ul>${Object.values(problems.fields).map((message) => html`<li>${message}</li>`)}</ul></div>`;
}

/** A paper as a card: title (linked), who, upvotes and comments, the summary's first lines. */
export function paperCard(
  paper: IssuePaper,
  options: { rank?: number; clamp?: boolean; heading?: 'h2' | 'h3'; note?: Content } = {},
) {
  const view = viewPaper(paper);
  const title = view.paperUrl ? html`<a href="${view.paperUrl}">${view.title}</a>` : view.title;
  const heading =
    options.heading === 'h2'
      ? html`<h2>${options.rank ? html`<span class="rank">${options.rank}.</span> ` : ''}${title}</h2>`
      : html`<h3>${options.rank ? html`<span class="rank">${options.rank}.</span> ` : ''}${title}</h3>`;
  return html`<li class="card paper">
    ${heading}
    <p class="meta">${view.byline ? html`<span>${view.byline}</span>` : ''}<span>${paperStats(view)}</span></p>
    ${view.summary ? html`<p class="summary ${options.clamp ? 'clamp' : ''}">${view.summary}</p>` : ''}
    ${view.codeUrl ? html`<p class="links"><a href="${view.codeUrl}">Code</a></p>` : ''}
    ${options.note ? html`<p class="hint">${options.note}</p>` : ''}
  </li>`;
}

/** The short signup form of the archive pages: a plain post, no script. */
export function signupBox() {
  return html`<section class="card signup-box" aria-labelledby="signup-box-title">
    <h2 id="signup-box-title">Get the top papers in your inbox</h2>
    <p class="muted">One email a day with the most upvoted research papers. Confirm once; unsubscribe in one click.</p>
    <form method="post" action="/subscribe">
      <label class="sr-only" for="box-email">Email address</label>
      <input id="box-email" name="email" type="email" required maxlength="254" autocomplete="email" placeholder="you@example.org" />
      <button type="submit">Subscribe</button>
    </form>
  </section>`;
}
