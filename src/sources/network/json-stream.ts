/**
 * Streaming JSON splitter: cuts a byte stream into the JSON texts of its elements without holding the whole
 * document, so memory is bounded by the largest element, not the file.
 *
 * What counts as an element:
 * - a top-level array yields each of its elements (a Log Analytics JSON export);
 * - a top-level object yields itself (JSON lines, or concatenated documents) — unless `unwrapKey` is given:
 *   then each top-level object yields the elements of the array under that key (`records` in an Azure flow
 *   log blob), and the rest of the object is skipped;
 * - a top-level scalar yields itself (the caller rejects it).
 * Text after an element that does not parse is the caller's concern: the splitter only balances brackets
 * outside strings, and reports the 1-based line each element starts on.
 *
 * An element longer than MAX_ELEMENT_CHARS (the limit the Windows JSON reader, src/sources/windows/json-stream.ts,
 * holds to as well) is not held: its text is dropped past its first characters and it comes out `oversized` for
 * the caller to reject, so a hostile file cannot make one element fill memory. (The two splitters differ in what
 * they yield — this one any value and the elements under an unwrap key, that one objects and stray text — so
 * their readers' rejects stay as their tests pin them; the limit is what they must share.)
 */
import { MAX_ELEMENT_CHARS } from '../windows/json-stream.js';

export { MAX_ELEMENT_CHARS };

export interface JsonElement {
  readonly text: string;
  readonly line: number;
  /** False when the input ended before the element closed (a truncated file). */
  readonly complete: boolean;
  /** Set when the element was longer than MAX_ELEMENT_CHARS: `text` is then only its first characters. */
  readonly oversized?: { readonly chars: number };
}

/** The reject reason for an oversized element. */
export function oversizedReason(oversized: { readonly chars: number }, limit = MAX_ELEMENT_CHARS): string {
  return `JSON element of ${oversized.chars} characters, longer than the ${limit} smbwatch reads`;
}

/** Characters of an oversized element kept for its reject. */
const OVERSIZED_SHOWN_CHARS = 200;

const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const COMMA = 0x2c;

export async function* splitJsonElements(
  chunks: AsyncIterable<Uint8Array>,
  options: { unwrapKey?: string; maxElementChars?: number } = {},
): AsyncGenerator<JsonElement[]> {
  const decoder = new TextDecoder('utf-8');
  const splitter = new Splitter(options.unwrapKey, options.maxElementChars ?? MAX_ELEMENT_CHARS);
  let first = true;
  for await (const chunk of chunks) {
    let textChunk = decoder.decode(chunk, { stream: true });
    if (first && textChunk.charCodeAt(0) === 0xfeff) textChunk = textChunk.slice(1);
    first = false;
    const out = splitter.feed(textChunk);
    if (out.length > 0) yield out;
  }
  const out = splitter.feed(decoder.decode());
  out.push(...splitter.finish());
  if (out.length > 0) yield out;
}

/** Where an element is emitted: the bracket depth its first character sits at. */
class Splitter {
  private depth = 0;
  private inString = false;
  private escaped = false;
  private line = 1;
  /** Text of the element being collected (or its first characters, once oversized), and where it started. */
  private element: string[] | null = null;
  /** Characters of the element (or scalar) so far, counted even when its text is no longer kept. */
  private elementChars = 0;
  private elementStartLine = 0;
  private elementDepth = -1;
  /** Scalar at the top level or as an array element: collected until a delimiter. */
  private scalar: string | null = null;
  /** For unwrapping: the last string key read at depth 1, and whether we are inside the wanted array. */
  private key: string[] | null = null;
  private lastKey = '';
  private expectValueFor = '';
  private unwrapDepth = -1;
  private topIsArray = false;

  constructor(
    private readonly unwrapKey: string | undefined,
    private readonly maxElementChars: number,
  ) {}

