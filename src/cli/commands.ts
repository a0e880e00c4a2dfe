/**
 * The list of commands, in the order `smbwatch --help` shows them: a user's path from logs to alerts. Each
 * command module exports `register(program)` and is listed here once, by the name it registers.
 *
 * Modules are loaded only when needed: a command line that names a command loads that command's module alone
 * (`smbwatch run` never loads the ingest pipeline, `smbwatch --version` loads none), while help and a name
 * commander must refuse load them all, so that the listing and "did you mean" know every command.
 */
import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

export const COMMANDS: ReadonlyArray<{ readonly name: string; readonly load: () => Promise<CommandModule> }> = [
  { name: 'ingest', load: () => import('./ingest.js') },
  { name: 'formats', load: () => import('./formats.js') },
  { name: 'status', load: () => import('./status.js') },
  { name: 'inputs', load: () => import('./inputs.js') },
  { name: 'rejects', load: () => import('./rejects.js') },
  { name: 'query', load: () => import('./query.js') },
  { name: 'rules', load: () => import('./rules.js') },
  { name: 'run', load: () => import('./run.js') },
  { name: 'hunt', load: () => import('./hunt.js') },
  { name: 'backtest', load: () => import('./backtest.js') },
  { name: 'summarize', load: () => import('./summarize.js') },
  { name: 'alerts', load: () => import('./alerts.js') },
  { name: 'explain', load: () => import('./explain.js') },
  { name: 'report', load: () => import('./report.js') },
  { name: 'ui', load: () => import('./ui.js') },
  { name: 'watch', load: () => import('./watch.js') },
  { name: 'demo', load: () => import('./demo.js') },
  { name: 'evaluate', load: () => import('./evaluate.js') },
];

/** Only the program's own options: nothing to register. */
const PROGRAM_ONLY = new Set(['-V', '--version']);

/** The commands a command line needs (its arguments after `node smbwatch`). */
export function commandsFor(args: readonly string[]): ReadonlyArray<(typeof COMMANDS)[number]> {
  const first = args[0];
  if (first !== undefined && PROGRAM_ONLY.has(first)) return [];
  const named = COMMANDS.find((command) => command.name === first);
  return named ? [named] : COMMANDS;
}

export async function registerCommands(program: Command, args: readonly string[]): Promise<void> {
  const wanted = commandsFor(args);
  const modules = await Promise.all(wanted.map((command) => command.load()));
  for (const module of modules) module.register(program);
}
