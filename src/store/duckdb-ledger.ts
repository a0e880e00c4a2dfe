/**
 * The ledger as the store's connection sees it, held in memory. An ingest asks the ledger three or four questions
 * per input (its own latest entry, continuations by head hash, the same content under another name); each was a
 * DuckDB query with a fixed cost of a millisecond or two, which for a directory of small files was most of the
 * ingest. The store loads the ledger once and keeps this copy in step with its own writes; anything that could
 * make the copy differ from the connection's view (a rollback, a removed input, other processes let in) drops it,
 * and the next question loads it again.
 */
import type { LedgerEntry } from './engine.js';
import { quoteString } from './sql.js';

/** The ledger table's columns a LedgerEntry is read from, in order. */
export const LEDGER_COLUMNS = 'name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, epoch_us(ingested_at), head_hash';

/** The VALUES of a ledger row, for `INSERT INTO ledger (LEDGER_INSERT_COLUMNS)`. */
export const LEDGER_INSERT_COLUMNS = 'name, format, size, offset_reached, line_reached, content_hash, records, rejects, ignored, ingested_at, head_hash, input_id';

export function ledgerValuesSql(entry: LedgerEntry, inputId: number | undefined): string {
  return (
    `(${quoteString(entry.name)}, ${quoteString(entry.format)}, ${entry.size}, ${entry.offsetReached}, ${entry.lineReached}, ` +
    `${quoteString(entry.contentHash)}, ${entry.records}, ${entry.rejects}, ${entry.ignored}, make_timestamp(${entry.ingestedAt.getTime() * 1000}), ` +
    `${quoteString(entry.headHash ?? '')}, ${inputId ?? 'NULL'})`
  );
}

/** Newest first, as the ledger's queries order entries: by ingest time, then by how far the input was read. */
function newerFirst(a: LedgerEntry, b: LedgerEntry): number {
  return b.ingestedAt.getTime() - a.ingestedAt.getTime() || b.offsetReached - a.offsetReached;
}

function newest(entries: Iterable<LedgerEntry>): LedgerEntry | undefined {
  let best: LedgerEntry | undefined;
  for (const entry of entries) if (!best || newerFirst(entry, best) < 0) best = entry;
  return best;
}

export class LedgerIndex {
  private readonly byName = new Map<string, LedgerEntry[]>();
  private readonly byContent = new Map<string, LedgerEntry[]>();
  private readonly byHead = new Map<string, LedgerEntry[]>();

  constructor(entries: Iterable<LedgerEntry>) {
    for (const entry of entries) this.add(entry);
  }

  add(entry: LedgerEntry): void {
    push(this.byName, entry.name, entry);
    push(this.byContent, entry.contentHash, entry);
    if (entry.headHash) push(this.byHead, entry.headHash, entry);
  }

  /** The latest entry of an input. */
  latest(name: string): LedgerEntry | undefined {
    return newest(this.byName.get(name) ?? []);
  }

  /** The latest entry whose consumed content has this hash. */
  byHash(contentHash: string): LedgerEntry | undefined {
    return newest(this.byContent.get(contentHash) ?? []);
  }

  /** Of the entries with this head hash, each input's latest, longest content first. */
  byHeadHash(headHash: string): LedgerEntry[] {
    const perName = new Map<string, LedgerEntry>();
    for (const entry of this.byHead.get(headHash) ?? []) {
      const known = perName.get(entry.name);
      if (!known || newerFirst(entry, known) < 0) perName.set(entry.name, entry);
    }
    return [...perName.values()].sort((a, b) => b.offsetReached - a.offsetReached);
  }
}

function push(map: Map<string, LedgerEntry[]>, key: string, entry: LedgerEntry): void {
  const list = map.get(key);
  if (list) list.push(entry);
  else map.set(key, [entry]);
}
