/**
 * The watcher's log: one timestamped line per event on stderr (stdout belongs to the stdout sink).
 */
export interface WatchLog {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function streamLog(write: (line: string) => void = (line) => process.stderr.write(line), now: () => Date = () => new Date()): WatchLog {
  const line = (level: string) => (message: string) => write(`${now().toISOString()} ${level} ${message}\n`);
  return { info: line('info '), warn: line('warn '), error: line('error') };
}

/** A log that keeps its lines (tests, and callers that report them later). */
export function memoryLog(): WatchLog & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (message) => lines.push(`info ${message}`),
    warn: (message) => lines.push(`warn ${message}`),
    error: (message) => lines.push(`error ${message}`),
  };
}
