/** Names and values in ClickHouse SQL text (18.16 has no query parameters: smbwatch escapes every value itself). */

export const ident = (name: string): string => `\`${name.replace(/\\/g, '\\\\').replace(/`/g, '\\`')}\``;

/** A ClickHouse string literal: backslash and quote escaped, control characters as \xHH. */
export function literal(value: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\') out += '\\\\';
    else if (ch === "'") out += "\\'";
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `'${out}'`;
}

