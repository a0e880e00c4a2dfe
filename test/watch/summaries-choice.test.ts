/**
 * Which summary rules a watcher keeps up (`summaries:` in smbwatch.yaml): by default only those whose table a
 * configured rule reads, so a watch of the SMB rule alone does no summary work on its ticks.
 */
import { describe, expect, it } from 'vitest';
import { builtinSummaryRules, summaryRulesFor } from '../../src/summaries/rule.js';
import { parseWatchConfig } from '../../src/watch/config.js';

describe('summary rules kept up by watch', () => {
  const all = builtinSummaryRules();
  const protocol = all.find((rule) => rule.destinationTable === 'NetworkSummary_Protocol_CL')!;

  it('ships the solution summary rule the port-misuse hunting queries read', () => {
    expect(protocol).toBeDefined();
  });

  it('auto: only the rules whose table a query names, as a whole word', () => {
    expect(summaryRulesFor('auto', ['_Im_NetworkSession | where DstPortNumber == 445'])).toEqual([]);
    expect(summaryRulesFor('auto', ['union isfuzzy=true NetworkSummary_Protocol_CL, (_Im_NetworkSession)']).map((r) => r.id)).toEqual([protocol.id]);
    // A longer name that merely begins with the table's is another table.
    expect(summaryRulesFor('auto', ['NetworkSummary_Protocol_CL_old | take 1'])).toEqual([]);
  });

  it('all and none', () => {
    expect(summaryRulesFor('all', []).map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect(summaryRulesFor('none', ['NetworkSummary_Protocol_CL'])).toEqual([]);
  });

  it('the config key: auto by default, all or none when asked, anything else is an error naming it', () => {
    expect(parseWatchConfig('inputs: [./logs]\n', '/tmp/a.yaml', {}).summaries).toBe('auto');
    expect(parseWatchConfig('inputs: [./logs]\nsummaries: all\n', '/tmp/a.yaml', {}).summaries).toBe('all');
    expect(() => parseWatchConfig('inputs: [./logs]\nsummaries: some\n', '/tmp/a.yaml', {})).toThrow(/summaries.*must be one of auto, all, none/s);
  });
});
