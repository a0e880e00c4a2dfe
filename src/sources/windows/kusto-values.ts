/**
 * Value conversions with the semantics the ASIM parsers get from Kusto, so that our records carry what the
 * parsers would compute: `toint`/`tobool` give null (not an error) on bad text, `iff` with a null condition
 * takes the else branch, and `_ASIM_ResolveFQDN` splits a host name at its first dot.
 */
import type { AsimRecord, AsimValue } from '../../asim/record.js';

/** Kusto `toint()` of a string: an integer in the int range, else null. `"445"` → 445, `"abc"` → null. */
export function kustoInt(text: string | undefined): number | null {
  if (text === undefined) return null;
  const trimmed = text.trim();
  if (!/^[+-]?\d{1,10}$/.test(trimmed)) return null;
  const value = Number(trimmed);
  return value >= -2147483648 && value <= 2147483647 ? value : null;
}

/** Kusto `tobool()` of a string: `true`/`false` in any case, `1`/`0`; anything else is null. */
export function kustoBool(text: string | undefined): boolean | null {
  if (text === undefined) return null;
  const lowered = text.trim().toLowerCase();
  if (lowered === 'true' || lowered === '1') return true;
  if (lowered === 'false' || lowered === '0') return false;
  return null;
}

/** Kusto `iff(condition, then, else)`: a null condition is not true, so it yields `otherwise`. */
export function iff<T>(condition: boolean | null, then: T, otherwise: T): T {
  return condition === true ? then : otherwise;
}

/** Kusto `not()`: null stays null. */
export function not(value: boolean | null): boolean | null {
  return value === null ? null : !value;
}

export interface ResolvedHost {
  readonly Hostname: string;
  readonly Domain: string;
  readonly DomainType: string;
  readonly FQDN: string;
}

/**
 * `_ASIM_ResolveFQDN`: `ws05.corp.example` → Hostname `ws05`, Domain `corp.example`, DomainType `FQDN`,
 * FQDN `ws05.corp.example`; a name without a dot is only a Hostname.
 */
export function resolveFqdn(name: string): ResolvedHost {
  const labels = name.split('.');
  const dotted = labels.length > 1;
  return {
    Hostname: labels[0] ?? '',
    Domain: labels.slice(1).join('.'),
    DomainType: dotted ? 'FQDN' : '',
    FQDN: dotted ? name : '',
  };
}

/** Writes `Hostname`, `Domain`, `DomainType`, `FQDN` under a prefix (`Src`, `Dst`, `Dvc`) as `_ASIM_Resolve*FQDN` does. */
export function putResolvedHost(record: AsimRecord, prefix: 'Src' | 'Dst' | 'Dvc', name: string): void {
  const resolved = resolveFqdn(name);
  put(record, `${prefix}Hostname`, resolved.Hostname);
  put(record, `${prefix}Domain`, resolved.Domain);
  put(record, `${prefix}DomainType`, resolved.DomainType);
  put(record, `${prefix}FQDN`, resolved.FQDN);
}

/**
 * Sets a column unless the value is "no value": empty strings and nulls are left out, since the store
 * reads an absent string as "" and an absent number as null (record.ts).
 */
export function put(record: AsimRecord, column: string, value: AsimValue | undefined): void {
  if (value === undefined || value === null || value === '') return;
  record[column] = value;
}

/** Sets many columns at once; see `put`. */
export function putAll(record: AsimRecord, values: Readonly<Record<string, AsimValue | undefined>>): void {
  for (const [column, value] of Object.entries(values)) put(record, column, value);
}

/** Sysmon writes `-` for "no host name"; the parsers turn it into an empty value. */
export function dashToEmpty(text: string): string {
  return text === '-' ? '' : text;
}

/** `{8CAD0A01-015C-6557-1700-000000000E00}` → `8CAD0A01-015C-6557-1700-000000000E00`, as the parsers strip it. */
export function stripBraces(text: string): string {
  const match = /^\{(.*)\}$/.exec(text);
  return match ? (match[1] ?? '') : text;
}
