/**
 * Writing results for people and pipes: streamed output waits for the pipe to drain, so a large result never piles
 * up in memory behind a slow reader (a reader that goes away is handled in main.ts); tables fit the terminal.
 */
import type { TableOptions } from '../util/table.js';

/** Writes to stdout, waiting while the pipe is full. */
export async function writeOut(text: string): Promise<void> {
  if (text === '' || process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}

/** The widest cell a table shows by default (`--wide` shows cells whole). */
export const MAX_CELL_WIDTH = 80;

/**
 * The width tables are fitted to: the terminal's, when stdout is one; else $COLUMNS when set (`COLUMNS=100 smbwatch
 * … | less`); else none — a file or a pipe gets whole lines.
 */
export function terminalWidth(): { width?: number } {
  if (process.stdout.isTTY && process.stdout.columns > 0) return { width: process.stdout.columns };
  const columns = Number(process.env.COLUMNS);
  return Number.isInteger(columns) && columns > 0 ? { width: columns } : {};
}

/**
 * Table options for the screen: fitted to the terminal, long values cut at MAX_CELL_WIDTH (`cutCells`); with
 * `wide`, everything whole.
 */
export function screenTable(options: TableOptions & { readonly wide?: boolean; readonly cutCells?: boolean } = {}): TableOptions {
  const { wide, cutCells, ...table } = options;
  if (wide) return table;
  return { ...table, ...terminalWidth(), ...(cutCells ? { maxCellWidth: MAX_CELL_WIDTH } : {}) };
}
