import { readdirSync, readFileSync } from 'node:fs';
import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { SmtpSink } from './smtp-sink.ts';

/** CPU time (µs) of each party while a phase runs, and how busy the machine's cores were. */
export interface CpuShares {
  bench: number;
  sink: number;
  postgres: number;
  redis: number;
  /** Busy share of all cores over the phase, 0..1, every process on the machine included. */
  coresBusy: number;
}

interface CpuSnapshot {
  bench: number;
  sink: number;
  services: Record<'postgres' | 'redis', Map<number, number>>;
  system: { busy: number; total: number };
}

const TICK_US = 1e6 / 100; // USER_HZ is 100 on Linux
const SERVICE_COMMANDS = { postgres: 'postgres', 'redis-server': 'redis' } as const;

/** Reads the CPU counters of this process, the sink, the local Postgres and Redis processes and the machine. */
export async function cpuSnapshot(sink: SmtpSink): Promise<CpuSnapshot> {
  const self = process.cpuUsage();
  const sinkStats = await sink.stats();
  const services = { postgres: new Map<number, number>(), redis: new Map<number, number>() };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
      const service = SERVICE_COMMANDS[comm as keyof typeof SERVICE_COMMANDS];
      if (!service) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      services[service].set(Number(entry), (Number(fields[11]) + Number(fields[12])) * TICK_US);
    } catch {
      // The process ended while we looked.
    }
  }
  const cpuLine = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const ticks = cpuLine.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((sum, value) => sum + value, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return {
    bench: self.user + self.system,
    sink: sinkStats.cpuUs,
    services,
    system: { busy: total - idle, total },
  };
}

export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuShares {
  // Processes started during the phase (new Postgres backends) count from zero.
  const service = (name: 'postgres' | 'redis') => {
    let sum = 0;
    for (const [pid, used] of after.services[name]) sum += used - (before.services[name].get(pid) ?? 0);
    return sum;
  };
  const total = after.system.total - before.system.total;
  return {
    bench: after.bench - before.bench,
    sink: after.sink - before.sink,
    postgres: service('postgres'),
    redis: service('redis'),
    coresBusy: total > 0 ? (after.system.busy - before.system.busy) / total : 0,
  };
}

/** Counts calls by a short label while `active`; installed once on a prototype. */
export class CallCounter {
  active = false;
  readonly counts = new Map<string, number>();

  add(label: string): void {
    if (this.active) this.counts.set(label, (this.counts.get(label) ?? 0) + 1);
  }

  total(exclude: (label: string) => boolean = () => false): number {
    let sum = 0;
    for (const [label, count] of this.counts) if (!exclude(label)) sum += count;
    return sum;
  }

  /** The most frequent labels first. */
  top(limit: number): [string, number][] {
    return [...this.counts].sort((a, b) => b[1] - a[1]).slice(0, limit);
  }
}

/** The benchmark's own `findIssue` polls; left out of the per-message query count. */
export const isPollQuery = (label: string) => label.startsWith('select * from "issues" where "cadence"');

type AnyMethod = (this: unknown, ...args: unknown[]) => unknown;

/** Counts every query any `pg` client of this process sends, labelled by its first words. */
export function countPgQueries(counter: CallCounter): void {
  const proto = pg.Client.prototype as unknown as { query: AnyMethod };
  const original = proto.query;
  proto.query = function (this: unknown, ...args: unknown[]) {
    if (counter.active) {
      const first = args[0];
      const text = typeof first === 'string' ? first : ((first as { text?: string })?.text ?? '?');
      counter.add(text.replace(/\s+/g, ' ').trim().slice(0, 72));
    }
    return original.apply(this, args);
  };
}

/** Counts every command any ioredis client of this process sends (BullMQ's scripts included). */
export function countRedisCommands(counter: CallCounter): void {
  const proto = Redis.prototype as unknown as { sendCommand: AnyMethod };
  const original = proto.sendCommand;
  proto.sendCommand = function (this: unknown, ...args: unknown[]) {
    if (counter.active) counter.add((args[0] as { name?: string })?.name ?? '?');
    return original.apply(this, args);
  };
}

export interface GcTotals {
  minorMs: number;
  minorCount: number;
  majorMs: number;
  majorCount: number;
}

const gcEntries: PerformanceEntry[] = [];
const gcObserver = new PerformanceObserver((list) => {
  gcEntries.push(...list.getEntries());
});
gcObserver.observe({ entryTypes: ['gc'] });

/** Garbage collection pauses of this process that started between two `performance.now()` times. */
export function gcBetween(startMs: number, endMs: number): GcTotals {
  gcEntries.push(...gcObserver.takeRecords());
  const totals: GcTotals = { minorMs: 0, minorCount: 0, majorMs: 0, majorCount: 0 };
  for (const entry of gcEntries) {
    if (entry.startTime < startMs || entry.startTime > endMs) continue;
    const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
      totals.minorMs += entry.duration;
      totals.minorCount++;
    } else {
      totals.majorMs += entry.duration;
      totals.majorCount++;
    }
  }
  return totals;
}

let gc: (() => void) | undefined;

export interface Memory {
  rssMb: number;
  heapMb: number;
  /** Buffers and other memory outside the V8 heap. */
  externalMb: number;
}

/** RSS, heap and external memory in MB after a full garbage collection (when V8 lets us trigger one). */
export function memoryAfterGc(): Memory {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as (() => void) | undefined;
  }
  gc?.();
  const usage = process.memoryUsage();
  return {
    rssMb: usage.rss / 2 ** 20,
    heapMb: usage.heapUsed / 2 ** 20,
    externalMb: usage.external / 2 ** 20,
  };
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
}

/** Starts V8's sampling profiler in this process; `stop` writes the .cpuprofile and returns its summary. */
export async function startProfile(): Promise<{ stop(file: string): Promise<ProfileSummary> }> {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      session.disconnect();
      const { writeFile } = await import('node:fs/promises');
      await writeFile(file, JSON.stringify(profile));
      return { file, ...summariseProfile(profile) };
    },
  };
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  /** Self time by package (node_modules package, workspace folder or node internals). */
  byPackage: [string, number][];
  /** Self time by function. */
  byFunction: [string, number][];
}

function summariseProfile(profile: Profile): Omit<ProfileSummary, 'file'> {
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  (profile.samples ?? []).forEach((id, index) => {
    const ms = (profile.timeDeltas?.[index] ?? 0) / 1000;
    const frame = nodes.get(id)?.callFrame;
    if (!frame) return;
    totalMs += ms;
    const where = packageOf(frame.url, frame.functionName);
    byPackage.set(where, (byPackage.get(where) ?? 0) + ms);
    const name = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
  });
  const sorted = (map: Map<string, number>) => [...map].sort((a, b) => b[1] - a[1]).slice(0, 15);
  return { totalMs, byPackage: sorted(byPackage), byFunction: sorted(byFunction) };
}

function packageOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const [scope, name] = url.slice(modules + '/node_modules/'.length).split('/');
    return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? url);
  }
  if (url.startsWith('node:')) return url;
  const workspace = /\/(packages|apps|test)\/([^/]+)\//.exec(url);
  return workspace ? `${workspace[1]}/${workspace[2]}` : url;
}
