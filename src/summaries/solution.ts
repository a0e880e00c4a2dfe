/**
 * What Network Session Essentials content names besides the ASIM table, declared for the KQL binder: its custom
 * tables, its parser, and the per-source ASIM parsers its summary rules union.
 *
 * - `NetworkCustomAnalytics*_CL` (eighteen tables) are written by the solution's Logic App playbooks
 *   (`SummarizeData_NSE`), which run in Azure; smbwatch never holds them unless a user loads them, so the rules'
 *   `union isfuzzy=true` legs over them are skipped. Their schema is the one Sentinel's own query validation declares
 *   for the solution's parser (`.script/tests/KqlvalidationsTests/CustomFunctions/NetworkSessionEssentialsCustomParser.json`).
 * - `NetworkSessionEssentialsCustomParser`: the solution's parser (`Parsers/NetworkSessionEssentialsCustomParser.yaml`),
 *   its FunctionQuery verbatim.
 * - `_Im_NetworkSession_<Source>V<n>`: the summary rules read every source through its own parser. smbwatch holds all
 *   sources normalized in one ASIM table — Sentinel's native table — so `_Im_NetworkSession_NativeV03` reads it
 *   (with the parser filters of `_Im_NetworkSession`) and the sixteen others read nothing, as a parser over a
 *   source table that does not exist does. `_Im_NetworkSession_EmptyV03` gives the schema and no rows.
 */
import { ASIM_TABLE } from '../asim/schema.js';
import type { CatalogFunction } from '../kql/catalog.js';
import { IM_NETWORK_SESSION_PARAMETERS } from '../kql/kusto.js';
import type { Column } from '../kql/types.js';

export const CUSTOM_ANALYTICS_TABLES: readonly string[] = [
  'NetworkCustomAnalytics_ip_CL', 'NetworkCustomAnalytics_ipV1_CL', 'NetworkCustomAnalytics_source_port_CL',
  'NetworkCustomAnalytics_source_portV1_CL', 'NetworkCustomAnalytics_country_CL', 'NetworkCustomAnalytics_countryV1_CL',
  'NetworkCustomAnalytics_CL', 'NetworkCustomAnalyticsV1_CL', 'NetworkCustomAnalytics_protocol_CL',
  'NetworkCustomAnalytics_protocolV1_CL', 'NetworkCustomAnalytics_sourceInfo_CL', 'NetworkCustomAnalytics_sourceInfoV1_CL',
  'NetworkCustomAnalytics_threat_CL', 'NetworkCustomAnalytics_threatV1_CL', 'NetworkCustomAnalytics_threat_ioc_CL',
  'NetworkCustomAnalytics_threat_iocV1_CL', 'NetworkCustomAnalytics_rule_CL', 'NetworkCustomAnalytics_ruleV1_CL',
];

const column = (name: string, type: Column['type']): Column => ({ name, type });

/** The columns Sentinel's validation declares for the solution's parser, i.e. for the union of these tables. */
export const CUSTOM_ANALYTICS_COLUMNS: readonly Column[] = [
  ['TenantId', 'string'], ['SourceSystem', 'string'], ['MG', 'string'], ['ManagementGroupName', 'string'], ['TimeGenerated', 'datetime'],
  ['Computer', 'string'], ['RawData', 'string'], ['SrcIpAddr_s', 'string'], ['DstIpAddr_s', 'string'], ['NetworkDirection_s', 'string'],
  ['DvcAction_s', 'string'], ['count__d', 'real'], ['EventTime_t', 'datetime'], ['Type', 'string'], ['_ResourceId', 'string'],
  ['SrcIpAddr', 'string'], ['DstIpAddr', 'string'], ['NetworkDirection', 'string'], ['DvcAction', 'string'], ['count_', 'long'],
  ['EventTime', 'datetime'], ['SrcPortNumber_d', 'real'], ['SrcPortNumber', 'long'], ['SrcGeoCountry_s', 'string'],
  ['DstGeoCountry_s', 'string'], ['SrcGeoCountry', 'string'], ['DstGeoCountry', 'string'], ['EventResult_s', 'string'],
  ['EventSeverity_s', 'string'], ['EventResult', 'string'], ['EventSeverity', 'string'], ['NetworkProtocol_s', 'string'],
  ['DstPortNumber_d', 'real'], ['DstAppName_s', 'string'], ['NetworkProtocol', 'string'], ['DstPortNumber', 'long'],
  ['DstAppName', 'string'], ['EventProduct_s', 'string'], ['DvcHostname_s', 'string'], ['EventProduct', 'string'],
  ['DvcHostname', 'string'], ['Threat', 'string'], ['ThreatCategory', 'string'], ['SrcHostname', 'string'], ['DstHostname', 'string'],
  ['Rule_s', 'string'], ['Rule', 'string'],
].map(([name, type]) => column(name as string, type as Column['type']));

/** The per-source parsers the summary rules union (their `union isfuzzy=true` list). */
export const SOURCE_PARSERS: readonly string[] = [
  'AppGateSDPV02', 'AWSVPCV03', 'CheckPointFirewallV11', 'CiscoASAV10', 'CiscoFirepowerV01', 'CiscoISEV11', 'ForcePointFirewallV01',
  'FortinetFortiGateV04', 'Microsoft365DefenderV04', 'LinuxSysmonV04', 'MicrosoftWindowsEventFirewallV04', 'NativeV03', 'PaloAltoCEFV07',
  'SonicWallFirewallV01', 'VMConnectionV02', 'WatchGuardFirewareOSV01', 'ZscalerZIAV04',
].map((source) => `_Im_NetworkSession_${source}`);

const PASS_THROUGH = IM_NETWORK_SESSION_PARAMETERS.slice(1, -1).split(/,\s*(?=[a-z_]+:)/).map((p) => p.split(':')[0]!);

/**
 * The solution's functions, given which of its custom tables the store holds. The parser unions the
 * `NetworkCustomAnalytics*_CL` tables the store holds; over none it is not declared at all, so a name that cannot
 * be resolved, as a missing table: `union isfuzzy=true` drops a leg naming it (a fuzzy union over no table fails in
 * Kusto, and the solution's queries only call the parser inside fuzzy legs).
 */
export function essentialsFunctions(present: ReadonlySet<string>): CatalogFunction[] {
  const customTables = CUSTOM_ANALYTICS_TABLES.filter((t) => present.has(t));
  return [
    ...(customTables.length > 0
      ? [{ name: 'NetworkSessionEssentialsCustomParser', parameters: '()', body: `{ union isfuzzy=true ${customTables.join(', ')} }` }]
      : []),
    { name: '_Im_NetworkSession_EmptyV03', parameters: '()', body: `{ ${ASIM_TABLE} | take 0 }` },
    ...SOURCE_PARSERS.map((name) => ({
      name,
      parameters: IM_NETWORK_SESSION_PARAMETERS,
      body: name === '_Im_NetworkSession_NativeV03'
        ? `{ _Im_NetworkSession(${PASS_THROUGH.map((p) => `${p}=${p}`).join(', ')}) }`
        : '{ _Im_NetworkSession_EmptyV03 }',
    })),
  ];
}
