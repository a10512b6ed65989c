import { describe, expect, it } from 'vitest';
import { contrastRatio, PALETTE } from './design.ts';

describe('the palette', () => {
  for (const [scheme, colors] of Object.entries(PALETTE)) {
    it(`keeps every text colour at 4.5:1 or more in ${scheme} mode`, () => {
      for (const background of [colors.page, colors.surface, colors.chip]) {
        for (const text of [colors.text, colors.muted, colors.accent, colors.error]) {
          expect(contrastRatio(text, background), `${text} on ${background}`).toBeGreaterThanOrEqual(4.5);
        }
      }
      expect(contrastRatio(colors.onAccent, colors.accent)).toBeGreaterThanOrEqual(4.5);
    });
  }

  it('measures contrast as WCAG does', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });
});
