/**
 * Progress displays for long ingests: a bar on a terminal, periodic log lines for logs and scripts, or nothing.
 */
import cliProgress from 'cli-progress';
import type { IngestProgress } from '../ingest/run.js';
import type { InputOutcome } from '../ingest/ingest-input.js';
import { formatBytes } from '../util/table.js';
import { escapeControls, unguardedStderr } from '../util/terminal.js';

export type ProgressMode = 'auto' | 'bar' | 'log' | 'none';

export function createProgress(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): IngestProgress | undefined {
  const chosen = mode === 'auto' ? (stream.isTTY ? 'bar' : 'none') : mode;
  // The bar moves the cursor itself, past the guard on stderr; the input names it shows are escaped here.
  if (chosen === 'bar') return new BarProgress(stream === process.stderr ? unguardedStderr() : stream);
  if (chosen === 'log') return new LogProgress(stream);
  return undefined;
}

class BarProgress implements IngestProgress {
  private readonly bar: cliProgress.SingleBar;
  private done = 0;
  private recordCount = 0;
  private current = '';

  constructor(stream: NodeJS.WriteStream) {
    this.bar = new cliProgress.SingleBar(
      {
        stream,
        format: '{bar} {percentage}% | {done} of {total_h} | {records} records | {input}',
        hideCursor: true,
        clearOnComplete: true,
        etaBuffer: 50,
      },
      cliProgress.Presets.shades_classic,
    );
  }

  start(totalStoredBytes: number): void {
    this.bar.start(Math.max(totalStoredBytes, 1), 0, this.payload(totalStoredBytes));
  }
  input(name: string): void {
    this.current = shorten(escapeControls(name));
    this.bar.update(this.payload());
  }
  bytes(count: number): void {
    this.done += count;
    this.bar.update(this.done, this.payload());
  }
  records(count: number): void {
    this.recordCount += count;
  }
  inputDone(_outcome: InputOutcome, storedBytes: number, contentCounted: boolean): void {
    if (!contentCounted) this.done += storedBytes;
    this.bar.update(this.done, this.payload());
  }
  stop(): void {
    this.bar.stop();
  }
  private payload(total?: number): Record<string, string> {
    return {
      done: formatBytes(this.done),
      ...(total === undefined ? {} : { total_h: formatBytes(total) }),
      records: this.recordCount.toLocaleString('en-US'),
      input: this.current,
    };
  }
}

/**
 * One line per second on stderr: for non-terminals (CI logs, supervisors) and for tests that watch an ingest.
 * "bytes read" counts inputs as stored on disk: a plain file as it is read, a compressed one (.gz, .zip) when it
 * is done; while one is being read, the line says how much it has decompressed so far.
 */
class LogProgress implements IngestProgress {
  private bytesRead = 0;
  private recordsAppended = 0;
  private current = '';
  /** Decompressed bytes of the compressed input being read, if it is one. */
  private decompressed: number | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly stream: NodeJS.WriteStream) {}

  start(): void {
    this.timer = setInterval(() => this.report(), 1000);
    this.timer.unref();
  }
  input(name: string): void {
    this.current = escapeControls(name);
    this.decompressed = undefined;
  }
  bytes(count: number): void {
    this.bytesRead += count;
  }
  contentBytes(count: number): void {
    this.decompressed = (this.decompressed ?? 0) + count;
  }
  records(count: number): void {
    this.recordsAppended += count;
  }
  inputDone(_outcome: InputOutcome, storedBytes: number, contentCounted: boolean): void {
    if (!contentCounted) this.bytesRead += storedBytes;
    this.decompressed = undefined;
    this.report();
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }
  private report(): void {
    const inflating = this.decompressed === undefined ? '' : ` (${this.decompressed} bytes decompressed so far)`;
    this.stream.write(`progress: ${this.recordsAppended} records, ${this.bytesRead} bytes read, input ${this.current}${inflating}\n`);
  }
}

function shorten(name: string): string {
  return name.length > 60 ? `…${name.slice(-59)}` : name;
}
