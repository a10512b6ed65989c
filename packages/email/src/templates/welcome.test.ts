import { describe, expect, it } from 'vitest';
import { slotMarkers } from './placeholders.ts';
import { renderWelcomeEmail, type WelcomeProps, welcomePropsSchema } from './welcome.ts';

const props: WelcomeProps = {
  cadence: 'daily',
  siteUrl: 'https://papers.example.com/',
  archiveUrl: 'https://papers.example.com/archive',
};

describe('renderWelcomeEmail', () => {
  it('says what to expect, links the archive and carries both placeholders', async () => {
    const { subject, html, text, slotNonce } = await renderWelcomeEmail(props);
    expect(subject).toBe("You're subscribed to Daily Papers");
    expect(html).toContain('Every morning');
    expect(html).toContain('<a href="https://papers.example.com/archive"');
    expect(text).toContain('https://papers.example.com/archive');
    for (const placeholder of Object.values(slotMarkers(slotNonce ?? ''))) {
      expect(html).toContain(`href="${placeholder}"`);
      expect(text).toContain(placeholder);
    }
  });

  it('describes the weekly cadence', async () => {
    const { html, text } = await renderWelcomeEmail({ ...props, cadence: 'weekly' });
    expect(html).toContain('Once a week');
    expect(text).toContain('Once a week');
  });

  it('rejects a non-http archive URL', async () => {
    const bad = { ...props, archiveUrl: 'javascript:alert(1)' };
    expect(welcomePropsSchema.safeParse(bad).success).toBe(false);
    await expect(renderWelcomeEmail(bad)).rejects.toThrow(/Invalid welcome email/);
  });
});
