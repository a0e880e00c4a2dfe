/**
 * Sharing one DuckDB store file between smbwatch processes. DuckDB lets one process at a time open a file (an OS
 * lock); a second one gets "Could not set lock on file … held in /usr/bin/node (PID n)". What this adds:
 *  - the holder: the process that has the store open keeps `<db>.holder.json` ({pid, command, since}), so another
 *    command meeting the lock says which smbwatch command holds it, not just "node";
 *  - waiting: with --wait a command tries again until the store is free, and while it waits it leaves a marker in
 *    `<db>.waiting/`. A long-running holder (watch, a long ingest) looks for markers between its steps and lets go
 *    of the store until the waiters are done (DuckDbStore.letOthersIn).
 * Markers and holder files of processes that no longer run are ignored (and cleaned up).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Holder {
  readonly pid: number;
  /** The command line, e.g. `smbwatch watch --config smbwatch.yaml`. */
  readonly command: string;
  /** ISO time it took the store. */
  readonly since: string;
}

/** The store is held by another process (and the caller did not wait, or waited long enough). */
export class StoreBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StoreBusyError';
  }
}

const POLL_MS = 100;
/** How long a command waits for a busy store unless told (`--wait [SECONDS]` sets it for the process). */
let defaultWaitMs = 0;

export function setDefaultLockWait(ms: number): void {
  defaultWaitMs = ms;
}

export function defaultLockWait(): number {
  return defaultWaitMs;
}

/** This process's command line as people typed it; passwords in URLs masked. */
export function commandLine(): string {
  return ['smbwatch', ...process.argv.slice(2)].map((arg) => arg.replace(/(\/\/[^/@:]*:)[^@/]*@/, '$1***@')).join(' ');
}

const holderFile = (path: string): string => `${path}.holder.json`;
const waitingDir = (path: string): string => `${path}.waiting`;

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readJson(file: string): Holder | undefined {
  try {
    const value = JSON.parse(readFileSync(file, 'utf8')) as Holder;
    return typeof value.pid === 'number' && typeof value.command === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Says that this process holds the store; returns what undoes it. */
export function markHolder(path: string, command: string = commandLine()): () => void {
  const file = holderFile(path);
  try {
    writeFileSync(file, JSON.stringify({ pid: process.pid, command, since: new Date().toISOString() } satisfies Holder));
  } catch {
    return () => undefined; // a read-only directory: the lock still works, the message is just less precise
  }
  return () => {
    if (readJson(file)?.pid === process.pid) rmSync(file, { force: true });
  };
}

/** The smbwatch process holding the store, if one says so and still runs. */
export function currentHolder(path: string): Holder | undefined {
  const holder = readJson(holderFile(path));
  return holder && holder.pid !== process.pid && alive(holder.pid) ? holder : undefined;
}

/** The processes waiting for the store (not this one), oldest first. */
export function waiters(path: string): Holder[] {
  let names: string[];
  try {
    names = readdirSync(waitingDir(path));
  } catch {
    return [];
  }
  const found: Holder[] = [];
  for (const name of names) {
    const file = join(waitingDir(path), name);
    const waiter = readJson(file);
    if (!waiter || !alive(waiter.pid)) rmSync(file, { force: true });
    else if (waiter.pid !== process.pid) found.push(waiter);
  }
  return found.sort((a, b) => a.since.localeCompare(b.since));
}

function markWaiting(path: string): () => void {
  const dir = waitingDir(path);
  const file = join(dir, `${process.pid}.json`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify({ pid: process.pid, command: commandLine(), since: new Date().toISOString() } satisfies Holder));
  } catch {
    return () => undefined;
  }
  return () => rmSync(file, { force: true });
}

export function isLockError(error: unknown): boolean {
  return error instanceof Error && /Could not set lock on file/.test(error.message);
}

export function describeHolder(path: string, error?: unknown): string {
  const holder = currentHolder(path);
  if (holder) return `\`${holder.command}\` (PID ${holder.pid}, since ${holder.since.replace(/\.\d+Z$/, 'Z')})`;
  const pid = error instanceof Error ? /\(PID (\d+)\)/.exec(error.message)?.[1] : undefined;
  return pid ? `another process (PID ${pid})` : 'another process';
}

function busy(path: string, error: unknown, waitedMs: number): StoreBusyError {
  const advice = waitedMs > 0 ? `gave up after waiting ${Math.round(waitedMs / 1000)} s` : 'try again when it is done, or add --wait to wait for it';
  return new StoreBusyError(`the store ${path} is in use by ${describeHolder(path, error)}; ${advice}`);
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });

export interface LockWait {
  /** How long to wait for a busy store, in ms (0: not at all; Infinity: until it is free). */
  readonly waitMs?: number;
  readonly signal?: AbortSignal;
  /** Called once when the store is found busy and waiting begins. */
  readonly onWait?: (holder: string) => void;
}

/** Opens the store with `open`, waiting for another process to let go of it as `wait` says. */
export async function openLocked<T>(path: string, open: () => Promise<T>, wait: LockWait = {}): Promise<T> {
  const waitMs = wait.waitMs ?? defaultWaitMs;
  const started = Date.now();
  let unmark: (() => void) | undefined;
  try {
    for (;;) {
      try {
        return await open();
      } catch (error) {
        if (!isLockError(error)) throw error;
        const waited = Date.now() - started;
        if (waited >= waitMs || wait.signal?.aborted) throw busy(path, error, waitMs > 0 ? waited : 0);
        if (!unmark) {
          unmark = markWaiting(path);
          wait.onWait?.(describeHolder(path, error));
        }
        await sleep(Math.min(POLL_MS, waitMs - waited), wait.signal);
      }
    }
  } finally {
    unmark?.();
  }
}

/** Waits while other processes wait for the store (the caller has let go of it). */
export async function untilNoWaiters(path: string, signal?: AbortSignal): Promise<void> {
  while (waiters(path).length > 0 && !signal?.aborted) await sleep(POLL_MS, signal);
}
