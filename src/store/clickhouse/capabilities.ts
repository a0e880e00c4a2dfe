/**
 * What a ClickHouse server can do, detected from `version()`: the differences between the servers smbwatch runs
 * on (embedded chdb 26.x, Debian's clickhouse-server 18.16) as data. The store picks column types and settings
 * from it; the KQL dialect its SQL forms.
 */

export interface ClickHouseCapabilities {
  /** `version()` as the server reports it. */
  readonly version: string;
  /** DateTime64 exists; without it datetimes are Int64 microseconds since the epoch. */
  readonly dateTime64: boolean;
  /** The Bool type exists; without it booleans are UInt8. */
  readonly boolType: boolean;
}

function versionParts(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return [Number.isFinite(major) ? major : 0, Number.isFinite(minor) ? minor : 0];
}

function atLeast(version: string, major: number, minor: number): boolean {
  const [a, b] = versionParts(version);
  return a > major || (a === major && b >= minor);
}

/** Feature boundaries from ClickHouse's changelog: DateTime64 in 20.1, Bool in 21.12. */
export function capabilitiesOf(version: string): ClickHouseCapabilities {
  return { version, dateTime64: atLeast(version, 20, 1), boolType: atLeast(version, 21, 12) };
}
