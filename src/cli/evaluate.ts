/**
 * `smbwatch evaluate` (and `npm run evaluate`): the labeled evaluation. Builds the lab networks, backtests the
 * seed rule v1.0.0 and v1.0.1, a Splunk-style spike rule and smbwatch's own rule over each, and writes
 * EVALUATION.md.
 */
import { writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { EVALUATION_LABS, type LabFamily, type LabSpec } from '../demo/lab/profile.js';
import { labId, parseLabId } from '../evaluate/labs.js';
import { renderEvaluation } from '../evaluate/report.js';
import { labsOf, rulesUnderTest, runEvaluation } from '../evaluate/run.js';
import { CommandError, collect, reportErrors } from './run.js';

interface EvaluateOptions {
  dir: string;
  family: LabFamily | 'all';
  lab: string[];
  rule: string[];
  out?: string;
  json?: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  program
    .command('evaluate')
    .description("Score the SMB rules on labeled lab networks (attacks and benign look-alikes) and write the comparison")
    .addOption(new Option('--dir <path>', 'where the labs (logs, manifests, stores) are kept and reused').default('./smbwatch-evaluation'))
    .addOption(new Option('--family <name>', 'which labs: the development family, the held-out one, or both').choices(['dev', 'holdout', 'all']).default('all'))
    .option('--lab <id>', 'this lab instead of the standard ones (repeatable): family-seed-workstations-sensors', collect, [])
    .option('--rule <key>', 'only this rule (repeatable): seed-1.0.0, seed-1.0.1, splunk-spike, smbwatch', collect, [])
    .option('--out <file>', 'write the report (Markdown) to this file instead of standard output')
    .option('--json <file>', 'also write every score as JSON')
    .option('--quiet', 'no progress on standard error')
    .addHelpText(
      'after',
      `
The standard labs (family-seed-workstations-sensors; sensors zeek, zeek-dual, endpoint or mixed):
${EVALUATION_LABS.map((spec) => `  ${labId(spec)}`).join('\n')}

Each lab is 28 days of SMB logs written as its sensors would write them (Zeek conn, Sysmon and Windows Firewall
events), with ten lateral-movement episodes (seven kinds plus three real OTRF episodes) and seven benign
look-alikes planted and labeled in <dir>/<lab>/manifest.json. Labs are generated and ingested once and reused.
Every rule runs daily over the last 15 days (as \`smbwatch backtest\`); a run flags sources, each flagged source
is one alert. See docs/detector.md.

Examples:
  npm run evaluate                                        # every standard lab and rule, into EVALUATION.md
  npx smbwatch evaluate --family holdout --out /tmp/holdout.md
  npx smbwatch evaluate --lab dev-7-300-zeek --rule smbwatch  # a small lab of your own seed, one rule`,
    )
    .action(async (options: EvaluateOptions) => {
      process.exitCode = await reportErrors('evaluate', () => evaluateCommand(options));
    });
}

async function evaluateCommand(options: EvaluateOptions): Promise<number> {
  const labs = selectLabs(options);
  const all = rulesUnderTest();
  const unknown = options.rule.filter((key) => !all.some((r) => r.key === key));
  if (unknown.length > 0) throw new CommandError(`unknown rule ${unknown.join(', ')}; known: ${all.map((r) => r.key).join(', ')}`);
  const rules = options.rule.length > 0 ? all.filter((r) => options.rule.includes(r.key)) : all;
  const started = Date.now();
  const evaluation = await runEvaluation({
    workDir: resolve(options.dir),
    labs,
    rules,
    progress: (message) => {
      if (!options.quiet) process.stderr.write(`[${Math.round((Date.now() - started) / 1000)} s] ${message}\n`);
    },
  });
  const report = renderEvaluation(evaluation, {
    generatedAt: new Date(),
    machine: `${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
    command: options.family === 'all' && options.lab.length === 0 && options.rule.length === 0 ? 'npm run evaluate' : `smbwatch evaluate ${describe(options)}`,
  });
  if (options.out) await writeFile(options.out, report);
  else process.stdout.write(report);
  if (options.json) await writeFile(options.json, `${JSON.stringify(evaluation, null, 1)}\n`);
  return 0;
}

function selectLabs(options: EvaluateOptions): LabSpec[] {
  const chosen = options.lab.map((id) => {
    const spec = parseLabId(id);
    if (typeof spec === 'string') throw new CommandError(`--lab ${spec}`);
    return spec;
  });
  return labsOf(options.family, chosen.length > 0 ? chosen : EVALUATION_LABS);
}

function describe(options: EvaluateOptions): string {
  return [
    options.family !== 'all' ? `--family ${options.family}` : '',
    ...options.lab.map((l) => `--lab ${l}`),
    ...options.rule.map((r) => `--rule ${r}`),
  ].filter(Boolean).join(' ');
}
