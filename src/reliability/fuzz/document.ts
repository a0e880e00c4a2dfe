/**
 * A fuzz document: valid units of a template with a mutated unit between each pair, so every mutated unit has
 * valid neighbours. The same document without its mutated units is the clean twin the differential check
 * compares against.
 */
import { Random } from '../../demo/random.js';
import type { Template } from './corpus.js';
import { keepsFraming } from './framing.js';
import { mutate } from './mutate.js';

export interface FuzzDocument {
  readonly template: Template;
  readonly valid: readonly Buffer[];
  readonly mutated: readonly Buffer[];
  readonly applied: readonly string[];
}

/** Same (seed, format, number) → the same document, on any machine. */
export function documentRandom(seed: number, format: string, number: number): Random {
  let hash = 0x811c9dc5 ^ seed;
  for (const char of `${format}#${number}`) hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193);
  return new Random(hash >>> 0);
}

export function makeDocument(templates: readonly Template[], random: Random, mutatedUnits: number): FuzzDocument {
  const template = random.pick(templates);
  const valid: Buffer[] = [];
  const mutated: Buffer[] = [];
  const applied: string[] = [];
  for (let i = 0; i <= mutatedUnits; i++) valid.push(random.pick(template.units));
  // Half the documents of delimited formats keep their framing, so the differential check covers every unit.
  const keepFraming = template.framing !== 'lines' && random.chance(0.5);
  for (let i = 0; i < mutatedUnits; i++) {
    let mutation = mutate(random.pick(template.units), random, template.units);
    for (let retry = 0; keepFraming && retry < 16 && !keepsFraming(template.framing, mutation.bytes); retry++) {
      mutation = mutate(random.pick(template.units), random, template.units);
    }
    mutated.push(guardReserved(template, mutation.bytes));
    applied.push(...mutation.applied);
  }
  return { template, valid, mutated, applied };
}

/** A mutated Zeek line must not become a `#` directive: that legitimately changes how later lines read. */
function guardReserved(template: Template, bytes: Buffer): Buffer {
  const prefix = template.reservedPrefix;
  if (!prefix || !bytes.includes(prefix)) return bytes;
  return Buffer.from(bytes.toString('latin1').replace(new RegExp(`(^|\\n|\\r)${escapeRegExp(prefix)}`, 'g'), `$1x${prefix}`), 'latin1');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export interface Assembled {
  readonly bytes: Buffer;
  /** Per valid unit: its first and last line in the assembled content. */
  readonly validLines: ReadonlyArray<readonly [number, number]>;
  /** Per mutated unit: its first and last line. */
  readonly mutatedLines: ReadonlyArray<readonly [number, number]>;
}

/** The document's bytes; `withMutated: false` gives the clean twin. */
export function assemble(document: FuzzDocument, withMutated = true): Assembled {
  const { template } = document;
  const parts: Buffer[] = [template.head];
  let line = 1 + countNewlines(template.head);
  const validLines: Array<[number, number]> = [];
  const mutatedLines: Array<[number, number]> = [];
  const add = (unit: Buffer, into: Array<[number, number]>, last: boolean): void => {
    const newlines = countNewlines(unit);
    into.push([line, line + newlines]);
    parts.push(unit);
    line += newlines;
    if (!last) {
      parts.push(template.separator);
      line += countNewlines(template.separator);
    }
  };
  document.valid.forEach((unit, index) => {
    const last = index === document.valid.length - 1;
    add(unit, validLines, last);
    const mutated = document.mutated[index];
    if (withMutated && mutated !== undefined) add(mutated, mutatedLines, false);
  });
  parts.push(template.tail);
  return { bytes: Buffer.concat(parts), validLines, mutatedLines };
}

export function countNewlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}
