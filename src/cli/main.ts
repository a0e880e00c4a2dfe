/**
 * The `smbwatch` command line: one module per command under cli/, each registering itself on the program.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError } from 'commander';
import { registerCommands } from './commands.js';
import { guardStdio } from '../util/terminal.js';
import { EXIT_OK, EXIT_STATUS_HELP, EXIT_USAGE } from './exit.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

let pipeHandled = false;

/**
 * A reader that stops early (`smbwatch … | head`) closes the pipe, and Node reports the next write's EPIPE as an
 * unhandled 'error' event with a stack trace. A filter should just stop: the command ends quietly, status 0.
 */
function stopQuietlyOnClosedPipe(): void {
  if (pipeHandled) return;
  pipeHandled = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      process.exit(EXIT_OK);
    });
  }
}

const WAIT_HELP = 'when another smbwatch process has the store open, wait until it is free (a watch or a long ingest lets go between steps)';

/**
 * `--wait` is accepted before the command (`smbwatch --wait alerts`) and by every command that opens a store
 * (`smbwatch alerts --db x --wait`): options are positional, so each such command declares it too.
 */
function addWaitToStoreCommands(command: Command): void {
  for (const sub of command.commands) {
    const hasDb = sub.options.some((o) => o.long === '--db');
    if (hasDb && !sub.options.some((o) => o.long === '--wait')) sub.option('--wait', WAIT_HELP);
    addWaitToStoreCommands(sub);
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  stopQuietlyOnClosedPipe();
  guardStdio(); // log text never drives the terminal (util/terminal.ts)
  const program = new Command('smbwatch')
    .description('Find abnormal SMB traffic (MITRE T1021.002) in your own network logs.')
    .version(version)
    .showHelpAfterError('(run with --help for usage)')
    // Options belong to the command they follow, so a subcommand (`rules show --output markdown`) can have an
    // option of the same name as its parent's (`rules --output json`).
    .enablePositionalOptions()
    .option('--wait', WAIT_HELP)
    .addHelpText('after', `\n${EXIT_STATUS_HELP}\n\nExamples:\n  npx smbwatch demo                  # a network with a planted lateral movement, start here\n  npx smbwatch ingest /var/log/zeek/current/conn.log && npx smbwatch run\n  npx smbwatch help run              # a command's options and examples`)
    .exitOverride();
  program.hook('preAction', async (_program, action) => {
    const wait = program.opts<{ wait?: boolean }>().wait === true || action.opts<{ wait?: boolean }>().wait === true;
    (await import('../store/duckdb-lock.js')).setDefaultLockWait(wait ? Infinity : 0);
  });
  // argv is process.argv: node, the script, then the user's arguments.
  await registerCommands(program, argv.slice(2));
  addWaitToStoreCommands(program);
  try {
    await program.parseAsync([...argv]);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (error) {
    // Help and --version exit 0; anything commander refuses is a wrong command line, status 2 as the commands say.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
    throw error;
  }
}
