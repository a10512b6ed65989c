import type { MicroResult } from './micro.ts';
import { FLOW_BUCKET_MS, type Flow, type PhaseResult, type PipelineResult } from './phases.ts';
import { type CallCounter, type CpuShares, type GcTotals, isPollQuery, type Memory } from './probes.ts';

export interface Measured {
  recipients: number;
  issueDate: string;
  messageKb: number;
  poolSize: number;
  rawBefore: PhaseResult;
  personalised: PhaseResult;
  pipeline: PipelineResult;
  rawAfter: PhaseResult;
  micro: MicroResult;
  memoryAtStart: Memory;
  errors: string[];
}

/** The run's figures, as the JSON line prints them. Ratios first: they hold from run to run. */
export function summarise(m: Measured, runSeconds: number) {
  const { recipients, rawBefore, rawAfter, personalised, pipeline, micro } = m;
  const raw = (rawBefore.msgsPerS + rawAfter.msgsPerS) / 2;
  const rawCpu = addCpu(rawBefore.cpu, rawAfter.cpu);
  return {
    recipients,
    raw_msgs_per_s: round(raw),
    pipeline_msgs_per_s: round(pipeline.msgsPerS),
    pipeline_vs_raw: round(pipeline.msgsPerS / raw, 3),
    personalise_us: round(micro.personaliseUs, 2),
    render_ms: round(micro.renderMs, 2),
    rss_mb_before: round(pipeline.memoryBefore.rssMb, 1),
    rss_mb_after: round(pipeline.memoryAfter.rssMb, 1),
    personalised_msgs_per_s: round(personalised.msgsPerS),
    personalised_vs_raw: round(personalised.msgsPerS / raw, 3),
    pipeline_vs_personalised: round(pipeline.msgsPerS / personalised.msgsPerS, 3),
    raw_runs_msgs_per_s: [round(rawBefore.msgsPerS), round(rawAfter.msgsPerS)],
    pipeline_ms: round(pipeline.ms),
    build_ms: round(pipeline.buildMs),
    first_send_ms: round(pipeline.firstSendMs),
    last_send_ms: round(pipeline.lastSendMs),
    send_batches: pipeline.batches,
    batch_mean_ms: round(pipeline.batchMeanMs),
    issue_papers: pipeline.papers,
    message_kb: round(m.messageKb, 1),
    personalise_encoded_us: round(micro.personaliseEncodedUs, 2),
    links_us: round(micro.linksUs, 2),
    compile_ms: round(micro.compileMs, 2),
    render_papers: micro.renderPapers,
    pg_queries_per_msg: round(pipeline.pgQueries / recipients, 3),
    redis_cmds_per_msg: round(pipeline.redisCommands / recipients, 3),
    polls: { count: pipeline.polls.count, ms: round(pipeline.polls.ms) },
    cpu_us_per_msg: {
      raw: perMessage(rawCpu, 2 * recipients),
      personalised: perMessage(personalised.cpu, recipients),
      pipeline: perMessage(pipeline.cpu, recipients),
    },
    gc_us_per_msg: {
      raw: gcPerMessage(addGc(rawBefore.gc, rawAfter.gc), 2 * recipients),
      personalised: gcPerMessage(personalised.gc, recipients),
      pipeline: gcPerMessage(pipeline.gc, recipients),
    },
    flow: {
      raw: flowFigures(rawBefore.flow),
      personalised: flowFigures(personalised.flow),
      pipeline: flowFigures(pipeline.flow),
    },
    cores_busy: {
      raw: round(rawCpu.coresBusy, 2),
      personalised: round(personalised.cpu.coresBusy, 2),
      pipeline: round(pipeline.cpu.coresBusy, 2),
    },
    rss_mb_start: round(m.memoryAtStart.rssMb, 1),
    peak_rss_mb: round(pipeline.peakRssMb, 1),
    heap_mb_before: round(pipeline.memoryBefore.heapMb, 1),
    heap_mb_after: round(pipeline.memoryAfter.heapMb, 1),
    external_mb_before: round(pipeline.memoryBefore.externalMb, 1),
    external_mb_after: round(pipeline.memoryAfter.externalMb, 1),
    run_s: round(runSeconds, 1),
    errors: m.errors,
  };
}