  feed(chunk: string): JsonElement[] {
    const out: JsonElement[] = [];
    let sliceStart = 0;
    for (let i = 0; i < chunk.length; i++) {
      const code = chunk.charCodeAt(i);
      if (code === NEWLINE) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (code === BACKSLASH) this.escaped = true;
        else if (code === QUOTE) {
          this.inString = false;
          if (this.key !== null) {
            this.lastKey = this.key.join('');
            this.key = null;
          }
          if (this.element !== null && this.depth === this.elementDepth) {
            // a top-level string element closes with its string
            out.push(this.closeElement(chunk.slice(sliceStart, i + 1), true));
          }
          continue;
        }
        if (this.key !== null) this.key.push(chunk[i] ?? '');
        continue;
      }
      if (this.scalar !== null) {
        if (code === COMMA || code === CLOSE_ARRAY || code === CLOSE_OBJECT || isSpace(code)) {
          out.push(this.closeScalar(chunk.slice(sliceStart, i)));
        } else continue;
      }
      if (isSpace(code)) continue;
      if (code === COMMA) {
        if (this.depth === 1) this.expectValueFor = '';
        continue;
      }

      if (this.element === null && this.isElementLevel() && !(this.depth === 0 && code === OPEN_ARRAY)) {
        if (code === OPEN_OBJECT || code === OPEN_ARRAY || code === QUOTE) {
          this.element = [];
          this.elementChars = 0;
          sliceStart = i;
          this.elementStartLine = this.line;
          this.elementDepth = this.depth;
        } else if (code !== CLOSE_ARRAY && code !== CLOSE_OBJECT && code !== COLON) {
          this.scalar = '';
          this.elementChars = 0;
          sliceStart = i;
          this.elementStartLine = this.line;
          continue;
        }
      }

      if (code === QUOTE) {
        this.inString = true;
        // A key of a top-level object (only needed when unwrapping).
        const isKey = this.unwrapKey !== undefined && this.depth === 1 && !this.topIsArray && this.expectValueFor === '';
        if (isKey) this.key = [];
      } else if (code === COLON) {
        if (this.depth === 1 && !this.topIsArray) this.expectValueFor = this.lastKey;
      } else if (code === OPEN_OBJECT || code === OPEN_ARRAY) {
        if (this.depth === 0) this.topIsArray = code === OPEN_ARRAY;
        const opensWanted =
          this.unwrapKey !== undefined && this.depth === 1 && !this.topIsArray && code === OPEN_ARRAY && this.expectValueFor === this.unwrapKey;
        if (opensWanted) this.unwrapDepth = 2;
        this.depth++;
      } else if (code === CLOSE_OBJECT || code === CLOSE_ARRAY) {
        this.depth = Math.max(0, this.depth - 1);
        if (this.depth <= 1) this.unwrapDepth = -1;
        if (this.depth === 0) this.expectValueFor = '';
        if (this.element !== null && this.depth === this.elementDepth) {
          out.push(this.closeElement(chunk.slice(sliceStart, i + 1), true));
        }
      }
    }
    if (this.element !== null) this.keepElementText(chunk.slice(sliceStart));
    if (this.scalar !== null) this.keepScalarText(chunk.slice(sliceStart));
    return out;
  }

  finish(): JsonElement[] {
    const out: JsonElement[] = [];
    if (this.scalar !== null && this.scalar.trim() !== '') {
      out.push(this.closeScalar(''));
    } else if (this.element !== null) {
      const joined = this.element.join('');
      if (joined.trim() !== '') out.push(this.closeElement('', false));
    }
    this.element = null;
    this.scalar = null;
    return out;
  }

  /** Adds text to the element being collected; past the limit only its first characters stay. */
  private keepElementText(text: string): void {
    if (this.element === null) return;
    this.elementChars += text.length;
    if (this.elementChars <= this.maxElementChars) this.element.push(text);
    else this.element = [(this.element.join('') + text.slice(0, OVERSIZED_SHOWN_CHARS)).slice(0, OVERSIZED_SHOWN_CHARS)];
  }

  private keepScalarText(text: string): void {
    if (this.scalar === null) return;
    this.elementChars += text.length;
    if (this.elementChars <= this.maxElementChars) this.scalar += text;
    else this.scalar = (this.scalar + text.slice(0, OVERSIZED_SHOWN_CHARS)).slice(0, OVERSIZED_SHOWN_CHARS);
  }

  private closeElement(lastText: string, complete: boolean): JsonElement {
    this.keepElementText(lastText);
    const element = this.finished((this.element ?? []).join(''), complete);
    this.element = null;
    this.elementDepth = -1;
    return element;
  }

  private closeScalar(lastText: string): JsonElement {
    this.keepScalarText(lastText);
    const element = this.finished(this.scalar ?? '', true);
    this.scalar = null;
    return element;
  }

  private finished(text: string, complete: boolean): JsonElement {
    const oversized = this.elementChars > this.maxElementChars ? { oversized: { chars: this.elementChars } } : {};
    return { text, line: this.elementStartLine, complete, ...oversized };
  }

  private isElementLevel(): boolean {
    if (this.unwrapKey !== undefined && !this.topIsArray) return this.unwrapDepth === 2 && this.depth === 2;
    if (this.depth === 0) return true;
    return this.depth === 1 && this.topIsArray;
  }
}

function isSpace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}
