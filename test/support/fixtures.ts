import { readFileSync } from 'node:fs';

/** Real paper data (see test/fixtures): 46 flat papers, and 15 daily_papers items over 2026-05-22..24. */
export function fixture(name: 'daily-papers.json' | 'hf-daily-papers-sample.json'): unknown[] {
  return JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));
}

/** The sample's papers featured on `date`, most upvoted first. */
export function hfTitlesByUpvotes(date: string): string[] {
  type Item = { paper: { title: string; upvotes: number; submittedOnDailyAt: string } };
  return (fixture('hf-daily-papers-sample.json') as Item[])
    .filter((item) => item.paper.submittedOnDailyAt.startsWith(date))
    .sort((a, b) => b.paper.upvotes - a.paper.upvotes)
    .map((item) => item.paper.title);
}
