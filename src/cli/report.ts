/**
 * `smbwatch report -o report.html`: one self-contained HTML file of the period's alerts, each explained with its
 * chart, and the rules' catalog pages (src/report/). Readable offline and when mailed.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { buildReport } from '../report/report.js';
import { openReadOnly } from './explain.js';
import { dbOption } from './options.js';
import { CommandError, EXIT_FAILED, parseTimeOption, loadRulesOption, reportErrors } from './run.js';

interface ReportOptions {
  db?: string;
  rules?: string;
  rule?: string;
  from?: string;
  to?: string;
  output: string;
}

export function register(program: Command): void {
  program
    .command('report')
    .description('Write one self-contained HTML report: the alerts of a period with their charts and evidence, and the rules')
    .addOption(dbOption())
    .option('--from <time>', 'only alerts of runs at or after this time (ISO 8601)')
    .option('--to <time>', 'only alerts of runs at or before this time (ISO 8601)')
    .option('--rule <id>', 'only alerts of this rule')
    .option('--rules <path>', 'also load the rules in this YAML file or directory (needed for alerts of your own rules)')
    .option('-o, --output <file>', 'the HTML file to write', 'smbwatch-report.html')
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch report --db ./smbwatch-demo/demo.duckdb -o report.html
  npx smbwatch report --from 2024-03-01T00:00:00Z --to 2024-03-31T23:59:59Z --rule 8717e498-7b5d-4e23-9e7c-fa4913dbfd79 -o march.html

The file holds everything it shows (styles, the chart library, the data): it opens offline, and its
Content-Security-Policy forbids any network request. Each alert is explained as \`smbwatch explain\` does (the
first 50 of the period; the rest are listed). The store is only read.`,
    )
    .action(async (options: ReportOptions) => {
      process.exitCode = await reportErrors('report', () => reportCommand(options));
    });
}

async function reportCommand(options: ReportOptions): Promise<number> {
  const from = options.from === undefined ? undefined : parseTimeOption('--from', options.from);
  const to = options.to === undefined ? undefined : parseTimeOption('--to', options.to);
  const rules = loadRulesOption(options.rules);
  if (options.rule && !rules.some((r) => r.id === options.rule!.toLowerCase())) {
    throw new CommandError(`unknown rule id "${options.rule}"; known: ${rules.map((r) => r.id).join(', ')}`);
  }
  const store = await openReadOnly(options.db);
  try {
    const result = await buildReport(store, rules, {
      storeLabel: store.location,
      ...(from ? { from } : {}),
      ...(to ? { to } : {}),
      ...(options.rule ? { ruleId: options.rule.toLowerCase() } : {}),
    });
    const path = resolve(options.output);
    writeFileSync(path, result.html);
    process.stdout.write(
      `wrote ${path}: ${result.alerts} alert${result.alerts === 1 ? '' : 's'} (${result.explained} explained), ${result.rules} rule page${result.rules === 1 ? '' : 's'}, ${Math.round(result.html.length / 1024)} KiB\n`,
    );
    return 0;
  } finally {
    await store.close();
  }
}
