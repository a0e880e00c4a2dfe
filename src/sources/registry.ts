/**
 * Every log format smbwatch reads, in detection order: the first format whose `sniff` says `match` reads the
 * input. More specific formats come before more general ones (e.g. Zeek JSON before generic ASIM JSON).
 * Each format module exports one `SourceFormat` (or several) and is listed here once.
 */
import type { SourceFormat } from './types.js';
import { asimJsonArray, asimJsonLines } from './asim-json.js';
import { asimCsv } from './asim-csv.js';
import { asimParquet } from './asim-parquet.js';
import { zeekTsvFormat } from './zeek-tsv.js';
import { zeekJsonFormat } from './zeek-json.js';
import { WINDOWS_FORMATS } from './windows/index.js';
import { NETWORK_FORMATS } from './network/index.js';

export const SOURCE_FORMATS: readonly SourceFormat[] = [
  zeekTsvFormat,
  zeekJsonFormat,
  ...WINDOWS_FORMATS,
  ...NETWORK_FORMATS,
  // [asim] native ASIM NetworkSession: JSON lines / array, CSV (incl. Log Analytics exports), Parquet — last: the most general
  asimJsonLines,
  asimJsonArray,
  asimCsv,
  asimParquet,
];

export function formatByName(name: string): SourceFormat | undefined {
  return SOURCE_FORMATS.find((format) => format.name === name);
}
