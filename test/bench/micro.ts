import { performance } from 'node:perf_hooks';
import { type Db, selectTrendingPapers } from '@digest/db';
import { type DigestContext, renderIssue, toIssuePaper } from '@digest/digest';
import { type CompiledMessage, compileMessage, personalise } from '@digest/email';
import { subscriberLinks, type TokenSigner } from '@digest/subscribers';

export interface MicroResult {
  /** personalise + subscriberLinks per recipient. */
  personaliseUs: number;
  /** The same, plus the UTF-8 encoding of the result that any sender pays (flattens the string). */
  personaliseEncodedUs: number;
  /** subscriberLinks alone (two HMACs). */
  linksUs: number;
  /** compileMessage of the real issue, once per worker and issue. */
  compileMs: number;
  /** MJML render of a 10-paper digest (median of 5, warm). */
  renderMs: number;
  renderPapers: number;
}

export async function measureMicro(
  ctx: DigestContext & { db: Db },
  tokens: TokenSigner,
  source: Parameters<typeof compileMessage>[0],
  iterations: number,
): Promise<MicroResult> {
  const base = ctx.settings.publicBaseUrl;
  const message = compileMessage(source);

  let checksum = 0;
  const personaliseMany = (count: number, encode: boolean) => {
    for (let index = 0; index < count; index++) {
      const { raw } = personalise(message, {
        to: `reader-${index}@bench.example.org`,
        ...subscriberLinks(base, tokens, index + 1),
      });
      checksum += encode ? Buffer.byteLength(raw) : raw.length;
    }
  };
  const linksMany = (count: number) => {
    for (let index = 0; index < count; index++) {
      checksum += subscriberLinks(base, tokens, index + 1).unsubscribeUrl.length;
    }
  };

  const perCallUs = (run: (count: number) => void) => {
    run(Math.min(2000, iterations));
    const started = performance.now();
    run(iterations);
    return ((performance.now() - started) * 1000) / iterations;
  };
  const personaliseUs = perCallUs((count) => personaliseMany(count, false));
  const personaliseEncodedUs = perCallUs((count) => personaliseMany(count, true));
  const linksUs = perCallUs(linksMany);

  const compileMs = median(
    Array.from({ length: 5 }, () => timeMs(() => compileMessage(source) satisfies CompiledMessage)),
  );

  // The flat sample's ten most upvoted papers (2024): the issue size DIGEST_SIZE allows.
  const papers = (
    await selectTrendingPapers(ctx.db, { from: '2000-01-01', to: '2025-12-31', timeZone: 'UTC', limit: 10 })
  ).map(toIssuePaper);
  const key = { cadence: 'daily' as const, date: '2024-07-03' };
  await renderIssue(ctx, key, papers);
  const renders: number[] = [];
  for (let run = 0; run < 5; run++) {
    const started = performance.now();
    await renderIssue(ctx, key, papers);
    renders.push(performance.now() - started);
  }
  if (checksum === 0) throw new Error('personalise produced nothing');
  return {
    personaliseUs,
    personaliseEncodedUs,
    linksUs,
    compileMs,
    renderMs: median(renders),
    renderPapers: papers.length,
  };
}

function timeMs(work: () => unknown): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}
