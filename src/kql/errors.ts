/**
 * KQL errors as the user sees them: Kusto's diagnostics (and our "not supported" errors) with line, column and a
 * caret under the offending text, e.g.
 *
 *     KS142 line 2, column 9: The name 'Foo' does not refer to any known column, table, variable or function.
 *       | where Foo > 1
 *               ^^^
 */

export interface KqlDiagnostic {
  /** Kusto's code (KS142, …) or ours (SMB001 = construct not supported). */
  readonly code: string;
  readonly message: string;
  /** Offset in the query text, and length of the offending text. */
  readonly start: number;
  readonly length: number;
}

/** The code of our own diagnostic for constructs the compiler does not translate. */
export const UNSUPPORTED = 'SMB001';

/** Our code for a `union isfuzzy=true` none of whose tables exists (Kusto fails it; its binder only warns). */
export const NO_FUZZY_TABLE = 'SMB002';

export class KqlError extends Error {
  readonly diagnostics: readonly KqlDiagnostic[];
  readonly text: string;

  constructor(text: string, diagnostics: readonly KqlDiagnostic[]) {
    super(diagnostics.map((d) => formatDiagnostic(text, d)).join('\n'));
    this.name = 'KqlError';
    this.text = text;
    this.diagnostics = diagnostics;
  }
}

/** 1-based line and column of an offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

export function formatDiagnostic(text: string, d: KqlDiagnostic): string {
  const { line, column } = lineAndColumn(text, d.start);
  const sourceLine = (text.split('\n')[line - 1] ?? '').replace(/\r$/, '');
  const width = Math.max(1, Math.min(d.length, sourceLine.length - (column - 1)));
  const caret = ' '.repeat(column - 1) + '^'.repeat(width);
  return `${d.code} line ${line}, column ${column}: ${d.message}\n  ${sourceLine}\n  ${caret}`;
}

/** Thrown for a construct outside the supported subset: names it and points at it. */
export class UnsupportedKqlError extends KqlError {
  constructor(text: string, construct: string, start: number, length: number) {
    super(text, [{ code: UNSUPPORTED, message: `${construct} is not supported by smbwatch's KQL compiler`, start, length }]);
    this.name = 'UnsupportedKqlError';
  }
}
