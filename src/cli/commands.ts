/**
 * The list of commands. Each command module exports `register(program)` and is listed here once.
 */
import type { Command } from 'commander';

export function registerCommands(program: Command): void {
  void program;
}
