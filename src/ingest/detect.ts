/**
 * Content-based format detection: every registered format looks at the sample; the first that matches reads
 * the input. The verdicts of all formats are kept for `ingest --explain-format`.
 */
import { SOURCE_FORMATS } from '../sources/registry.js';
import type { ContentSample, SniffVerdict, SourceFormat } from '../sources/types.js';

export interface Detection {
  /** The format that reads the input, if any matched. */
  readonly format?: SourceFormat;
  /** Why it matched, or why nothing did. */
  readonly reason: string;
  /** What each format said, in registry order. */
  readonly verdicts: ReadonlyArray<{ readonly format: string; readonly verdict: SniffVerdict }>;
}

export function detectFormat(sample: ContentSample, formats: readonly SourceFormat[] = SOURCE_FORMATS): Detection {
  const verdicts: Array<{ format: string; verdict: SniffVerdict }> = [];
  for (const format of formats) {
    const verdict = safeSniff(format, sample);
    verdicts.push({ format: format.name, verdict });
    if (verdict.verdict === 'match') return { format, reason: verdict.reason, verdicts };
  }
  const recognised = verdicts.find((entry) => entry.verdict.verdict === 'not-network-session');
  if (recognised && recognised.verdict.verdict === 'not-network-session') {
    return { reason: `not a network-session log: ${recognised.verdict.reason}`, verdicts };
  }
  return { reason: `not a recognised log format (first line: ${describeFirstLine(sample)})`, verdicts };
}

/** A sniffer that throws must not stop detection: it simply does not match. */
function safeSniff(format: SourceFormat, sample: ContentSample): SniffVerdict {
  try {
    return format.sniff(sample);
  } catch (error) {
    return { verdict: 'no', reason: `detector failed: ${error instanceof Error ? error.message : String(error)}` };
  }
}

function describeFirstLine(sample: ContentSample): string {
  const first = sample.lines.find((line) => line.trim() !== '') ?? '';
  if (/[\u0000-\u0008\u000e-\u001f]/.test(first.slice(0, 200))) return 'binary content';
  const shown = first.length > 80 ? `${first.slice(0, 80)}…` : first;
  return JSON.stringify(shown);
}
