import { describe, expect, it } from 'vitest';
import { escapeHtml, stripLineBreaks } from './html.ts';

describe('escapeHtml', () => {
  it('escapes the five HTML-special characters', () => {
    expect(escapeHtml(`<a href="x" title='y'>&</a>`)).toBe(
      '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;',
    );
  });

  it('leaves other text, emoji included, alone', () => {
    expect(escapeHtml('Plain text 🧪 ünïcode')).toBe('Plain text 🧪 ünïcode');
  });
});

describe('stripLineBreaks', () => {
  it('turns CR/LF runs into one space and trims', () => {
    expect(stripLineBreaks('  Line\r\nBcc: evil@example.com\n')).toBe('Line Bcc: evil@example.com');
  });

  it('handles other control characters and Unicode line separators', () => {
    expect(stripLineBreaks('a\u2028b\u2029c\u0085d\te\u0000f\u000bg')).toBe('a b c d e f g');
    expect(stripLineBreaks('a \r\n\r\n b')).toBe('a b');
  });

  it('keeps ordinary spaces and emoji', () => {
    expect(stripLineBreaks('Daily Papers — 🧪 two  spaces')).toBe('Daily Papers — 🧪 two  spaces');
  });
});