export type Figures = ReturnType<typeof summarise>;

/** The human-readable table, with the pipeline's queries and commands and, if taken, the profiles. */
export function formatReport(
  f: Figures,
  m: Measured,
  counters: { pg: CallCounter; redis: CallCounter },
): string {
  const cpu = (shares: Figures['cpu_us_per_msg']['raw']) =>
    `${shares.bench} + sink ${shares.sink} + pg ${shares.postgres} + redis ${shares.redis}`;
  const gc = (totals: Figures['gc_us_per_msg']['raw']) => `minor ${totals.minor} + major ${totals.major}`;
  const busy = (share: number) => `cores busy ${round(share * 100)}%`;
  const rows: [string, string, string][] = [
    [
      'recipients',
      String(f.recipients),
      `issue ${m.issueDate}: ${f.issue_papers} papers, ${f.message_kb} KB`,
    ],
    [
      'raw SMTP pipe',
      `${f.raw_msgs_per_s} msg/s`,
      `one prebuilt message; mean of ${f.raw_runs_msgs_per_s.join(' (before) and ')} (after); pool ${m.poolSize}`,
    ],
    ['personalised pipe', `${f.personalised_msgs_per_s} msg/s`, 'personalise per recipient, no queue or DB'],
    ['pipeline (worker)', `${f.pipeline_msgs_per_s} msg/s`, `${f.pipeline_ms} ms from enqueue to sent`],
    ['pipeline / raw', String(f.pipeline_vs_raw), 'the pipeline’s efficiency vs the raw pipe'],
    ['personalised / raw', String(f.personalised_vs_raw), 'cost of a fresh message per recipient'],
    ['pipeline / personalised', String(f.pipeline_vs_personalised), 'cost of queue, claim and ledger'],
    ['  build-digest done', `${f.build_ms} ms`, 'after enqueue'],
    [
      '  send-batch jobs',
      `${f.first_send_ms} → ${f.last_send_ms} ms`,
      `${f.send_batches} batches, ${f.batch_mean_ms} ms each on average`,
    ],
    ['  pg queries / msg', String(f.pg_queries_per_msg), `services only; ${f.polls.count} bench polls apart`],
    ['  redis cmds / msg', String(f.redis_cmds_per_msg), 'all ioredis clients of this process'],
    ['cpu µs/msg raw', cpu(f.cpu_us_per_msg.raw), busy(f.cores_busy.raw)],
    ['cpu µs/msg personalised', cpu(f.cpu_us_per_msg.personalised), busy(f.cores_busy.personalised)],
    ['cpu µs/msg pipeline', cpu(f.cpu_us_per_msg.pipeline), busy(f.cores_busy.pipeline)],
    ['flow raw', flowCell(f.flow.raw), spark(m.rawBefore.flow)],
    ['flow personalised', flowCell(f.flow.personalised), spark(m.personalised.flow)],
    ['flow pipeline', flowCell(f.flow.pipeline), spark(m.pipeline.flow)],
    ['gc µs/msg raw', gc(f.gc_us_per_msg.raw), 'GC pauses in this process'],
    ['gc µs/msg personalised', gc(f.gc_us_per_msg.personalised), ''],
    ['gc µs/msg pipeline', gc(f.gc_us_per_msg.pipeline), ''],
    [
      'personalise + links',
      `${f.personalise_us} µs`,
      `${f.personalise_encoded_us} µs with its UTF-8 encoding`,
    ],
    ['subscriberLinks', `${f.links_us} µs`, 'two HMAC-SHA256'],
    ['compileMessage', `${f.compile_ms} ms`, 'once per issue and worker'],
    ['MJML render', `${f.render_ms} ms`, `${f.render_papers}-paper digest, median of 5`],
    [
      'RSS before → after',
      `${f.rss_mb_before} → ${f.rss_mb_after} MB`,
      `the pipeline, after GC; peak ${f.peak_rss_mb} MB, ${f.rss_mb_start} MB after setup`,
    ],
    ['heap before → after', `${f.heap_mb_before} → ${f.heap_mb_after} MB`, ''],
    ['external before → after', `${f.external_mb_before} → ${f.external_mb_after} MB`, 'buffers'],
    ['run time', `${f.run_s} s`, ''],
  ];
  const width = (column: 0 | 1) => Math.max(...rows.map((row) => row[column].length));
  const lines = rows.map(([label, value, note]) =>
    `${label.padEnd(width(0))}  ${value.padStart(width(1))}  ${note}`.trimEnd(),
  );
  const top = (counter: CallCounter) =>
    counter
      .top(10)
      .filter(([label]) => !isPollQuery(label))
      .map(([label, count]) => `  ${String(count).padStart(7)}  ${label}`);
  return [
    ...lines,
    '',
    `pipeline Postgres queries (${m.pipeline.pgQueries}):`,
    ...top(counters.pg),
    `pipeline Redis commands (${m.pipeline.redisCommands}):`,
    ...top(counters.redis),
    ...profileLines(m),
    '',
  ].join('\n');
}

