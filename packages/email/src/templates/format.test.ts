import { describe, expect, it } from 'vitest';
import { formatDate, safeHttpUrl, truncate, wrap } from './format.ts';

describe('format helpers', () => {
  it('truncates on a word boundary with an ellipsis, never splitting an emoji', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('one two three four five', 16)).toBe('one two three…');
    expect(truncate('🧪🧪🧪🧪🧪🧪', 6)).toBe('🧪🧪…');
    expect(truncate('x'.repeat(50), 10)).toHaveLength(10);
  });

  it('keeps only absolute http(s) URLs', () => {
    expect(safeHttpUrl('https://arxiv.org/abs/2605.00001')).toBe('https://arxiv.org/abs/2605.00001');
    expect(safeHttpUrl(' javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,x')).toBeNull();
    expect(safeHttpUrl('//evil.example.com')).toBeNull();
    expect(safeHttpUrl('https://github.com@evil.example/x')).toBeNull();
    expect(safeHttpUrl('https://user:pass@evil.example/')).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
  });

  it('percent-encodes what RFC 3986 does not allow in every part, and refuses odd hosts', () => {
    expect(safeHttpUrl('https://e.x/{{p}}?t={{{unsubscribe_url}}}#{{f}}')).toBe(
      'https://e.x/%7B%7Bp%7D%7D?t=%7B%7B%7Bunsubscribe_url%7D%7D%7D#%7B%7Bf%7D%7D',
    );
    expect(safeHttpUrl('https://e.x/?q="a b"|`^\\')).toBe('https://e.x/?q=%22a%20b%22%7C%60%5E%5C');
    expect(safeHttpUrl('https://Ex.AMPLE/ä')).toBe('https://ex.ample/%C3%A4');
    expect(safeHttpUrl('https://{{unsubscribe_url}}.example/')).toBeNull();
    expect(safeHttpUrl('https://[::1]:8080/x')).toBe('https://[::1]:8080/x');
  });

  it('formats ISO dates and wraps text', () => {
    expect(formatDate('2026-05-22')).toBe('22 May 2026');
    expect(formatDate('soon')).toBe('soon');
    expect(wrap('aaa bbb ccc', 7)).toBe('aaa bbb\nccc');
    expect(wrap(`see ${'u'.repeat(20)}`, 10)).toBe(`see\n${'u'.repeat(20)}`);
  });
});
