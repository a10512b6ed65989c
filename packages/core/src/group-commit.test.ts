import { describe, expect, it } from 'vitest';
import { groupCommit } from './group-commit.ts';

describe('groupCommit', () => {
  it('writes an item at once, and together what arrives during a write, at most max a call', async () => {
    const calls: number[][] = [];
    let release = () => {};
    const add = groupCommit(async (items: number[]) => {
      calls.push(items);
      if (calls.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items;
    }, 3);
    const first = add(1);
    expect(calls).toEqual([[1]]);
    const rest = [2, 3, 4, 5].map((item) => add(item));
    release();
    await Promise.all([first, ...rest]);
    expect(calls).toEqual([[1], [2, 3, 4], [5]]);
    await add(6);
    expect(calls.at(-1)).toEqual([6]);
  });

  it('answers each item with its own result', async () => {
    const double = groupCommit(async (items: number[]) => items.map((item) => item * 2), 10);
    expect(await Promise.all([1, 2, 3].map(double))).toEqual([2, 4, 6]);
  });

  it('fails the items of a failed call only', async () => {
    const add = groupCommit(async (items: string[]) => {
      if (items.includes('bad')) throw new Error('refused');
      return items;
    }, 10);
    const results = await Promise.allSettled([add('bad'), add('good')]);
    expect(results.map((result) => result.status)).toEqual(['rejected', 'fulfilled']);
  });
});
