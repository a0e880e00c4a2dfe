/**
 * Whether a mutated unit still delimits as one unit of its framing. An unclosed CSV quote or JSON bracket runs on
 * into the next units by the format's own grammar: no reader can know where the damaged unit was meant to end.
 */
import { parse as parseCsv } from 'csv-parse/sync';
import type { Framing } from './corpus.js';

/** Lines always keep their framing: a newline is a new line. */
export function keepsFraming(framing: Framing, unit: Buffer): boolean {
  const text = unit.toString('utf8');
  switch (framing) {
    case 'lines':
      return true;
    case 'csv':
      try {
        const records = parseCsv(text, { relax_column_count: true }) as unknown[];
        return records.length === 1 && !text.includes('\r');
      } catch {
        return false;
      }
    case 'json-elements':
      return jsonBalanced(text);
    case 'xml-events':
      return (
        /^<Event[\s>]/.test(text) &&
        /<\/Event>$/.test(text) &&
        text.indexOf('</Event') === text.length - '</Event>'.length &&
        text.lastIndexOf('<Event') === 0 &&
        !/<(?:\w+:)Events?[\s>/]|<!|<\?/.test(text)
      );
  }
}

/** Brackets balance outside strings, ending exactly at the last character: one JSON element's extent. */
function jsonBalanced(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith('{')) return false;
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (let i = 0; i < trimmed.length; i++) {
    const char = trimmed[i];
    if (inString) {
      if (escaped) escaped = false;
      else if (char === '\\') escaped = true;
      else if (char === '"') inString = false;
      continue;
    }
    if (char === '"') inString = true;
    else if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') {
      depth--;
      if (depth < 0) return false;
      if (depth === 0 && i !== trimmed.length - 1) return false;
    }
  }
  return depth === 0 && !inString;
}

