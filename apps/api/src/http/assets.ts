import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { FONT_STACK, PALETTE, type Palette, RADIUS } from '@digest/email';
import { Hono } from 'hono';

const read = (name: string) => readFileSync(new URL(`../assets/${name}`, import.meta.url), 'utf8');

const cssName = (name: string) => name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
const variables = (colors: Palette) =>
  Object.entries(colors)
    .map(([name, value]) => `--${cssName(name)}: ${value};`)
    .join(' ');

/** The site's one stylesheet: the shared palette as CSS variables (light, then dark), then the rules. */
const SITE_CSS = `:root { ${variables(PALETTE.light)} --font: ${FONT_STACK}; --radius: ${RADIUS}; }
@media (prefers-color-scheme: dark) { :root { ${variables(PALETTE.dark)} } }
${read('site.css')}`;

interface Asset {
  body: string;
  type: string;
  /** Content hash: the URL changes with the content, so the file may be cached for good. */
  version: string;
}

const asset = (body: string, type: string): Asset => ({
  body,
  type,
  version: createHash('sha256').update(body).digest('hex').slice(0, 10),
});

const ASSETS: Record<string, Asset> = {
  'site.css': asset(SITE_CSS, 'text/css; charset=utf-8'),
  'signup.js': asset(read('signup.js'), 'text/javascript; charset=utf-8'),
  'favicon.svg': asset(read('favicon.svg'), 'image/svg+xml'),
  'admin.css': asset(read('admin.css'), 'text/css; charset=utf-8'),
  'admin.js': asset(read('admin.js'), 'text/javascript; charset=utf-8'),
};

export type AssetName = 'site.css' | 'signup.js' | 'favicon.svg' | 'admin.css' | 'admin.js';

/** The versioned URL pages link to. */
export function assetUrl(name: AssetName): string {
  return `/assets/${name}?v=${(ASSETS[name] as Asset).version}`;
}

export function assetRoutes() {
  return new Hono().get('/assets/:name', (c) => {
    const found = ASSETS[c.req.param('name')];
    if (!found) return c.notFound();
    c.header('Content-Type', found.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(found.body);
  });
}
