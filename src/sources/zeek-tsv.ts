/**
 * Zeek conn.log in Zeek's own tab-separated format (formats.md §1).
 *
 * The `#fields` header decides which column holds what; columns are never read by position, so Zeek
 * versions with more fields and datasets with extra columns (Stratosphere's `label`, `detailedlabel`) read
 * the same. A file may hold several header blocks (rotated logs concatenated, or several log types): each
 * `#fields` replaces the column map, and lines of a block whose `#path` is not conn are `ignored`.
 */
import type { ContentSample, Line, ParseEvent, SniffVerdict, SourceFormat, SourceInput } from './types.js';
import { mapLines } from './lines.js';
import { planZeekBulk } from './zeek-bulk.js';
import {
  KIND_EXPECTATION,
  REQUIRED_ZEEK_FIELDS,
  ZEEK_FIELD_BY_NAME,
  emptyConn,
  isConnPath,
  parseBoolText,
  parseEpochText,
  parseInterval,
  parsePort,
  parseUnsigned,
  resetConn,
  setSlot,
  zeekConnToAsim,
  type ZeekConn,
  type ZeekFieldSpec,
  type ZeekValue,
} from './zeek-mapping.js';

const DEFAULT_SEPARATOR = '\t';
const DEFAULT_SET_SEPARATOR = ',';
const DEFAULT_EMPTY_FIELD = '(empty)';
const DEFAULT_UNSET_FIELD = '-';

/** The header state a data line is read under; each header directive updates it. */
interface HeaderState {
  separator: string;
  setSeparator: string;
  emptyField: string;
  unsetField: string;
  /** `#path` of the current block; "" when the block has none (then it is taken as conn). */
  path: string;
  /** The `#fields` names, or null before the first `#fields`. */
  fields: readonly string[] | null;
  /** By column index: the field read from that column, or undefined for columns we carry but do not read. */
  specAt: ReadonlyArray<ZeekFieldSpec | undefined>;
  /** A conn field the block's `#fields` lacks: every line of the block is rejected for it. */
  missingRequired: ZeekFieldSpec | null;
}

function initialHeaderState(): HeaderState {
  return {
    separator: DEFAULT_SEPARATOR,
    setSeparator: DEFAULT_SET_SEPARATOR,
    emptyField: DEFAULT_EMPTY_FIELD,
    unsetField: DEFAULT_UNSET_FIELD,
    path: '',
    fields: null,
    specAt: [],
    missingRequired: null,
  };
}

