/**
 * The id every record carries of the input it came from: the first 52 bits of the SHA-256 of the input's name
 * (its path, or `archive.zip!member`), a whole number JavaScript and every SQL engine hold exactly. The same name
 * always gives the same id, so records need no lookup table; two names sharing an id would take 2^26 inputs to
 * be likely.
 */
import { createHash } from 'node:crypto';

export function inputId(name: string): number {
  const digest = createHash('sha256').update(name, 'utf8').digest();
  return Number(digest.readBigUInt64BE(0) >> 12n);
}
