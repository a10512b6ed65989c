/**
 * The one design language of the site and the mail: colours, font and radius. The site's CSS
 * variables and the MJML attributes are both made from these, so a page and an email look alike.
 * Every text colour keeps at least 4.5:1 contrast on the surfaces it is used on (design.test.ts).
 */
export const PALETTE = {
  light: {
    page: '#f4f6f8',
    surface: '#ffffff',
    text: '#1b1f24',
    muted: '#545d68',
    accent: '#0b57c4',
    onAccent: '#ffffff',
    border: '#d5dbe2',
    chip: '#e9eff7',
    error: '#b3261e',
  },
  dark: {
    page: '#0f1216',
    surface: '#181c22',
    text: '#e6eaef',
    muted: '#a4adb8',
    accent: '#8ab8ff',
    onAccent: '#0f1216',
    border: '#323943',
    chip: '#222a35',
    error: '#ff9b92',
  },
} as const;

export type Palette = { readonly [Name in keyof (typeof PALETTE)['light']]: string };

export const FONT_STACK =
  "-apple-system, BlinkMacSystemFont, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif";

export const RADIUS = '10px';

/** WCAG relative-luminance contrast ratio of two `#rrggbb` colours. */
export function contrastRatio(foreground: string, background: string): number {
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((start) => {
      const channel = Number.parseInt(hex.slice(start, start + 2), 16) / 255;
      return channel <= 0.03928 ? channel / 12.92 : ((channel + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const [light, dark] = [luminance(foreground), luminance(background)].sort((a, b) => b - a) as [
    number,
    number,
  ];
  return (light + 0.05) / (dark + 0.05);
}
