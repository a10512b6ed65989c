import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, freePort } from '../../../test/support/processes.ts';
import { startTestSmtpServer, type TestSmtpServer } from '../../../test/support/smtp.ts';
import { compileMessage, personalise } from './mime.ts';
import { parseSmtpUrl } from './smtp-options.ts';
import { classifySendError, createSmtpTransport, dotStuffed } from './transport.ts';

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
      ['closing', 421, '4.3.2 System shutting down'],
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
    // A 421 that is not about the recipient's domain: the relay itself is going away.
    expect(await kindOf('closing@example.org')).toBe('relay');
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

describe('the SMTP client under the transport', () => {
  const send = (transport: ReturnType<typeof createSmtpTransport>, to: string) =>
    transport.send({ from: message.envelopeFrom, to, raw: personalise(message, { to }).raw });
  /** A first message whose outcome is on record once `recorded` is resolved. */
  const sendFirstUnrecorded = (transport: ReturnType<typeof createSmtpTransport>) => {
    const recorded = Promise.withResolvers<void>();
    const to = 'first@example.org';
    const first = transport.send({
      from: message.envelopeFrom,
      to,
      raw: personalise(message, { to }).raw,
      recorded: recorded.promise,
    });
    return { first, recorded };
  };

  it('carries many messages over few sessions, with or without PIPELINING, past refusals', async () => {
    for (const hidePIPELINING of [false, true]) {
      server = await startTestSmtpServer({ hidePIPELINING });
      server.rejectRecipient((address) => address.startsWith('gone@'), 550, '5.1.1 No such user');
      const transport = createSmtpTransport({ url: server.url, poolSize: 2 });
      const readers = ['a', 'b', 'gone', 'c', 'd', 'e', 'f', 'g'].map((name) => `${name}@example.org`);
      const results = await Promise.allSettled(readers.map((to) => send(transport, to)));
      transport.close();
      expect(results.map((result) => result.status)).toEqual(
        readers.map((to) => (to.startsWith('gone') ? 'rejected' : 'fulfilled')),
      );
      expect((await server.waitFor(7)).flatMap((mail) => mail.envelopeTo).sort()).toEqual(
        readers.filter((to) => !to.startsWith('gone')),
      );
      expect(server.peakSessions()).toBe(2);
      await server.close();
    }
  });

  it('doubles a dot that starts a line, so the message arrives as it was written', async () => {
    const stuff = (...pieces: string[]) =>
      Buffer.concat(dotStuffed(pieces.map((piece) => Buffer.from(piece)))).toString();
    expect(stuff('.a\r\n.b\n.c\r.d x.y\r\n..e')).toBe('..a\r\n..b\n..c\r..d x.y\r\n...e');
    // A line may start where one piece ends and the next begins.
    expect(stuff('a\r\n', '.b', '.c\r\n', '', '.d')).toBe('a\r\n..b.c\r\n..d');
    const plain = Buffer.from('no dot\r\nat a line start.\r\n');
    expect(dotStuffed([plain])[0]).toBe(plain);
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    const raw = 'From: a@papers.test\r\nTo: b@example.org\r\nSubject: dots\r\n\r\n.\r\n..two\r\nend\r\n';
    await transport.send({ from: 'a@papers.test', to: 'b@example.org', raw });
    transport.close();
    const [mail] = await server.waitFor(1);
    expect(mail?.raw).toBe(raw);
  });

  it('writes no second message on a session until the first one is on record', async () => {
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    const recorded = Promise.withResolvers<void>();
    const to = (name: string) => `${name}@example.org`;
    const first = transport.send({
      from: message.envelopeFrom,
      to: to('first'),
      raw: personalise(message, { to: to('first') }).raw,
      recorded: recorded.promise,
    });
    const second = send(transport, to('second'));
    await first;
    await server.waitFor(1);
    // The second message goes ahead but for its end, which lets the relay accept it.
    // (smtp-server holds back a message's last 4 bytes until it sees whether they end it)
    const secondSize = Buffer.concat(personalise(message, { to: to('second') }).raw).length - 4;
    await eventually(
      async () => (server?.contentBytes.get(to('second')) ?? 0) >= secondSize || undefined,
      5_000,
      "the second message's content",
    );
    expect(server.messages.map((mail) => mail.envelopeTo[0])).toEqual([to('first')]);
    recorded.resolve();
    await second;
    transport.close();
    expect((await server.waitFor(2)).map((mail) => mail.envelopeTo[0])).toEqual([to('first'), to('second')]);
  });

  it('sends nothing more once its sender cancels: a queued message is dropped, one on its way cut off before its end', async () => {
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    const recorded = Promise.withResolvers<void>();
    const cancel = new AbortController();
    const to = (name: string) => `${name}@example.org`;
    const outgoing = (name: string) => ({
      from: message.envelopeFrom,
      to: to(name),
      raw: personalise(message, { to: to(name) }).raw,
      signal: cancel.signal,
    });
    const first = transport.send({ ...outgoing('first'), recorded: recorded.promise });
    const second = transport.send(outgoing('second'));
    const third = transport.send(outgoing('third'));
    await first;
    // The second is on its way, all but its end, behind the first's outcome; the third waits.
    const secondSize = Buffer.concat(outgoing('second').raw).length - 4;
    await eventually(
      async () => (server?.contentBytes.get(to('second')) ?? 0) >= secondSize || undefined,
      5_000,
      "the second message's content",
    );
    cancel.abort(new Error('cancelled'));
    // Dropped from the line at once, while the only session is still held by the second.
    await expect(third).rejects.toThrow('cancelled');
    recorded.resolve();
    await expect(second).rejects.toThrow('cancelled');
    await expect(transport.send(outgoing('fourth'))).rejects.toThrow('cancelled');
    // The session it cut off is gone; the transport goes on with a new one.
    await send(transport, to('after'));
    transport.close();
    await server.idle(5_000);
    expect(server.messages.map((mail) => mail.envelopeTo[0])).toEqual([to('first'), to('after')]);
    expect(server.recipientAttempts.has(to('third'))).toBe(false);
  });

  it("takes a refusal that comes before a message's end as that message's", async () => {
    const relay = await fakeRelay(
      () => false,
      (line, socket) => {
        if (line.includes('refuse-me')) socket.end('554 5.7.1 Message content rejected\r\n');
      },
    );
    const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${relay.port}`, poolSize: 1 });
    const { first, recorded } = sendFirstUnrecorded(transport);
    const second = send(transport, 'refuse-me@example.org').catch((error: unknown) => error);
    await first;
    // Refused, and the relay hung up, while it waited for the first one's outcome.
    const refusal = await second;
    recorded.resolve();
    expect(refusal).toMatchObject({ code: 'EMESSAGE', responseCode: 554, command: 'end of data' });
    expect(classifySendError(refusal).kind).toBe('rejected');
    await send(transport, 'third@example.org');
    transport.close();
    relay.server.close();
  });

  it("sends a message again on a new session only once the old session's last one is on record", async () => {
    // The relay drops the first session in the middle of the second message; on the next
    // session the message goes out again, in full, but for its end.
    let secondTries = 0;
    let secondInFull = false;
    let secondEnded = false;
    let to = '';
    const relay = await fakeRelay(
      () => false,
      (line, socket) => {
        if (line.startsWith('To: ')) to = line;
        if (!to.includes('second@')) return;
        if (line.startsWith('To: ') && ++secondTries === 1) socket.destroy();
        if (line.startsWith('--=_digest_') && line.endsWith('--')) secondInFull = true;
        if (line === '.') secondEnded = true;
      },
    );
    const transport = createSmtpTransport({ url: `smtp://127.0.0.1:${relay.port}`, poolSize: 1 });
    const { first, recorded } = sendFirstUnrecorded(transport);
    const second = send(transport, 'second@example.org');
    await first;
    await eventually(async () => (secondTries === 2 && secondInFull) || undefined, 5_000, 'the second try');
    expect(secondEnded).toBe(false);
    recorded.resolve();
    await second;
    expect(secondEnded).toBe(true);
    transport.close();
    relay.server.close();
  });

  it('logs in with AUTH LOGIN when that is all the relay offers', async () => {
    const logins: string[] = [];
    server = await startTestSmtpServer({
      authOptional: false,
      allowInsecureAuth: true,
      authMethods: ['LOGIN'],
      onAuth(auth, _session, callback) {
        logins.push(`${auth.method} ${auth.username}:${auth.password}`);
        callback(null, { user: auth.username });
      },
    });
    await sendTo(`smtp://digest:secret@127.0.0.1:${server.port}`, 'reader@example.org');
    expect(logins).toEqual(['LOGIN digest:secret']);
  });

  it('connects its sessions ahead of the first send when asked, and does not fail when the relay is away', async () => {
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 2 });
    transport.connect();
    await eventually(async () => (server?.peakSessions() === 2 ? true : undefined), 5_000, 'two sessions');
    await Promise.all(['a', 'b', 'c'].map((name) => send(transport, `${name}@example.org`)));
    transport.close();
    expect(server.peakSessions()).toBe(2);

    const away = createSmtpTransport({ url: `smtp://127.0.0.1:${await freePort()}`, poolSize: 2 });
    away.connect();
    await expect(send(away, 'a@example.org')).rejects.toMatchObject({ code: 'ECONNECTION' });
    away.close();
  });

  it('opens a new session when the relay closed an idle one', async () => {
    server = await startTestSmtpServer({ socketTimeout: 300 });
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    await send(transport, 'first@example.org');
    await server.idle(5_000); // the relay timed the session out
    await send(transport, 'second@example.org');
    transport.close();
    expect((await server.waitFor(2)).map((mail) => mail.envelopeTo[0])).toEqual([
      'first@example.org',
      'second@example.org',
    ]);
  });

  it('sends to internationalised addresses with SMTPUTF8 and a punycode domain', async () => {
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    await send(transport, 'jörg@exämple.org');
    transport.close();
    const [mail] = await server.waitFor(1);
    // The relay reads the punycode domain back as Unicode.
    expect(mail?.envelopeTo).toEqual(['jörg@exämple.org']);
    const strict = await startTestSmtpServer({ hideSMTPUTF8: true });
    const other = createSmtpTransport({ url: strict.url, poolSize: 1 });
    const refused = await send(other, 'jörg@example.org').catch(classifySendError);
    other.close();
    await strict.close();
    expect(refused).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/SMTPUTF8/) });
  });

  it('refuses an address that would smuggle a command, and sends nothing', async () => {
    server = await startTestSmtpServer();
    const transport = createSmtpTransport({ url: server.url, poolSize: 1 });
    const hostile = 'a@example.org>\r\nRCPT TO:<victim@example.org';
    const refused = await send(transport, hostile).catch(classifySendError);
    await send(transport, 'ok@example.org');
    transport.close();
    expect(refused).toMatchObject({ kind: 'rejected' });
    expect((await server.waitFor(1)).map((mail) => mail.envelopeTo)).toEqual([['ok@example.org']]);
    expect(server.recipientAttempts.has('victim@example.org')).toBe(false);
  });

  it('reads its options from the URL and refuses one it does not know', () => {
    expect(
      parseSmtpUrl(
        'smtps://u%40x:p%3Aw@mail.example.org?tls.rejectUnauthorized=false&name=digest.example.org',
      ),
    ).toMatchObject({
      host: 'mail.example.org',
      port: 465,
      secure: true,
      auth: { user: 'u@x', pass: 'p:w' },
      clientName: 'digest.example.org',
      tls: { rejectUnauthorized: false, servername: 'mail.example.org' },
    });
    expect(parseSmtpUrl('smtp://127.0.0.1:1025?ignoreTLS=true')).toMatchObject({
      startTls: 'never',
      tls: { rejectUnauthorized: false },
    });
    expect(() => parseSmtpUrl('smtp://127.0.0.1?pool=true')).toThrow(/unknown option "pool"/);
    expect(() => parseSmtpUrl('smtp://127.0.0.1?requireTLS=yes')).toThrow(/requireTLS must be true or false/);
  });

  it('never leaves a send waiting when the relay hangs up with its EHLO reply, or stalls TLS', async () => {
    let sessions = 0;
    const relay = await fakeRelay((line, socket) => {
      if (line.startsWith('EHLO') && ++sessions === 1) {
        // The last set-up reply and the hang-up in one packet.
        socket.end('250-fake\r\n250 PIPELINING\r\n421 4.3.2 Too busy, bye\r\n');
        return true;
      }
      if (line.startsWith('EHLO') && sessions === 2) {
        socket.write('250-fake\r\n250 STARTTLS\r\n');
        return true;
      }
      // Agrees to TLS, then says nothing more.
      if (line === 'STARTTLS') {
        socket.write('220 Go ahead\r\n');
        return true;
      }
      return false;
    });
    const transport = createSmtpTransport({
      url: `smtp://127.0.0.1:${relay.port}?connectionTimeout=300`,
      poolSize: 1,
    });
    const outcome = (to: string) =>
      send(transport, to).then(
        () => 'sent',
        (error) => classifySendError(error).kind,
      );
    expect(await outcome('first@example.org')).toBe('relay');
    expect(await outcome('second@example.org')).toBe('relay'); // the TLS handshake timed out
    expect(await outcome('third@example.org')).toBe('sent');
    transport.close();
    relay.server.close();
  });

  it('gives up on a relay that trickles a reply byte by byte, well within its idle limit each time', async () => {
    const relay = await fakeRelay((line, socket) => {
      if (!line.startsWith('RCPT')) return false;
      // A byte every 50 ms of a reply that never ends: silent for never longer than that.
      const trickle = setInterval(() => socket.write(socket.destroyed ? '' : '2'), 50);
      socket.on('close', () => clearInterval(trickle));
      return true;
    });
    const transport = createSmtpTransport({
      url: `smtp://127.0.0.1:${relay.port}?socketTimeout=400`,
      poolSize: 1,
    });
    const started = performance.now();
    const failure = await send(transport, 'reader@example.org').catch((error: unknown) => error);
    expect(String(failure)).toMatch(/taking too long to finish its reply/);
    expect(classifySendError(failure).kind).toBe('relay');
    expect(performance.now() - started).toBeLessThan(5_000);
    transport.close();
    relay.server.close();
  });

  it('blames the relay, not the mailbox, for its own refusals at any command', async () => {
    server = await startTestSmtpServer({
      onMailFrom({ address }, _session, callback) {
        if (address.startsWith('limited@'))
          return callback(Object.assign(new Error('4.7.0 Sender rate limited'), { responseCode: 450 }));
        callback();
      },
    });
    server.rejectRecipient(
      (address) => address.startsWith('relay@'),
      554,
      '5.7.1 <relay@example.org>: Relay access denied',
    );
    server.rejectRecipient((address) => address.startsWith('exim@'), 550, 'relay not permitted');
    server.rejectRecipient((address) => address.startsWith('login@'), 530, '5.7.0 Authentication required');
    const kindOf = async (from: string, to: string) => {
      const transport = createSmtpTransport({ url: server!.url, poolSize: 1 });
      try {
        await transport.send({ from, to, raw: personalise(message, { to }).raw });
        return 'sent';
      } catch (error) {
        return classifySendError(error).kind;
      } finally {
        transport.close();
      }
    };
    expect(await kindOf('digest@papers.test', 'relay@example.org')).toBe('relay');
    expect(await kindOf('digest@papers.test', 'exim@example.org')).toBe('relay');
    expect(await kindOf('digest@papers.test', 'login@example.org')).toBe('relay');
    // A slow-down at MAIL FROM is the relay limiting us, not the recipient's domain.
    expect(await kindOf('limited@papers.test', 'reader@example.org')).toBe('relay');
  });
});

/**
 * A hand-written relay: `answer` replies to a command line (true) or leaves it to the plain
 * defaults; `onContent` sees each line of a message's content, and the `.` that ends it.
 */
async function fakeRelay(
  answer: (line: string, socket: Socket) => boolean,
  onContent: (line: string, socket: Socket) => void = () => {},
): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    let pending = '';
    let inData = false;
    socket.write('220 fake relay\r\n');
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      pending += chunk.toString('latin1');
      for (let end = pending.indexOf('\r\n'); end !== -1; end = pending.indexOf('\r\n')) {
        const line = pending.slice(0, end);
        pending = pending.slice(end + 2);
        if (inData) {
          onContent(line, socket);
          if (line === '.') {
            inData = false;
            socket.write('250 Queued\r\n');
          }
        } else if (!answer(line, socket)) {
          if (line.startsWith('EHLO')) socket.write('250-fake\r\n250 PIPELINING\r\n');
          else if (line === 'DATA') {
            inData = true;
            socket.write('354 Go on\r\n');
          } else if (line === 'QUIT') socket.end('221 Bye\r\n');
          else socket.write('250 OK\r\n');
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port };
}
