/**
 * Log text is attacker-controlled (a hostname, a URL, a user agent, an archive member's name), and what smbwatch
 * prints ends up on an analyst's terminal. Escape sequences (ESC, the 8-bit CSI U+009B) can recolour, retitle or
 * rewrite the screen, a carriage return or backspace can hide text already printed, and bidirectional overrides
 * can make a value read differently from what it is (Trojan Source, CVE-2021-42574).
 *
 * So everything the CLI writes to stdout and stderr goes through `escapeControls`: each such character is written
 * as the six characters `\uXXXX`. That is also exactly JSON's escape, so JSON output stays valid and keeps its
 * values (JSON.stringify already escapes C0 controls; the rest it leaves raw); tables replace them with spaces
 * before (`table.ts`) to keep their columns aligned. Tabs and line feeds pass unchanged.
 *
 * The progress bar writes its own cursor controls, so it gets `unguardedStderr()`, and its text is escaped by
 * the bar itself (`cli/progress.ts`).
 */

/**
 * C0 controls but tab and line feed, DEL, C1 controls, and the Unicode format characters that reorder or hide
 * text (bidi marks, embeddings, overrides and isolates; zero-width space, word joiner, invisible operators, BOM).
 * The zero-width joiner and non-joiner stay: emoji and several scripts need them.
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTERS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;
const ALL_CONTROL_CHARACTERS = new RegExp(CONTROL_CHARACTERS.source, 'g');

/** The text with every control or format character written as `\uXXXX`. */
export function escapeControls(text: string): string {
  if (!CONTROL_CHARACTERS.test(text)) return text;
  return text.replace(ALL_CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

type Write = NodeJS.WriteStream['write'];

const originals = new Map<NodeJS.WriteStream, Write>();

/** Makes every string written to stdout and stderr pass through `escapeControls` (once per process). */
export function guardStdio(): void {
  for (const stream of [process.stdout, process.stderr]) {
    if (originals.has(stream)) continue;
    const original = stream.write.bind(stream) as Write;
    originals.set(stream, original);
    stream.write = ((chunk: unknown, ...rest: unknown[]) =>
      (original as (chunk: unknown, ...rest: unknown[]) => boolean)(typeof chunk === 'string' ? escapeControls(chunk) : chunk, ...rest)) as Write;
  }
}

/** stderr as it was before `guardStdio`: for the progress bar's cursor controls. */
export function unguardedStderr(): NodeJS.WriteStream {
  const original = originals.get(process.stderr);
  if (!original) return process.stderr;
  return new Proxy(process.stderr, {
    get: (target, property) => (property === 'write' ? original : Reflect.get(target, property, target)),
  });
}
