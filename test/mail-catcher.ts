/**
 * `pnpm mail:catch`: a development SMTP server for running without Docker (Mailpit's job in
 * compose). Accepts every message on SMTP_PORT (default 1025), writes it to out/mail/*.eml and
 * prints who it was for and its subject, with the links it carries.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { REPO_ROOT } from './support/processes.ts';

const port = Number(process.env.SMTP_PORT ?? 1025);
const folder = join(REPO_ROOT, 'out', 'mail');
mkdirSync(folder, { recursive: true });
let received = 0;

const server = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', async () => {
      const raw = Buffer.concat(chunks);
      const file = join(folder, `${new Date().toISOString().replace(/[:.]/g, '-')}-${++received}.eml`);
      writeFileSync(file, raw);
      const mail = await simpleParser(raw);
      const to = session.envelope.rcptTo.map((rcpt) => rcpt.address).join(', ');
      const links = [
        ...new Set((mail.text ?? '').match(/https?:\/\/\S+\/(confirm|unsubscribe|preferences)\/\S+/g)),
      ];
      console.log(`${to}: ${mail.subject}\n  ${file}${links.map((link) => `\n  ${link}`).join('')}`);
      callback();
    });
  },
});

server.listen(port, '127.0.0.1', () =>
  console.log(`catching mail on smtp://127.0.0.1:${port}, saved in ${folder}`),
);
const stop = () => server.close(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
