/**
 * What a ClickHouse server can do, detected from `version()`. Two families are known: servers from 24.x on (the
 * embedded chdb 26.x is one) have everything the ClickHouse dialect uses; older ones (Debian's 18.16 is tested)
 * lack DateTime64, Bool, JSON functions and much else, and get the old-server dialect
 * (src/kql/sql/clickhouse-old.ts) and table types that hold the same values (datetimes as Int64 microseconds).
 */
import { clickhouse } from '../../kql/sql/clickhouse.js';
import { clickhouseOldServer } from '../../kql/sql/clickhouse-old.js';
import { extendDialect, type Dialect } from '../../kql/sql/dialect.js';

export interface ClickHouseCapabilities {
  /** `version()` as the server reports it. */
  readonly version: string;
  /** DateTime64 exists; without it datetimes are Int64 microseconds since the epoch. */
  readonly dateTime64: boolean;
  /** The Bool type exists; without it booleans are UInt8. */
  readonly boolType: boolean;
  /** The KQL dialect for this server, labelled with its version (refusals name it). */
  readonly dialect: Dialect;
}

/** The first version with every function and type the (modern) ClickHouse dialect uses. */
export const MODERN_SINCE: readonly [number, number] = [24, 1];

function versionParts(version: string): [number, number] {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10));
  return [Number.isFinite(major) ? major : 0, Number.isFinite(minor) ? minor : 0];
}

export function capabilitiesOf(version: string): ClickHouseCapabilities {
  const [major, minor] = versionParts(version);
  const modern = major > MODERN_SINCE[0] || (major === MODERN_SINCE[0] && minor >= MODERN_SINCE[1]);
  const dialect = extendDialect(modern ? clickhouse : clickhouseOldServer, { label: `ClickHouse ${version}` });
  return { version, dateTime64: modern, boolType: modern, dialect };
}
