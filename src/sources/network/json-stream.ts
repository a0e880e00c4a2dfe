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
 */
export interface JsonElement {
  readonly text: string;
  readonly line: number;
  /** False when the input ended before the element closed (a truncated file). */
  readonly complete: boolean;
}

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
  options: { unwrapKey?: string } = {},
): AsyncGenerator<JsonElement[]> {
  const decoder = new TextDecoder('utf-8');
  const splitter = new Splitter(options.unwrapKey);
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
  /** Text of the element being collected, and where it started. */
  private element: string[] | null = null;
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

  constructor(private readonly unwrapKey: string | undefined) {}

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
            this.element.push(chunk.slice(sliceStart, i + 1));
            out.push({ text: this.element.join(''), line: this.elementStartLine, complete: true });
            this.element = null;
            this.elementDepth = -1;
          }
          continue;
        }
        if (this.key !== null) this.key.push(chunk[i] ?? '');
        continue;
      }
      if (this.scalar !== null) {
        if (code === COMMA || code === CLOSE_ARRAY || code === CLOSE_OBJECT || isSpace(code)) {
          out.push({ text: this.scalar + chunk.slice(sliceStart, i), line: this.elementStartLine, complete: true });
          this.scalar = null;
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
          sliceStart = i;
          this.elementStartLine = this.line;
          this.elementDepth = this.depth;
        } else if (code !== CLOSE_ARRAY && code !== CLOSE_OBJECT && code !== COLON) {
          this.scalar = '';
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
          this.element.push(chunk.slice(sliceStart, i + 1));
          out.push({ text: this.element.join(''), line: this.elementStartLine, complete: true });
          this.element = null;
          this.elementDepth = -1;
        }
      }
    }
    if (this.element !== null) this.element.push(chunk.slice(sliceStart));
    if (this.scalar !== null) this.scalar += chunk.slice(sliceStart);
    return out;
  }

  finish(): JsonElement[] {
    const out: JsonElement[] = [];
    if (this.scalar !== null && this.scalar.trim() !== '') {
      out.push({ text: this.scalar, line: this.elementStartLine, complete: true });
    } else if (this.element !== null) {
      const joined = this.element.join('');
      if (joined.trim() !== '') out.push({ text: joined, line: this.elementStartLine, complete: false });
    }
    this.element = null;
    this.scalar = null;
    return out;
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
