/**
 * Streaming reader for a JSON document that is a top-level array of objects (`[{…},{…}]`, as Log Analytics and
 * Advanced Hunting exports write them) or a sequence of objects (JSON lines, or objects back to back). It
 * returns each element's text with the line it starts on, holding one element (plus one chunk) in memory.
 * Elements are delimited by tracking strings and nesting depth, not by parsing, so a malformed element is
 * returned as text for the caller to reject while the elements after it are still read.
 */

export interface JsonElement {
  readonly text: string;
  readonly line: number;
}

export type JsonPiece =
  | ({ readonly kind: 'element' } & JsonElement)
  | { readonly kind: 'stray'; readonly text: string; readonly line: number; readonly reason: string };

/** Largest element held in memory; a longer one is reported and skipped. */
export const MAX_ELEMENT_CHARS = 16 * 1024 * 1024;

export class JsonElementSplitter {
  private depth = 0;
  private inString = false;
  private strayInString = false;
  private escaped = false;
  private current = '';
  private currentLine = 1;
  private line = 1;
  private stray = '';
  private strayLine = 1;
  private oversized = false;

  /** Feeds text; returns the elements (and stray text) completed by it. */
  push(text: string): JsonPiece[] {
    const pieces: JsonPiece[] = [];
    let segmentStart = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.depth === 0) {
        if (this.strayInString) {
          // A string between objects (`["{"]`): its braces are text, not the start of an element.
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c) this.escaped = true;
          else if (c === 0x22) this.strayInString = false;
          if (c === 0x0a) this.line++;
          this.noteStray(text[i] ?? '');
        } else if (c === 0x22) {
          this.strayInString = true;
          this.noteStray(text[i] ?? '');
        } else if (c === 0x7b /* { */) {
          this.flushStray(pieces);
          this.depth = 1;
          this.current = '';
          this.currentLine = this.line;
          segmentStart = i;
          this.oversized = false;
        } else {
          if (c === 0x0a) this.line++;
          this.noteStray(text[i] ?? '');
        }
        continue;
      }
      if (c === 0x0a) this.line++;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === 0x5c /* \ */) this.escaped = true;
        else if (c === 0x22 /* " */) this.inString = false;
        continue;
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          this.append(text.slice(segmentStart, i + 1));
          if (this.oversized) {
            pieces.push({ kind: 'stray', text: this.current.slice(0, 200), line: this.currentLine, reason: `JSON element longer than ${MAX_ELEMENT_CHARS} characters` });
          } else {
            pieces.push({ kind: 'element', text: this.current, line: this.currentLine });
          }
          this.current = '';
        }
      }
    }
    if (this.depth > 0) this.append(text.slice(segmentStart));
    return pieces;
  }

  /** Ends the input: an unfinished element is reported as truncated. */
  end(): JsonPiece[] {
    const pieces: JsonPiece[] = [];
    this.flushStray(pieces);
    if (this.depth > 0) {
      pieces.push({ kind: 'stray', text: this.current.slice(0, 4096), line: this.currentLine, reason: 'truncated JSON: the input ends inside an object' });
      this.depth = 0;
      this.current = '';
    }
    return pieces;
  }

  private append(segment: string): void {
    if (this.oversized) return;
    if (this.current.length + segment.length > MAX_ELEMENT_CHARS) {
      this.oversized = true;
      this.current = this.current.slice(0, 200);
      return;
    }
    this.current += segment;
  }

  /** Text between elements: whitespace, the array's brackets and commas are expected; anything else is stray. */
  private noteStray(char: string): void {
    if (/[\s,[\]]/.test(char)) return;
    if (this.stray === '') this.strayLine = this.line;
    if (this.stray.length < 200) this.stray += char;
  }

  private flushStray(pieces: JsonPiece[]): void {
    if (this.stray === '') return;
    pieces.push({ kind: 'stray', text: this.stray, line: this.strayLine, reason: 'text outside any JSON object' });
    this.stray = '';
  }
}

/** Runs the splitter over byte chunks. */
export async function* splitJsonElements(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<JsonPiece[]> {
  const decoder = new TextDecoder('utf-8', { ignoreBOM: false });
  const splitter = new JsonElementSplitter();
  for await (const chunk of chunks) {
    const pieces = splitter.push(decoder.decode(chunk, { stream: true }));
    if (pieces.length > 0) yield pieces;
  }
  const last = [...splitter.push(decoder.decode()), ...splitter.end()];
  if (last.length > 0) yield last;
}
