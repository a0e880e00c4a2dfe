/**
 * JSON from logs, parsed with a bound on nesting. V8's JSON.parse takes any depth, but what comes after it does
 * not: JSON.stringify (quoting a value in a reject's reason, storing a dynamic column) and every recursive walk
 * overflow the stack on a value nested 100,000 levels deep, and the whole input failed with "Maximum call stack
 * size exceeded" (found by `npm run fuzz`). Real log records nest a few levels; deeper than MAX_JSON_DEPTH is a
 * reject of its own, as any other invalid JSON.
 */

export const MAX_JSON_DEPTH = 1000;

/** JSON.parse, refusing (with a SyntaxError, as for malformed JSON) a value nested deeper than MAX_JSON_DEPTH. */
export function parseJson(text: string): unknown {
  // Reaching the bound takes more brackets than a short text has: only long texts are scanned.
  if (text.length > MAX_JSON_DEPTH && nestedTooDeep(text)) throw new SyntaxError(`JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
  return JSON.parse(text);
}

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** One pass over the text, skipping strings: does bracket depth ever pass the bound? */
function nestedTooDeep(text: string): boolean {
  let depth = 0;
  let inString = false;
  for (let at = 0; at < text.length; at++) {
    const c = text.charCodeAt(at);
    if (inString) {
      if (c === BACKSLASH) at++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) inString = true;
    else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > MAX_JSON_DEPTH) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) depth--;
  }
  return false;
}
