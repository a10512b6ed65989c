import type { WriteStream } from 'node:tty';
import { MultiBar, Presets } from 'cli-progress';
import { type Io, println } from './io.ts';

export interface Progress {
  update(done: number): void;
  /** A line printed above the bar (or as it is, without one). */
  log(line: string): void;
  stop(): void;
}

/**
 * A progress bar on stderr for long work, drawn only on a terminal and only when the work is big
 * enough to wait for; elsewhere (a pipe, CI, a test) lines pass through and nothing else is drawn.
 */
export function startProgress(io: Io, total: number, label: string, minimum: number): Progress {
  const terminal = (io.stderr as Partial<WriteStream>).isTTY === true;
  if (!terminal || total < minimum) {
    return { update() {}, log: (line) => println(io.stderr, line), stop() {} };
  }
  const bars = new MultiBar(
    {
      stream: io.stderr as WriteStream,
      format: `${label} [{bar}] {percentage}% | {eta_formatted} left`,
      hideCursor: true,
      clearOnComplete: true,
    },
    Presets.shades_classic,
  );
  const bar = bars.create(total, 0);
  return {
    update: (done) => bar.update(done),
    log: (line) => bars.log(`${line}\n`),
    stop: () => bars.stop(),
  };
}
