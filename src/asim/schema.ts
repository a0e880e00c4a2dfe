/**
 * The ASIM NetworkSession schema (0.2.x) as data: every column with its Kusto type.
 *
 * Source: github.com/Azure/Azure-Sentinel, ASIM/dev/ASimTester/ASimTester.csv and the typed empty parser
 * Parsers/ASimNetworkSession/Parsers/vimNetworkSessionEmpty.yaml. The order is the empty parser's grouping: event,
 * device, network, destination/source, aliases, NAT, rules, threat fields.
 */

/** Kusto scalar types that occur in the schema. */
export type AsimType = 'string' | 'int' | 'long' | 'real' | 'bool' | 'datetime' | 'dynamic';

export interface AsimColumn {
  readonly name: string;
  readonly type: AsimType;
}

const EVENT_COLUMNS: ReadonlyArray<[string, AsimType]> = [
  ['TimeGenerated', 'datetime'],
  ['Type', 'string'],
  ['_ResourceId', 'string'],
  ['EventMessage', 'string'],
  ['EventCount', 'int'],
  ['EventStartTime', 'datetime'],
  ['EventEndTime', 'datetime'],
  ['EventType', 'string'],
  ['EventSubType', 'string'],
  ['EventResult', 'string'],
  ['EventResultDetails', 'string'],
  ['EventOriginalResultDetails', 'string'],
  ['EventSeverity', 'string'],
  ['EventOriginalSeverity', 'string'],
  ['EventUid', 'string'],
  ['EventOriginalUid', 'string'],
  ['EventOriginalType', 'string'],
  ['EventOriginalSubType', 'string'],
  ['EventProduct', 'string'],
  ['EventProductVersion', 'string'],
  ['EventVendor', 'string'],
  ['EventSchema', 'string'],
  ['EventSchemaVersion', 'string'],
  ['EventReportUrl', 'string'],
  ['EventOwner', 'string'],
  ['AdditionalFields', 'dynamic'],
];

const DEVICE_COLUMNS: ReadonlyArray<[string, AsimType]> = [
  ['Dvc', 'string'],
  ['DvcIpAddr', 'string'],
  ['DvcHostname', 'string'],
  ['DvcDomain', 'string'],
  ['DvcDomainType', 'string'],
  ['DvcFQDN', 'string'],
  ['DvcId', 'string'],
  ['DvcIdType', 'string'],
  ['DvcMacAddr', 'string'],
  ['DvcZone', 'string'],
  ['DvcOs', 'string'],
  ['DvcOsVersion', 'string'],
  ['DvcDescription', 'string'],
  ['DvcAction', 'string'],
  ['DvcOriginalAction', 'string'],
  ['DvcInterface', 'string'],
  ['DvcInboundInterface', 'string'],
  ['DvcOutboundInterface', 'string'],
  ['DvcScopeId', 'string'],
  ['DvcScope', 'string'],
  ['DvcSubscriptionId', 'string'],
];

const NETWORK_COLUMNS: ReadonlyArray<[string, AsimType]> = [
  ['NetworkApplicationProtocol', 'string'],
  ['NetworkProtocol', 'string'],
  ['NetworkProtocolVersion', 'string'],
  ['NetworkDirection', 'string'],
  ['NetworkDuration', 'int'],
  ['NetworkIcmpCode', 'int'],
  ['NetworkIcmpType', 'string'],
  ['NetworkConnectionHistory', 'string'],
  ['SrcBytes', 'long'],
  ['DstBytes', 'long'],
  ['NetworkBytes', 'long'],
  ['SrcPackets', 'long'],
  ['DstPackets', 'long'],
  ['NetworkPackets', 'long'],
  ['NetworkSessionId', 'string'],
  ['TcpFlagsAck', 'bool'],
  ['TcpFlagsFin', 'bool'],
  ['TcpFlagsPsh', 'bool'],
  ['TcpFlagsRst', 'bool'],
  ['TcpFlagsSyn', 'bool'],
  ['TcpFlagsUrg', 'bool'],
  ['TcpFlagsEce', 'bool'],
  ['TcpFlagsCwr', 'bool'],
  ['TcpFlagsNs', 'bool'],
  ['SrcVlanId', 'string'],
  ['DstVlanId', 'string'],
];

