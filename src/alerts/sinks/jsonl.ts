/**
 * The JSON-lines file sink: each alert appended as one line and fsync'ed before it counts as delivered, so an
 * acknowledged alert survives a crash or power loss. The file is opened in append mode, so restarts add to it.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Alert } from '../types.js';
import { alertJsonLine, type AlertSink } from './types.js';

export class JsonlSink implements AlertSink {
  private handle: FileHandle | undefined;

  constructor(
    readonly name: string,
    readonly path: string,
  ) {}

  get description(): string {
    return `jsonl ${this.path}`;
  }

  async deliver(alert: Alert): Promise<void> {
    const handle = await this.open();
    try {
      await handle.appendFile(alertJsonLine(alert), 'utf8');
      await handle.datasync();
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
    this.handle = await open(this.path, 'a');
    return this.handle;
  }
}
