import { describe, expect, it } from 'vitest';
import { cleanText, formatDate, safeHttpUrl, truncate, wrap } from './format.ts';

describe('format helpers', () => {
  it('truncates on a word boundary with an ellipsis, never splitting an emoji', () => {
    expect(truncate('short', 10)).toBe('short');
    expect(truncate('one two three four five', 16)).toBe('one two three…');
    expect(truncate('🧪🧪🧪🧪🧪🧪', 6)).toBe('🧪🧪…');
    expect(truncate('x'.repeat(50), 10)).toHaveLength(10);
  });

  it('cleans whitespace and defuses placeholders in untrusted text', () => {
    expect(cleanText('  a\r\n\tb  {{unsubscribe_url}} ')).toBe('a b {\u200B{unsubscribe_url}}');
  });

  it('keeps only absolute http(s) URLs', () => {
    expect(safeHttpUrl('https://arxiv.org/abs/2605.00001')).toBe('https://arxiv.org/abs/2605.00001');
    expect(safeHttpUrl(' javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,x')).toBeNull();
    expect(safeHttpUrl('//evil.example.com')).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
  });

  it('formats ISO dates and wraps text', () => {
    expect(formatDate('2026-05-22')).toBe('22 May 2026');
    expect(formatDate('soon')).toBe('soon');
    expect(wrap('aaa bbb ccc', 7)).toBe('aaa bbb\nccc');
    expect(wrap(`see ${'u'.repeat(20)}`, 10)).toBe(`see\n${'u'.repeat(20)}`);
  });
});
