import { describe, expect, it } from 'vitest';
import { type ConfirmationProps, confirmationPropsSchema, renderConfirmationEmail } from './confirmation.ts';

const props: ConfirmationProps = {
  confirmUrl: 'https://papers.example.com/confirm/abc.def?src=mail&x="y"',
  cadence: 'daily',
  siteUrl: 'https://papers.example.com/',
};

describe('renderConfirmationEmail', () => {
  it('asks to confirm with a button linking to the escaped confirmation URL', async () => {
    const { subject, html, text } = await renderConfirmationEmail(props);
    const escaped = 'https://papers.example.com/confirm/abc.def?src=mail&amp;x=&quot;y&quot;';
    expect(subject).toBe('Confirm your Daily Papers subscription');
    expect(html).toContain('Confirm subscription');
    expect(html).toContain(`href="${escaped}"`);
    expect(html).not.toContain('x="y"');
    expect(html).toContain('ignore this message');
    expect(text).toContain(props.confirmUrl);
    expect(text).toContain('ignore this message');
    expect(text.replaceAll('\n', ' ')).toContain('one email every morning');
  });

  it('mentions the weekly cadence and carries no per-recipient placeholder', async () => {
    const { html, text } = await renderConfirmationEmail({ ...props, cadence: 'weekly' });
    expect(text.replaceAll('\n', ' ')).toContain('one email a week');
    for (const part of [html, text]) {
      expect(part).not.toContain('{{');
    }
  });

  it.each([
    ['a javascript: URL', { confirmUrl: 'javascript:alert(1)' }],
    ['a relative URL', { confirmUrl: '/confirm/abc' }],
    ['an unknown cadence', { cadence: 'hourly' }],
  ])('rejects %s', async (_, overrides) => {
    const bad = { ...props, ...overrides } as ConfirmationProps;
    expect(confirmationPropsSchema.safeParse(bad).success).toBe(false);
    await expect(renderConfirmationEmail(bad)).rejects.toThrow(/Invalid confirmation email/);
  });

  it('says how many keywords the signup chose, never what they say', async () => {
    const keywords = ['diffusion', 'reactivate your account at https://evil.example/login'];
    const { html, text } = await renderConfirmationEmail({ ...props, keywords });
    expect(text.replaceAll('\n', ' ')).toContain(
      'research papers matching the 2 keywords chosen at signup (the confirmation page shows them).',
    );
    for (const part of [html, text]) expect(part).not.toMatch(/diffusion|evil\.example/);
  });
});
