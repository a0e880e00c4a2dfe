/**
 * The Windows-side sources, in detection order: Windows event containers (one format per container, each
 * dispatching per event to Sysmon EID 3 / WFP 5150–5159 / Sysmon for Linux), then Defender exports.
 */
import type { SourceFormat } from '../types.js';
import { defenderNetworkEventsCsv, defenderNetworkEventsJson } from './defender.js';
import { sysmonLinuxSyslog } from './linux-sysmon-syslog.js';
import { windowsEventsCsv } from './windows-csv.js';
import { windowsEventsJsonArray, windowsEventsJsonl } from './windows-json.js';
import { windowsEventXml } from './windows-xml.js';

export const WINDOWS_FORMATS: readonly SourceFormat[] = [
  windowsEventXml,
  windowsEventsJsonl,
  windowsEventsJsonArray,
  windowsEventsCsv,
  sysmonLinuxSyslog,
  defenderNetworkEventsCsv,
  defenderNetworkEventsJson,
];