/** Zeek escapes bytes as `\xHH` (the `#separator` value always; values containing the separator or non-printables). */
export function unescapeZeek(text: string): string {
  return text.replace(/\\x([0-9a-fA-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

const SEPARATOR_DIRECTIVE = '#separator';

/** `#separator \x09`: the one directive written with a space, before the separator is known. */
function separatorOf(headerLine: string): string {
  const value = unescapeZeek(headerLine.slice(SEPARATOR_DIRECTIVE.length + 1));
  return value.length > 0 ? value : DEFAULT_SEPARATOR;
}

function planColumns(fields: readonly string[]): Pick<HeaderState, 'specAt' | 'missingRequired'> {
  const specAt = fields.map((name) => ZEEK_FIELD_BY_NAME.get(name));
  const missingRequired = REQUIRED_ZEEK_FIELDS.find((spec) => !fields.includes(spec.zeek)) ?? null;
  return { specAt, missingRequired };
}

/** Applies one `#…` line to the header state. Header lines are structure, not data: they yield no event. */
function applyHeader(state: HeaderState, text: string): void {
  if (text.startsWith(SEPARATOR_DIRECTIVE)) {
    // A `#separator` opens a new header block.
    state.separator = separatorOf(text);
    state.path = '';
    return;
  }
  const parts = text.split(state.separator);
  const value = parts[1] ?? '';
  switch (parts[0]) {
    case '#set_separator':
      state.setSeparator = value;
      break;
    case '#empty_field':
      state.emptyField = value;
      break;
    case '#unset_field':
      state.unsetField = value;
      break;
    case '#path':
      state.path = value;
      break;
    case '#fields': {
      state.fields = parts.slice(1);
      const { specAt, missingRequired } = planColumns(state.fields);
      state.specAt = specAt;
      state.missingRequired = missingRequired;
      break;
    }
    default: // #open, #close, #types and comments change nothing we read
  }
}

type CellResult = ZeekValue | undefined;

/** Reads one cell as its kind; undefined means the text is not of that kind. Unset/empty are handled by the caller. */
function readCell(spec: ZeekFieldSpec, text: string): CellResult {
  switch (spec.kind) {
    case 'string':
      return text.indexOf('\\x') === -1 ? text : unescapeZeek(text);
    case 'port':
      return parsePort(text) ?? undefined;
    case 'count':
      return parseUnsigned(text) ?? undefined;
    case 'time':
      return parseEpochText(text) ?? undefined;
    case 'interval':
      return parseInterval(text) ?? undefined;
    case 'bool':
      return parseBoolText(text) ?? undefined;
  }
}

function reject(line: Line, reason: string, field?: string): ParseEvent {
  return field === undefined
    ? { kind: 'reject', line: line.no, reason, raw: line.text }
    : { kind: 'reject', line: line.no, reason, field, raw: line.text };
}

/** The per-input reader: header state plus one reused scratch conn. */
class ZeekTsvReader {
  private readonly state = initialHeaderState();
  private readonly conn: ZeekConn = emptyConn();

  readonly parseLine = (line: Line): ParseEvent | undefined => {
    const text = line.text;
    if (text.length === 0) return undefined;
    if (text.charCodeAt(0) === 35 /* # */) {
      applyHeader(this.state, text);
      return undefined;
    }
    const state = this.state;
    if (state.fields === null) return reject(line, 'data line before any #fields header');
    if (state.path !== '' && !isConnPath(state.path)) return { kind: 'ignored', line: line.no, what: state.path };
    return this.readDataLine(line, state);
  };

  /**
   * One pass over the line with indexOf: only the columns we read are sliced (a Zeek line has ~21 columns,
   * we read ~15), and the field count is checked on the way. A bad cell is remembered, not returned at
   * once: when the count is wrong too, the cells are misaligned and the count is the reason to report.
   */
  private readDataLine(line: Line, state: HeaderState): ParseEvent {
    const text = line.text;
    const width = (state.fields as readonly string[]).length;
    if (state.missingRequired) {
      const name = state.missingRequired.zeek;
      return reject(line, `the #fields header has no ${name} column`, name);
    }
    const { separator, specAt, unsetField, emptyField } = state;
    const conn = this.conn;
    resetConn(conn);
    let badSpec: ZeekFieldSpec | undefined;
    let badText = '';
    let columns = 0;
    let start = 0;
    for (;;) {
      let end = text.indexOf(separator, start);
      const last = end === -1;
      if (last) end = text.length;
      const spec = columns < width ? specAt[columns] : undefined;
      columns++;
      if (spec !== undefined && badSpec === undefined) {
        const cell = text.slice(start, end);
        if (cell === unsetField || (cell === emptyField && spec.kind === 'string')) {
          // the scratch already holds "unset" ("" for strings) for the slot
          if (spec.required) {
            badSpec = spec;
            badText = cell;
          }
        } else {
          const value = readCell(spec, cell);
          if (value === undefined) {
            badSpec = spec;
            badText = cell;
          } else {
            setSlot(conn, spec.slot, value);
          }
        }
      }
      if (last) break;
      start = end + separator.length;
    }
    if (columns !== width) return reject(line, `expected ${width} fields (as #fields lists), found ${columns}`);
    if (badSpec !== undefined) {
      const name = badSpec.zeek;
      if (badText === unsetField) return reject(line, `${name} is unset`, name);
      if (badText === emptyField && badSpec.kind === 'string') return reject(line, `${name} is empty`, name);
      return reject(line, `${name}: "${badText}" is not ${KIND_EXPECTATION[badSpec.kind]}`, name);
    }
    return { kind: 'record', record: zeekConnToAsim(conn), line: line.no };
  }
}

// ---------------------------------------------------------------------------------------------------------

function sniffZeekTsv(sample: ContentSample): SniffVerdict {
  const first = sample.lines.find((line) => line.trim().length > 0);
  if (first === undefined || !(first.startsWith(SEPARATOR_DIRECTIVE) || first.startsWith('#fields'))) {
    return { verdict: 'no' };
  }
  // Replay the headers of the sample: a file may hold several blocks.
  const state = initialHeaderState();
  const paths: string[] = [];
  let connFields = false;
  for (const line of sample.lines) {
    if (!line.startsWith('#')) continue;
    applyHeader(state, line);
    if (line.startsWith('#path')) paths.push(state.path);
    if (line.startsWith('#fields') && state.missingRequired === null) connFields = true;
  }
  if (paths.some(isConnPath)) return { verdict: 'match', reason: 'Zeek TSV header with #path conn' };
  if (paths.length > 0) {
    const names = [...new Set(paths)].join(', ');
    return { verdict: 'not-network-session', reason: `Zeek TSV log with #path ${names}, not conn` };
  }
  if (connFields) return { verdict: 'match', reason: 'Zeek TSV header whose #fields hold the conn columns (no #path)' };
  return { verdict: 'not-network-session', reason: 'Zeek TSV header without #path conn nor the conn columns (ts, id.*)' };
}

export const zeekTsvFormat: SourceFormat = {
  name: 'zeek-tsv',
  title: 'Zeek conn.log (TSV)',
  asimParser: 'vimNetworkSessionCorelightZeek',
  detection: 'first non-empty line starts with #separator or #fields; #path conn (or conn columns when #path is absent)',
  lineBased: true,
  sniff: sniffZeekTsv,
  parse(input: SourceInput): AsyncIterable<ParseEvent[]> {
    return mapLines(input.lines(), new ZeekTsvReader().parseLine);
  },
  planBulk: planZeekBulk,
};
