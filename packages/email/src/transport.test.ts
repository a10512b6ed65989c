import { afterEach, describe, expect, it } from 'vitest';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { compileMessage, personalise } from './mime.ts';
import { classifySendError, createSmtpTransport } from './transport.ts';

let server: TestSmtpServer | undefined;
afterEach(() => server?.close());

const message = compileMessage({
  from: 'Digest <digest@papers.test>',
  subject: 'Hello',
  html: '<p>Hi</p>',
  text: 'Hi',
  slotNonce: null,
});

async function sendTo(url: string, to: string) {
  const transport = createSmtpTransport({ url, poolSize: 1 });
  try {
    return await transport.send({ from: message.envelopeFrom, to, raw: personalise(message, { to }).raw });
  } finally {
    transport.close();
  }
}

describe('pooled SMTP transport', () => {
  it('sends through a local relay that offers STARTTLS with a self-signed certificate', async () => {
    server = await startTestSmtpServer({ disabledCommands: [] });
    await sendTo(server.url, 'reader@example.org');
    const [mail] = await server.waitFor(1);
    expect(mail?.envelopeTo).toEqual(['reader@example.org']);
  });

  it('logs in with the credentials of the URL', async () => {
    const logins: string[] = [];
    server = await startTestSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth(auth, _session, callback) {
        logins.push(`${auth.username}:${auth.password}`);
        callback(null, { user: auth.username });
      },
    });
    await sendTo(`smtp://digest%40papers.test:s%3Acret@127.0.0.1:${server.port}`, 'reader@example.org');
    expect(logins).toEqual(['digest@papers.test:s:cret']);
  });

  it('tells what a refusal means: a dead mailbox, a full one, a retry, throttling or an absent relay', async () => {
    server = await startTestSmtpServer();
    const replies: [string, number, string][] = [
      ['gone', 550, 'No such user'],
      ['moved', 550, '5.1.1 Mailbox does not exist'],
      ['full', 552, '5.2.2 Mailbox full'],
      ['spam', 550, '5.7.1 Message rejected as spam'],
      ['busy', 451, '4.3.0 Try later'],
      ['slow', 421, '4.7.0 Too many messages, slow down'],
      ['greylisted', 450, '4.7.1 Greylisted, come back later'],
    ];
    for (const [prefix, code, message] of replies) {
      server.rejectRecipient((address) => address.startsWith(`${prefix}@`), code, message);
    }
    const kindOf = async (address: string, url = server!.url) =>
      (await sendTo(url, address).then(() => undefined, classifySendError))?.kind;
    expect(await kindOf('gone@example.org')).toBe('mailbox');
    expect(await kindOf('moved@example.org')).toBe('mailbox');
    expect(await kindOf('full@example.org')).toBe('full');
    expect(await kindOf('spam@example.org')).toBe('rejected');
    expect(await kindOf('busy@example.org')).toBe('transient');
    expect(await kindOf('slow@example.org')).toBe('throttled');
    expect(await kindOf('greylisted@example.org')).toBe('throttled');
    expect(await kindOf('a@example.org', 'smtp://127.0.0.1:1')).toBe('relay');
    // The relay refusing us (here a login) is never blamed on the recipient.
    const locked = await startTestSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      onAuth: (_auth, _session, callback) => callback(new Error('5.7.8 Authentication credentials invalid')),
    });
    expect(await kindOf('gone@example.org', `smtp://user:wrong@127.0.0.1:${locked.port}`)).toBe('relay');
    await locked.close();
    const busy = await sendTo(server.url, 'busy@example.org').catch(classifySendError);
    expect((busy as { reason?: string }).reason).toMatch(/^451 4\.3\.0 Try later/);
  });
});
