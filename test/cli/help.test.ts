/**
 * `--help` teaches: every command and subcommand ends with examples of itself, written the way they run after
 * `npm ci` (`npx smbwatch …`: a bare `smbwatch` is not on PATH unless the user ran `npm link`), and `query`'s
 * help names the table a query reads. The help texts are taken from the registered commands, in process.
 */
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS, registerCommands } from '../../src/cli/commands.js';

interface HelpText {
  readonly path: string;
  readonly text: string;
}

async function helpTexts(): Promise<HelpText[]> {
  const program = new Command('smbwatch').enablePositionalOptions();
  await registerCommands(program, []);
  const texts: HelpText[] = [];
  const visit = (command: Command, path: string): void => {
    let text = '';
    command.configureOutput({ writeOut: (chunk) => void (text += chunk), writeErr: (chunk) => void (text += chunk) });
    command.outputHelp();
    texts.push({ path, text });
    for (const sub of command.commands) visit(sub, `${path} ${sub.name()}`);
  };
  for (const command of program.commands) visit(command, command.name());
  return texts;
}

describe('--help of every command', () => {
  it('ends with examples of the command itself, run through npx; never a bare smbwatch', async () => {
    const texts = await helpTexts();
    expect(texts.map((help) => help.path)).toEqual(expect.arrayContaining([...COMMANDS.map((command) => command.name), 'rules show', 'alerts show', 'alerts rm', 'inputs rm']));
    const problems: string[] = [];
    for (const { path, text } of texts) {
      const examples = /\nExamples:\n((?: {2}\S.*\n?)+)/.exec(text)?.[1];
      if (examples === undefined) {
        problems.push(`${path}: no "Examples:" block`);
        continue;
      }
      const lines = examples.trimEnd().split('\n');
      if (!lines.some((line) => line.startsWith(`  npx smbwatch ${path}`))) problems.push(`${path}: no example runs "npx smbwatch ${path}"`);
      for (const line of lines) {
        if (!/^ {2}(npx smbwatch|npm run|npm start) /.test(`${line} `)) problems.push(`${path}: example not run through npx: ${line.trim()}`);
      }
      for (const line of text.split('\n')) if (/^\s+smbwatch /.test(line)) problems.push(`${path}: bare smbwatch: ${line.trim()}`);
    }
    expect(problems).toEqual([]);
  });

  it('query names the table its queries read', async () => {
    const query = (await helpTexts()).find((help) => help.path === 'query')!;
    expect(query.text).toContain('The store\'s records are in the table ASimNetworkSessionLogs');
    expect(query.text).toMatch(/npx smbwatch query '.*ASimNetworkSessionLogs \|/);
  });
});
