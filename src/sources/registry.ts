/**
 * Every log format smbwatch reads, in detection order: the first format whose `sniff` says `match` reads the
 * input. More specific formats come before more general ones (e.g. Zeek JSON before generic ASIM JSON).
 */
import type { SourceFormat } from './types.js';

export const SOURCE_FORMATS: readonly SourceFormat[] = [
  // one entry per format module, added by each module's author
];

export function formatByName(name: string): SourceFormat | undefined {
  return SOURCE_FORMATS.find((format) => format.name === name);
}
