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

  it('tells a permanent refusal from a passing one', async () => {
    server = await startTestSmtpServer();
    server.rejectRecipient((address) => address.startsWith('gone'), 550, 'No such user');
    server.rejectRecipient((address) => address.startsWith('busy'), 451, 'Try later');
    const gone = await sendTo(server.url, 'gone@example.org').catch(classifySendError);
    const busy = await sendTo(server.url, 'busy@example.org').catch(classifySendError);
    expect(gone).toMatchObject({ permanent: true, reason: expect.stringMatching(/550/) });
    expect(busy).toMatchObject({ permanent: false, reason: expect.stringMatching(/451/) });
    const unreachable = await sendTo('smtp://127.0.0.1:1', 'a@example.org').catch(classifySendError);
    expect(unreachable).toMatchObject({ permanent: false });
  });
});