/** Fields that exist once for the destination and once for the source (`Dst*` / `Src*`). */
const ENDPOINT_FIELDS: ReadonlyArray<[string, AsimType]> = [
  ['', 'string'], // the `Dst` / `Src` alias itself
  ['IpAddr', 'string'],
  ['PortNumber', 'int'],
  ['Hostname', 'string'],
  ['Domain', 'string'],
  ['DomainType', 'string'],
  ['FQDN', 'string'],
  ['DvcId', 'string'],
  ['DvcIdType', 'string'],
  ['DvcScopeId', 'string'],
  ['DvcScope', 'string'],
  ['DeviceType', 'string'],
  ['Zone', 'string'],
  ['InterfaceName', 'string'],
  ['InterfaceGuid', 'string'],
  ['MacAddr', 'string'],
  ['SubscriptionId', 'string'],
  ['ScopeId', 'string'],
  ['GeoCountry', 'string'],
  ['GeoRegion', 'string'],
  ['GeoCity', 'string'],
  ['GeoLatitude', 'real'],
  ['GeoLongitude', 'real'],
  ['UserId', 'string'],
  ['UserIdType', 'string'],
  ['Username', 'string'],
  ['UsernameType', 'string'],
  ['UserType', 'string'],
  ['OriginalUserType', 'string'],
  ['UserScope', 'string'],
  ['UserScopeId', 'string'],
  ['UserDomain', 'string'],
  ['AppName', 'string'],
  ['AppId', 'string'],
  ['AppType', 'string'],
  ['ProcessName', 'string'],
  ['ProcessId', 'string'],
  ['ProcessGuid', 'string'],
];

const ALIAS_NAT_RULE_THREAT_COLUMNS: ReadonlyArray<[string, AsimType]> = [
  ['Hostname', 'string'],
  ['IpAddr', 'string'],
  ['ASimMatchingIpAddr', 'string'],
  ['ASimMatchingHostname', 'string'],
  ['SrcNatIpAddr', 'string'],
  ['SrcNatPortNumber', 'int'],
  ['DstNatIpAddr', 'string'],
  ['DstNatPortNumber', 'int'],
  ['NetworkRuleName', 'string'],
  ['NetworkRuleNumber', 'int'],
  ['Rule', 'string'],
  ['ThreatId', 'string'],
  ['ThreatName', 'string'],
  ['ThreatCategory', 'string'],
  ['ThreatIpAddr', 'string'],
  ['ThreatRiskLevel', 'int'],
  ['ThreatOriginalRiskLevel', 'string'],
  ['ThreatField', 'string'],
  ['ThreatConfidence', 'int'],
  ['ThreatOriginalConfidence', 'string'],
  ['ThreatIsActive', 'bool'],
  ['ThreatFirstReportedTime', 'datetime'],
  ['ThreatLastReportedTime', 'datetime'],
];

function endpointColumns(prefix: 'Dst' | 'Src'): Array<[string, AsimType]> {
  return ENDPOINT_FIELDS.map(([suffix, type]) => [prefix + suffix, type]);
}

/** Every column of the ASIM NetworkSession table, in store order. */
export const ASIM_COLUMNS: readonly AsimColumn[] = [
  ...EVENT_COLUMNS,
  ...DEVICE_COLUMNS,
  ...NETWORK_COLUMNS,
  ...endpointColumns('Dst'),
  ...endpointColumns('Src'),
  ...ALIAS_NAT_RULE_THREAT_COLUMNS,
].map(([name, type]) => ({ name, type }));

export const ASIM_COLUMN_INDEX: ReadonlyMap<string, number> = new Map(
  ASIM_COLUMNS.map((column, index) => [column.name, index]),
);

export const ASIM_COLUMN_TYPES: ReadonlyMap<string, AsimType> = new Map(
  ASIM_COLUMNS.map((column) => [column.name, column.type]),
);

/** Name of the table (as Sentinel's native ASIM table is called) that holds the records. */
export const ASIM_TABLE = 'ASimNetworkSessionLogs';

export const ASIM_SCHEMA_NAME = 'NetworkSession';
