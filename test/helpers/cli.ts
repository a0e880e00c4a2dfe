/**
 * Running the built CLI (`bin/smbwatch.js` over `dist/`) the way a user does. `npm test` builds first.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/smbwatch.js', import.meta.url));

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string): CliResult {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 120_000, ...(cwd ? { cwd } : {}) });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

export { spawn };

/**
 * `runCli` without blocking the test's event loop: what a test that also serves or watches something in-process
 * needs (a cluster's health checks, a hook's timeout), and on a loaded machine a slow command is then ended by the
 * test's own timeout rather than by a fixed one here.
 */
export function runCliAsync(args: readonly string[], env: NodeJS.ProcessEnv = {}, cwd?: string, timeoutMs = 15 * 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    // `timeout` kills a command that outlives any test's timeout, so none is left running after its test gave up.
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs, killSignal: 'SIGKILL', ...(cwd ? { cwd } : {}) });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', reject);
    child.on('close', (status) =>
      resolve({ status, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}
