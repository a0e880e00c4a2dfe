/**
 * The demo's store at its default size (the one `npm start` builds), built once per machine and code version and
 * shared by the test files that read it (explain, report, ui): generating and ingesting it takes about a minute.
 * Each caller gets its own copy of the DuckDB file, so test files never contend for the store's lock.
 *
 * The build runs under a lock directory; a second test file waits for the first. The cache key hashes the demo
 * generator's sources, so a changed generator never serves an old store.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_DEMO_OPTIONS } from '../../src/demo/generate.js';
import { runDemo } from '../../src/demo/run.js';

const SOURCES = fileURLToPath(new URL('../../src/', import.meta.url));

function cacheKey(): string {
  const hash = createHash('sha256');
  for (const dir of ['demo', 'sources', 'ingest', 'store', 'rules', 'alerts', 'kql']) {
    const walk = (path: string): void => {
      for (const name of readdirSync(path).sort()) {
        const full = join(path, name);
        if (statSync(full).isDirectory()) walk(full);
        else hash.update(name).update(readFileSync(full));
      }
    };
    walk(join(SOURCES, dir));
  }
  return hash.digest('hex').slice(0, 16);
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Builds the shared demo store if needed; returns the directory holding demo.duckdb and manifest.json. */
async function sharedDemo(): Promise<string> {
  const dir = join(tmpdir(), `smbwatch-test-demo-${cacheKey()}`);
  const done = join(dir, 'READY');
  const lock = `${dir}.lock`;
  for (;;) {
    if (existsSync(done)) return dir;
    try {
      mkdirSync(lock);
    } catch {
      // Another test file is building it; a lock older than 10 minutes is from a dead run.
      if (Date.now() - statSync(lock, { throwIfNoEntry: false })!.mtimeMs > 600_000) rmSync(lock, { recursive: true, force: true });
      await sleep(500);
      continue;
    }
    try {
      if (!existsSync(done)) {
        rmSync(dir, { recursive: true, force: true });
        await runDemo({ dir, db: join(dir, 'demo.duckdb'), ...DEFAULT_DEMO_OPTIONS });
        mkdirSync(join(dir, 'READY'));
      }
      return dir;
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
}

/** A private copy of the default demo store (one alert stored by the seed rule at T) in `into`. */
export async function demoStoreCopy(into: string): Promise<{ db: string; manifestPath: string }> {
  const dir = await sharedDemo();
  const db = join(into, 'demo.duckdb');
  copyFileSync(join(dir, 'demo.duckdb'), db);
  return { db, manifestPath: join(dir, 'manifest.json') };
}
