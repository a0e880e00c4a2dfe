/**
 * The contract between log formats and the ingest pipeline.
 *
 * A source format recognises its content from a sample (never from the file name), then turns a stream of
 * that content into ASIM records. It never drops input silently: every line (or element) it reads becomes a
 * record, a reject (with a reason, and the field when one is to blame), or an "ignored" event for well-formed
 * data that is simply not a network session (a dns record in a mixed Zeek stream, a Sysmon event 1, …).
 */
import type { AsimRecord } from '../asim/record.js';

/** One line of decompressed content, without its terminator. */
export interface Line {
  readonly text: string;
  /** 1-based line number within this input. */
  readonly no: number;
  /** Byte offset just past this line's terminator (or past its last byte when unterminated). */
  readonly end: number;
  /** Set when the line is longer than smbwatch reads (MAX_LINE_BYTES): `text` is then only its first bytes. */
  readonly overlongBytes?: number;
}

/** One logical input: a file, a decompressed `.gz`, or one member of a `.zip`. */
export interface SourceInput {
  /** What messages and rejects cite: an absolute path, or `archive.zip!member/path`. */
  readonly name: string;
  /** Complete lines in batches, UTF-8 decoded, BOM and `\r\n` handled. */
  lines(): AsyncIterable<Line[]>;
  /** The raw decompressed bytes. */
  bytes(): AsyncIterable<Uint8Array>;
  /** A path on local disk holding exactly this content (archive members are extracted to a temp file). */
  localFile(): Promise<string>;
}

/** The first bytes of an input, for content-based detection. */
export interface ContentSample {
  /** Up to the first 64 KiB, decoded as UTF-8 (BOM removed). */
  readonly text: string;
  /** The complete lines of `text` (the last, possibly cut, line is left out when the sample was truncated). */
  readonly lines: readonly string[];
  /** The same first bytes, undecoded (for binary formats such as Parquet). */
  readonly bytes: Uint8Array;
}

export type SniffVerdict =
  /** This format reads the content; `reason` says why (shown by `ingest --explain-format`). */
  | { readonly verdict: 'match'; readonly reason: string }
  /** Recognised, but the content holds no network sessions (a Zeek dns.log): skipped inside directories and archives. */
  | { readonly verdict: 'not-network-session'; readonly reason: string }
  | { readonly verdict: 'no'; readonly reason?: string };

export type ParseEvent =
  | { readonly kind: 'record'; readonly record: AsimRecord; readonly line: number }
  | {
      readonly kind: 'reject';
      readonly line: number;
      readonly reason: string;
      /** The field (source or ASIM name) that did not fit, when one is to blame. */
      readonly field?: string;
      /** The offending input text, as read (possibly shortened by the store). */
      readonly raw: string;
    }
  | { readonly kind: 'ignored'; readonly line: number; readonly what: string };

export interface ParseOptions {
  /** IANA zone for sources whose times carry no zone (nfdump, `[Local Time]` exports). Default UTC. */
  readonly timezone?: string;
}

/**
 * A bulk read: the store's engine reads the delimited text itself and maps it to ASIM in its own SQL, as a
 * declarative plan. Only offered for content the line parser would read without a single reject or ignored
 * line, and every conversion raises on a value it is not sure of, so the result is the line parser's
 * exactly or an error (after which the line parser reads the input).
 */
export type BulkValue =
  | { readonly op: 'const'; readonly value: string | number | null }
  /** A cell converted as the line parser converts that field; unset marker → null ("" for strings). */
  | { readonly op: 'cell'; readonly field: string; readonly as: BulkCellKind }
  /** A string cell looked up in a table; values not in the table give "". */
  | { readonly op: 'lookup'; readonly field: string; readonly table: ReadonlyMap<string, string> }
  | { readonly op: 'upper'; readonly field: string }
  /** Sum of two count cells, null when either is null (Kusto arithmetic). */
  | { readonly op: 'sum'; readonly fields: readonly [string, string] }
  /** The first non-null of time cells. */
  | { readonly op: 'firstTime'; readonly fields: readonly string[] }
  /** Zeek's direction from (local_orig, local_resp) bool cells: "" if either is null. */
  | { readonly op: 'localFlagsDirection'; readonly orig: string; readonly resp: string };

/** Cell conversions: `time` epoch seconds → datetime; `seconds-int` an interval truncated to whole seconds. */
export type BulkCellKind = 'string' | 'port' | 'count' | 'time' | 'seconds-int' | 'bool';

export interface BulkPlan {
  readonly delimiter: string;
  /** The marker of an unset cell (Zeek `-`) and of an empty string (Zeek `(empty)`). */
  readonly unset: string;
  readonly empty: string;
  /** Every column of the file, in order (all read as text). */
  readonly columns: readonly string[];
  /** Lines starting with this character are not data (headers, a trailer such as `#close`). */
  readonly comment: string;
  /** Data lines to skip (already ingested), not counting comment lines. */
  readonly skipDataLines: number;
  /** Fields that must be set in every record. */
  readonly required: readonly string[];
  /** ASIM column → its value. */
  readonly mapping: Readonly<Record<string, BulkValue>>;
  /** Lines in the content, for the ledger. */
  readonly lines: number;
  /**
   * The records a read of the plan yields (data lines after the skipped ones), as the scan counted them: an engine
   * that defers reads (an ingest group reading many files in one statement) checks the records it added against it.
   */
  readonly records: number;
}

export type BulkVerdict = { readonly plan: BulkPlan } | { readonly plan?: undefined; readonly reason: string };

export interface SourceFormat {
  /** Stable identifier used by `--format`, e.g. `zeek-tsv`. */
  readonly name: string;
  /** Human title, e.g. `Zeek conn.log (TSV)`. */
  readonly title: string;
  /** The ASIM parser this mapping follows, e.g. `vimNetworkSessionCorelightZeek`, or a note when none exists. */
  readonly asimParser: string;
  /** How the content is recognised, for `smbwatch formats`. */
  readonly detection: string;
  /** Line-oriented formats can resume a grown file from the last byte offset reached. */
  readonly lineBased: boolean;
  /** Set when the format's times carry no zone, so `--timezone` decides them: says which times. */
  readonly zonelessTimes?: string;
  sniff(sample: ContentSample): SniffVerdict;
  parse(input: SourceInput, options: ParseOptions): AsyncIterable<ParseEvent[]>;
  /**
   * Optional bulk path: looks at the whole content (streamed once) and returns a plan when the store's engine
   * can read it exactly as `parse` would, after `resumeAfterLine` lines; otherwise why not.
   */
  planBulk?(content: AsyncIterable<Uint8Array>, resumeAfterLine: number): Promise<BulkVerdict>;
}
