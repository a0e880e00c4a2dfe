/**
 * BENCHMARKS.md is shared by several benchmarks: each owns one section between markers and rewrites only it.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const HEADER = `# Benchmarks

Figures written by \`npm run bench\`. Each goal is stated as a ratio against a baseline measured in the same
run on the same machine, so the figures compare across machines. Absolute times are for context only.
`;

/** `header` starts a file that does not exist yet (RELIABILITY.md uses this writer too). */
export function writeSection(path: string, name: string, body: string, header: string = HEADER): void {
  const start = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const current = existsSync(path) ? readFileSync(path, 'utf8') : header;
  const section = `${start}\n${body.trim()}\n${end}`;
  const pattern = new RegExp(`${escape(start)}[\\s\\S]*?${escape(end)}`);
  const next = pattern.test(current) ? current.replace(pattern, section) : `${current.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next.endsWith('\n') ? next : `${next}\n`);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
