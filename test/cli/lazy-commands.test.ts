/**
 * The command line loads only what a command needs: `--version` loads no command, `run` loads the run command's
 * modules but not the ingest pipeline; help still lists every command.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { COMMANDS, commandsFor } from '../../src/cli/commands.js';
import { CLI, runCli } from '../helpers/cli.js';
import { useTempDir } from '../helpers/tmp.js';

const tempDir = useTempDir();
const TRACE_HOOK = fileURLToPath(new URL('../helpers/module-trace.mjs', import.meta.url));

/** The modules of dist/ and the packages one smbwatch process loaded. */
function loadedModules(args: readonly string[]): { status: number | null; modules: string[] } {
  const trace = join(tempDir(), 'modules.txt');
  const result = spawnSync(process.execPath, ['--import', TRACE_HOOK, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, SMBWATCH_MODULE_TRACE: trace },
    timeout: 60_000,
  });
  const modules = readFileSync(trace, 'utf8')
    .split('\n')
    .map((url) => url.match(/\/(dist\/.*|node_modules\/(?:@[^/]+\/)?[^/]+)/)?.[1])
    .filter((name): name is string => name !== undefined);
  return { status: result.status, modules: [...new Set(modules)] };
}

describe('lazy command loading', () => {
  it('--version loads no command module, no store and no compiler', () => {
    const { status, modules } = loadedModules(['--version']);
    expect(status).toBe(0);
    expect(modules).toContain('dist/cli/main.js');
    // main.ts, the command list, the exit statuses (a few constants) and util/terminal.js (the output guard main
    // installs before anything is printed) only.
    expect(modules.filter((m) => m.startsWith('dist/') && !['dist/cli/main.js', 'dist/cli/commands.js', 'dist/cli/exit.js', 'dist/util/terminal.js'].includes(m))).toEqual([]);
    expect(modules.filter((m) => m.startsWith('node_modules/'))).toEqual(['node_modules/commander']);
  });

  it('a command loads its own module, not the others', () => {
    const { status, modules } = loadedModules(['run', '--help']);
    expect(status).toBe(0);
    expect(modules).toContain('dist/cli/run.js');
    expect(modules).not.toContain('dist/cli/ingest.js');
    expect(modules).not.toContain('dist/ingest/run.js');
  });

  it('help lists every command, and a mistyped command is still caught with a suggestion', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    for (const { name } of COMMANDS) expect(help.stdout).toMatch(new RegExp(`^  ${name} `, 'm'));
    const typo = runCli(['rnu']);
    expect(typo.status).toBe(2);
    expect(typo.stderr).toMatch(/unknown command 'rnu'[\s\S]*Did you mean run\?/);
  });

  it('each listed module registers the command it is listed under', async () => {
    const { Command } = await import('commander');
    for (const command of COMMANDS) {
      const program = new Command('smbwatch');
      (await command.load()).register(program);
      expect(program.commands.map((c) => c.name())).toEqual([command.name]);
    }
    expect(commandsFor(['--version'])).toEqual([]);
    expect(commandsFor(['run', '--at', 'x']).map((c) => c.name)).toEqual(['run']);
    expect(commandsFor(['--help'])).toBe(COMMANDS);
    expect(commandsFor([])).toBe(COMMANDS);
  });
});
