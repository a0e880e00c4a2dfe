/**
 * The JSON-lines file sink: each alert appended as one line and fsync'ed before it counts as delivered, so an
 * acknowledged alert survives a crash or power loss. The file is opened in append mode, so restarts add to it.
 *
 * Exactly once in the file, even across a crash: the outbox delivers at least once (a crash after the fsync but
 * before the delivery is recorded sends the alert again), so the sink remembers the alert ids its file already
 * holds and acknowledges those without writing them twice. A line cut short by a crash mid-write (never
 * acknowledged) is removed when the file is opened, so the next alert does not run on from it.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert } from '../types.js';
import { alertJsonLine, type AlertSink } from './types.js';

export class JsonlSink implements AlertSink {
  private handle: FileHandle | undefined;
  /** Alert ids the file holds (read when the file is opened). */
  private written = new Set<string>();

  constructor(
    readonly name: string,
    readonly path: string,
  ) {}

  get description(): string {
    return `jsonl ${this.path}`;
  }

  async deliver(alert: Alert): Promise<void> {
    const handle = await this.open();
    if (this.written.has(alert.alertId)) return;
    try {
      await handle.appendFile(alertJsonLine(alert), 'utf8');
      await handle.datasync();
      this.written.add(alert.alertId);
    } catch (error) {
      // Reopen on the next attempt: the file may have been moved away or the disk remounted.
      await this.close().catch(() => undefined);
      throw error;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  /** Opened on first use (and again after a failure), so a missing directory created later is picked up. */
  private async open(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    await mkdir(dirname(this.path), { recursive: true });
    const handle = await open(this.path, 'a+');
    try {
      this.written = await repairAndIndex(handle);
    } catch (error) {
      await handle.close();
      throw error;
    }
    this.handle = handle;
    return handle;
  }
}

/** Cuts an unterminated last line (a write a crash interrupted) and returns the alert ids of the lines kept. */
async function repairAndIndex(handle: FileHandle): Promise<Set<string>> {
  const ids = new Set<string>();
  const { size } = await handle.stat();
  if (size === 0) return ids;
  const content = await handle.readFile();
  const end = content.lastIndexOf(0x0a) + 1;
  if (end < content.length) {
    await handle.truncate(end);
    await handle.datasync();
  }
  for (const line of content.subarray(0, end).toString('utf8').split('\n')) {
    const id = /"alertId":"([^"]+)"/.exec(line)?.[1];
    if (id) ids.add(id);
  }
  return ids;
}