/** Self time per message by package, each profiled phase side by side. */
function profileLines(m: Measured): string[] {
  const phases = [
    ['raw', m.rawBefore],
    ['personal', m.personalised],
    ['pipeline', m.pipeline],
  ] as const;
  if (phases.some(([, phase]) => !phase.profile)) return [];
  const perMessage = phases.map(
    ([, phase]) =>
      new Map((phase.profile?.byPackage ?? []).map(([label, ms]) => [label, (ms * 1000) / phase.messages])),
  );
  const labels = [...new Set(perMessage.flatMap((map) => [...map.keys()]))];
  const cell = (value: number | undefined) => (value === undefined ? '-' : value.toFixed(1)).padStart(10);
  return [
    '',
    'CPU profile of this process, self time per message (µs), top packages:',
    `${phases.map(([name]) => name.padStart(10)).join('')}  package`,
    ...labels.map((label) => `${perMessage.map((map) => cell(map.get(label))).join('')}  ${label}`),
    `profiles: ${phases.map(([, phase]) => phase.profile?.file).join(', ')}`,
  ];
}

function flowFigures(flow: Flow) {
  return {
    first_ms: round(flow.firstMs),
    stall_ms: round(flow.stallMs),
    longest_gap_ms: round(flow.longestGapMs),
  };
}

function flowCell(flow: Figures['flow']['raw']): string {
  return `first ${flow.first_ms} ms, stalls ${flow.stall_ms} ms (longest ${flow.longest_gap_ms})`;
}

/** Messages per 100 ms at the sink as a bar per bucket, highest = █. */
function spark(flow: Flow): string {
  const bars = ' ▁▂▃▄▅▆▇█';
  const top = Math.max(1, ...flow.buckets);
  const shown = flow.buckets.slice(0, 60);
  const line = shown.map((count) => bars[Math.round((count / top) * (bars.length - 1))]).join('');
  return `|${line}|${flow.buckets.length > shown.length ? '…' : ''} per ${FLOW_BUCKET_MS} ms, peak ${top}`;
}

function addCpu(a: CpuShares, b: CpuShares): CpuShares {
  return {
    bench: a.bench + b.bench,
    sink: a.sink + b.sink,
    postgres: a.postgres + b.postgres,
    redis: a.redis + b.redis,
    coresBusy: (a.coresBusy + b.coresBusy) / 2,
  };
}

function perMessage(cpu: CpuShares, messages: number) {
  const per = (us: number) => round(us / messages, 1);
  return { bench: per(cpu.bench), sink: per(cpu.sink), postgres: per(cpu.postgres), redis: per(cpu.redis) };
}

function addGc(a: GcTotals, b: GcTotals): GcTotals {
  return {
    minorMs: a.minorMs + b.minorMs,
    minorCount: a.minorCount + b.minorCount,
    majorMs: a.majorMs + b.majorMs,
    majorCount: a.majorCount + b.majorCount,
  };
}

function gcPerMessage(gc: GcTotals, messages: number) {
  return {
    minor: round((gc.minorMs * 1000) / messages, 1),
    major: round((gc.majorMs * 1000) / messages, 1),
    pauses: gc.minorCount + gc.majorCount,
  };
}

export function round(value: number, digits = 0): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
