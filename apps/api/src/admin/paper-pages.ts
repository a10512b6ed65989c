import { AppError, dateInZone, isoDateSchema } from '@digest/core';
import { type DigestContext, importPapers, previewIssue, rankedPapers } from '@digest/digest';
import { cadenceSchema } from '@digest/subscribers';
import { Hono } from 'hono';
import { z } from 'zod';
import { assertCsrf, readQuery } from './forms.ts';
import type { AdminEnv } from './guard.ts';
import type { AdminSessions } from './session.ts';
import { papersPage, previewPage } from './views/papers.ts';

/** No script, no requests out but images: the mail is untrusted content shown in our origin's frame. */
const MAIL_POLICY =
  "default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'; font-src https: data:; base-uri 'none'; form-action 'none'; frame-ancestors 'self'; sandbox allow-popups allow-popups-to-escape-sandbox";

/** Papers of a date as the digest ranks them, the JSON import, and issue previews. */
export function paperPages(ctx: DigestContext, sessions: AdminSessions) {
  const keySchema = z.object({
    date: isoDateSchema.default(() => dateInZone(new Date(), ctx.settings.timeZone)),
    cadence: cadenceSchema.default('daily'),
  });
  return (
    new Hono<AdminEnv>()
      .get('/papers', async (c) => {
        const key = readQuery(c, keySchema);
        const ranked = await rankedPapers(ctx, key);
        return c.html(
          papersPage({ session: c.get('session'), notice: sessions.takeNotice(c), ...key, ranked }),
        );
      })

      .post('/papers/import', async (c) => {
        const form = await c.req.parseBody().catch(() => {
          throw new AppError('invalid_input', 'The upload could not be read.');
        });
        assertCsrf(sessions, c, form._csrf);
        const file = form.file;
        if (!(file instanceof File) || file.size === 0) {
          throw new AppError('invalid_input', 'Choose a JSON file to import.');
        }
        let records: unknown;
        try {
          records = JSON.parse(await file.text());
        } catch (error) {
          throw new AppError('invalid_json', `${file.name} is not valid JSON: ${(error as Error).message}`);
        }
        if (!Array.isArray(records)) {
          throw new AppError('invalid_input', `${file.name} is not a JSON array of papers.`);
        }
        const report = await importPapers(ctx.db, records, { timeZone: ctx.settings.timeZone });
        const key = readQuery(c, keySchema);
        const ranked = await rankedPapers(ctx, key);
        return c.html(
          papersPage({
            session: c.get('session'),
            notice: {
              kind: 'success',
              text: `${file.name}: ${report.inserted} new, ${report.updated} updated, ${report.rejected.length} rejected.`,
            },
            ...key,
            ranked,
            report,
          }),
        );
      })

      .get('/papers/preview', async (c) => {
        const key = readQuery(c, keySchema);
        const mail = await previewIssue(ctx, key);
        return c.html(previewPage({ session: c.get('session'), ...key, subject: mail.subject }));
      })

      // The iframe source of both the issue page and the preview: the issue as built, or as it would be.
      .get('/mail', async (c) => {
        const mail = await previewIssue(ctx, readQuery(c, keySchema));
        c.header('Content-Security-Policy', MAIL_POLICY);
        return c.html(mail.html);
      })
  );
}
