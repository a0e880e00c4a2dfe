/**
 * `smbwatch explain ALERT_ID`: the evidence behind a stored alert (src/explain/), read from the store at the
 * alert's run time with the rule's own plan.
 */
import { Option, type Command } from 'commander';
import { AlertLookupError, findAlert } from '../explain/find.js';
import { explainAlert } from '../explain/explain.js';
import { renderExplanationText } from '../explain/render.js';
import { dbOption } from './options.js';
import { isStoreError, openStore, storeAddress, storeErrorStatus } from '../store/engines.js';
import { CommandError, EXIT_FAILED, loadRulesOption, reportErrors } from './run.js';

interface ExplainOptions {
  db?: string;
  rules?: string;
  output: 'text' | 'json';
}

export function register(program: Command): void {
  program
    .command('explain')
    .description("Explain a stored alert: its source's daily series, the destinations behind it, how the rule scored it")
    .argument('<alert-id>', 'an alert id, or a unique prefix of one (the id column of `smbwatch alerts`)')
    .addOption(dbOption())
    .option('--rules <path>', "where the alert's rule is, when it is not built in (a rule YAML file or directory)")
    .addOption(new Option('--output <format>', 'output format').choices(['text', 'json']).default('text'))
    .addHelpText(
      'after',
      `
Examples:
  npx smbwatch alerts --db ./smbwatch-demo/demo.duckdb
  npx smbwatch explain e653a5af --db ./smbwatch-demo/demo.duckdb

Everything is counted over the store at the alert's run time T with the rule's own query plan: the alert's
group (the seed rule: source and port; a rule counting per source: the source) with its sessions and
destinations per day over the look-back (zero days included), the recent window's destinations (sessions,
failures, attempts without a reply, first and last time, whether the baseline saw them), the formulas of the
computed fields with the row's values, and rows in and out of each stage. For other rules: the row and the stage
counts. The store is only read; see docs/explain.md.`,
    )
    .action(async (id: string, options: ExplainOptions) => {
      process.exitCode = await reportErrors('explain', () => explainCommand(id, options));
    });
}

async function explainCommand(id: string, options: ExplainOptions): Promise<number> {
  const rules = loadRulesOption(options.rules);
  const store = await openReadOnly(options.db);
  try {
    let alert;
    try {
      alert = await findAlert(store, id);
    } catch (error) {
      if (error instanceof AlertLookupError) throw new CommandError(error.message, EXIT_FAILED);
      throw error;
    }
    const rule = rules.find((r) => r.id === alert.ruleId);
    if (!rule) throw new CommandError(`the alert's rule ${alert.ruleId} (${alert.ruleName}) is not loaded; give its file with --rules`, EXIT_FAILED);
    const explanation = await explainAlert(store, rule, alert);
    process.stdout.write(options.output === 'json' ? `${JSON.stringify(explanation, null, 2)}\n` : renderExplanationText(explanation));
    return 0;
  } finally {
    await store.close();
  }
}

/** The store named by --db, read-only; a missing or unreachable store is a CommandError. */
export async function openReadOnly(db: string | undefined) {
  try {
    return await openStore(storeAddress(db), { readOnly: true });
  } catch (error) {
    if (isStoreError(error)) throw new CommandError(error.message, storeErrorStatus(error));
    throw error;
  }
}
