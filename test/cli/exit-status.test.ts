/**
 * The same kind of failure gives the same exit status in every command (src/cli/exit.ts, README "Exit status"):
 * 1 when the command could not do its work (a store missing, a file unreadable, nothing in the store matching
 * what was named), 2 when the command line is wrong as written (a malformed time or parameter, an unknown rule
 * id or option). Each kind is tried on several commands; the message names the command.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../helpers/cli.js';
import { seedFixtureRecords, writeStore } from '../run/stores.js';

const SEED_RULE = '8717e498-7b5d-4e23-9e7c-fa4913dbfd79';
const T = '2024-03-15T00:00:00Z';
let dir = '';
let db = '';
let missing = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smbwatch-test-'));
  db = join(dir, 'store.duckdb');
  missing = join(dir, 'none.duckdb');
  await writeStore(db, seedFixtureRecords());
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI without blocking, so the cases of one kind run side by side. */
function cli(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  return new Promise((resolve) => child.on('close', (status) => resolve({ status, stderr })));
}

async function expectStatus(status: number, cases: ReadonlyArray<readonly string[]>): Promise<void> {
  const results = await Promise.all(cases.map((args) => cli(args)));
  results.forEach((result, index) => {
    const args = cases[index]!;
    expect({ args, status: result.status, stderr: result.stderr }).toEqual({ args, status, stderr: result.stderr });
    // A message that says what went wrong, never a stack trace.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stderr.trim()).not.toBe('');
  });
}

describe('exit statuses, the same in every command', () => {
  it('1: the store named by --db does not exist', async () => {
    await expectStatus(1, [
      ['query', '--db', missing, 'ASimNetworkSessionLogs | take 1'],
      ['run', '--db', missing, '--at', T],
      ['alerts', '--db', missing],
    ]);
  }, 120_000);

  it('1: a file named on the command line cannot be read', async () => {
    await expectStatus(1, [
      ['ingest', '--db', join(dir, 'other.duckdb'), join(dir, 'no-such.log')],
      ['run', '--db', db, '--rules', join(dir, 'no-such-rules')],
      ['query', '--db', db, '--file', join(dir, 'no-such.kql')],
    ]);
  }, 120_000);

  it('1: nothing in the store matches the alert id or input pattern given', async () => {
    await expectStatus(1, [
      ['alerts', 'show', '--db', db, 'ffffffff'],
      ['inputs', 'rm', '--db', db, 'no-such-input'],
    ]);
  }, 120_000);

  it('2: a malformed time', async () => {
    await expectStatus(2, [
      ['run', '--db', db, '--at', 'yesterday'],
      ['query', '--db', db, '--at', 'yesterday', 'print 1'],
      ['backtest', '--db', db, '--from', 'yesterday', '--to', T],
      ['hunt', '--db', db, '--at', 'yesterday'],
    ]);
  }, 120_000);

  it('2: an unknown rule id, an unknown or mistyped --param, an unknown option or format', async () => {
    await expectStatus(2, [
      ['run', '--db', db, '--rule', 'no-such-rule', '--at', T],
      ['rules', 'show', 'no-such-rule'],
      ['query', '--db', db, '--rule', SEED_RULE, '--param', 'nosuch=1'],
      ['run', '--db', db, '--at', T, '--param', 'threshold=high'],
      ['status', '--bogus'],
    ]);
  }, 120_000);

  it('2: a --param of the wrong shape is named before the rule runs, with an example', () => {
    const result = runCli(['run', '--db', db, '--at', T, '--param', 'SMBPorts=445']);
    expect(result.status).toBe(2);
    expect(result.stderr).toBe(`smbwatch run: SMBPorts is a dynamic array of strings, e.g. '["445"]' (default dynamic(["139", "445"])); got "445"\n`);
  });

  it('smbwatch --help states them', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('Exit status (every command): 0 done');
    expect(help.stdout).toMatch(/1 it could not be\s+done/);
    expect(help.stdout).toContain('2 the command line is wrong');
  });
});
