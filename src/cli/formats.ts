/**
 * `smbwatch formats`: what smbwatch reads and how it recognises each format.
 */
import type { Command } from 'commander';
import { SOURCE_FORMATS } from '../sources/registry.js';

export function register(program: Command): void {
  program
    .command('formats')
    .description('List the log formats smbwatch reads, how each is detected, and its ASIM parser counterpart')
    .addHelpText('after', `
Formats are recognised from content; \`smbwatch ingest --format NAME\` forces one and \`--explain-format\` says why
each input was read as what it was.

Examples:
  npx smbwatch formats
  npx smbwatch formats | grep -A4 '^nfdump'`)
    .action(() => {
      const blocks = SOURCE_FORMATS.map(
        (format) =>
          `${format.name}\n  ${format.title}\n  detected: ${format.detection}\n  ASIM parser: ${format.asimParser}` +
          (format.lineBased ? '\n  grown files: new lines are added on re-ingest' : ''),
      );
      process.stdout.write(
        `${blocks.join('\n\n')}\n\nContainers: .gz (gzip magic) and .zip (every member; members may be gzipped), recognised by content.\n`,
      );
    });
}
