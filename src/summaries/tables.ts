/**
 * The summary tables smbwatch writes (src/summaries/run.ts) and their columns: what the store creates, what the
 * KQL catalog declares, and what embedded ClickHouse copies from a DuckDB store.
 */
import type { SummaryColumn } from '../store/engine.js';

const column = (name: string, type: SummaryColumn['type']): SummaryColumn => ({ name, type });

/**
 * The summary tables smbwatch writes, with their columns: the summary rule's result columns in order, then `Type`
 * (the table's name, as Log Analytics adds it). NetworkSummary_Protocol_CL is the one Network Session Essentials'
 * analytic rules and hunting queries read.
 */
export const SUMMARY_TABLES: ReadonlyMap<string, readonly SummaryColumn[]> = new Map([
  ['NetworkSummary_Protocol_CL', [
    column('NetworkProtocol', 'string'), column('DstPortNumber', 'int'), column('DstAppName', 'string'),
    column('NetworkDirection', 'string'), column('DvcAction', 'string'), column('TimeGenerated', 'datetime'),
    column('count_', 'long'), column('EventTime', 'datetime'), column('Type', 'string'),
  ]],
]);

/** The fields Log Analytics adds to every summary rule result (besides `Type`). */
export const SUMMARY_FIELDS: readonly SummaryColumn[] = [
  { name: '_RuleName', type: 'string' },
  { name: '_BinSize', type: 'int' },
  { name: '_BinStartTime', type: 'datetime' },
];

