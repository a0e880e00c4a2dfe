/**
 * `smbwatch ui`: the local web app over the store (src/ui/). Runs until interrupted.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { storeAddress, storeMayExist, addressText } from '../store/engines.js';
import { startUi } from '../ui/server.js';
import { dbOption } from './options.js';
import { CommandError, EXIT_FAILED, loadRulesOption, reportErrors } from './run.js';

interface UiOptions {
  db?: string;
  rules?: string;
  host: string;
  port: number;
}

function portNumber(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new InvalidArgumentError('a port number from 0 to 65535');
  return value;
}

export function register(program: Command): void {
  program
    .command('ui')
    .description('A local web app over the store: alerts, their evidence with charts, rules with live stage counts, backtest tuning, ingest status')
    .addOption(dbOption())
    .option('--rules <path>', 'also load the rules in this YAML file or directory')
    .option('--host <address>', 'the address to listen on; any other than loopback requires the access token it prints', '127.0.0.1')
    .option('--port <n>', 'the port (0: any free one)', portNumber, 8787)
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch ui --db ./smbwatch-demo/demo.duckdb      # then open http://127.0.0.1:8787/

Read-only: the store is opened read-only for each request (other smbwatch commands may write between
requests) and nothing is stored; backtests run in memory. Listening on another address than loopback
(--host 0.0.0.0) prints a random access token in the address to open; every request must carry it.`,
    )
    .action(async (options: UiOptions) => {
      process.exitCode = await reportErrors('ui', () => uiCommand(options));
    });
}

async function uiCommand(options: UiOptions): Promise<number> {
  const address = storeAddress(options.db);
  if (!storeMayExist(address)) throw new CommandError(`no store at ${addressText(address)} (give --db)`, EXIT_FAILED);
  const rules = loadRulesOption(options.rules);
  const ui = await startUi({ address, rules, host: options.host, port: options.port });
  const open = ui.token ? `${ui.url}?token=${ui.token}` : ui.url;
  process.stdout.write(`smbwatch ui: ${open}  (store ${addressText(address)}; Ctrl-C stops it)\n`);
  if (ui.token) process.stdout.write('Listening beyond loopback: every request needs the token above (open the address once; a cookie keeps it).\n');
  await new Promise<void>((resolve) => {
    const stop = (): void => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await ui.close();
  return 0;
}
