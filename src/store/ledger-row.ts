/** The ledger entry a store's ledger row holds, whichever engine stored it. */
import type { LedgerEntry } from './engine.js';

/**
 * A ledger row read as (name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored,
 * ingested_at in microseconds, head_hash): the same on every store.
 */
export function ledgerEntryOf(row: readonly unknown[]): LedgerEntry {
  const [name, format, size, offsetReached, lineReached, contentHash, records, rejects, ignored, at, headHash] = row;
  return {
    name: String(name),
    format: String(format),
    size: Number(size),
    offsetReached: Number(offsetReached),
    lineReached: Number(lineReached),
    contentHash: String(contentHash),
    records: Number(records),
    rejects: Number(rejects),
    ignored: Number(ignored),
    ingestedAt: new Date(Number(at) / 1000),
    headHash: String(headHash),
  };
}
