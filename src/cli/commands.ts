/**
 * The list of commands, in the order `smbwatch --help` shows them: a user's path from logs to alerts. Each
 * command module exports `register(program)` and is listed here once.
 */
import type { Command } from 'commander';
import { register as registerIngest } from './ingest.js';
import { register as registerFormats } from './formats.js';
import { register as registerStatus } from './status.js';
import { register as registerRejects } from './rejects.js';
import { register as registerQuery } from './query.js';
import { register as registerRules } from './rules.js';
import { register as registerRun } from './run.js';
import { register as registerBacktest } from './backtest.js';
import { register as registerAlerts } from './alerts.js';
import { register as registerWatch } from './watch.js';
import { register as registerDemo } from './demo.js';

export function registerCommands(program: Command): void {
  for (const register of [
    registerIngest,
    registerFormats,
    registerStatus,
    registerRejects,
    registerQuery,
    registerRules,
    registerRun,
    registerBacktest,
    registerAlerts,
    registerWatch,
    registerDemo,
  ]) {
    register(program);
  }
}
