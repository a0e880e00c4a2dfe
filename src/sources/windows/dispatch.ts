/**
 * Which ASIM parser reads an event, decided per event so that one input may mix Sysmon, Security and any
 * other channel (the OTRF datasets do): Sysmon EID 3 → sysmon.ts, WFP 5150–5159 → windows-firewall.ts,
 * Sysmon for Linux EID 3 → linux-sysmon.ts; anything else is `ignored`, named.
 *
 * Exports keep the rules of their table's parser (an `Event` row is only ever read by the Sysmon parser,
 * a `WindowsEvent` 515x row is taken whatever its provider, as the parser checks only the ID). A raw event
 * (XML, NXLog, Winlogbeat) is read as the table it lands in when collected by the Azure Monitor agent's
 * standard connectors: Sysmon → `Event`, Security → `SecurityEvent`.
 */
import { type WindowsEvent, LINUX_SYSMON_PROVIDER, SECURITY_AUDITING_PROVIDER, SYSMON_PROVIDER } from './event.js';
import { mapLinuxSysmonNetworkConnection } from './linux-sysmon.js';
import type { Mapped } from './mapped.js';
import { mapSysmonNetworkConnection } from './sysmon.js';
import { mapFirewallEvent, selectsFirewallEvent } from './windows-firewall.js';

export function mapWindowsEvent(event: WindowsEvent): Mapped {
  const id = event.eventId;
  if (id === null) return { kind: 'reject', reason: 'the event has no numeric EventID', field: 'EventID' };
  switch (event.table) {
    case 'Event':
      return event.provider === SYSMON_PROVIDER && id === 3
        ? mapSysmonNetworkConnection(event, 'Event')
        : ignored(event, 'the Event table is read only by the Sysmon parser (Sysmon EID 3)');
    case 'WindowsEvent':
      if (event.provider === SYSMON_PROVIDER && id === 3) return mapSysmonNetworkConnection(event, 'WindowsEvent');
      return selectsFirewallEvent('WindowsEvent', id)
        ? mapFirewallEvent(event, id, 'WindowsEvent')
        : ignored(event, 'not Sysmon EID 3 nor 5150–5159');
    case 'SecurityEvent':
      return selectsFirewallEvent('SecurityEvent', id)
        ? mapFirewallEvent(event, id, 'SecurityEvent')
        : ignored(event, 'the SecurityEvent firewall parser selects 5152 and 5154–5159');
    case 'Syslog':
    case undefined:
      return mapRawEvent(event, id);
  }
}

function mapRawEvent(event: WindowsEvent, id: number): Mapped {
  if (event.provider === SYSMON_PROVIDER) {
    return id === 3 ? mapSysmonNetworkConnection(event, 'Event') : ignored(event, 'only Sysmon EID 3 is a network session');
  }
  if (event.provider === LINUX_SYSMON_PROVIDER) {
    return id === 3 ? mapLinuxSysmonNetworkConnection(event) : ignored(event, 'only Sysmon EID 3 is a network session');
  }
  if (isSecurityLog(event)) {
    return selectsFirewallEvent('SecurityEvent', id)
      ? mapFirewallEvent(event, id, 'SecurityEvent')
      : ignored(event, 'the SecurityEvent firewall parser selects 5152 and 5154–5159');
  }
  return ignored(event, 'not a network-session event');
}

function isSecurityLog(event: WindowsEvent): boolean {
  return event.provider === SECURITY_AUDITING_PROVIDER || (event.provider === '' && event.channel.toLowerCase() === 'security');
}

function ignored(event: WindowsEvent, why: string): Mapped {
  const origin = event.provider || event.channel || 'unknown provider';
  return { kind: 'ignored', what: `${origin} event ${event.eventId ?? '?'}${event.table ? ` (${event.table} table)` : ''}: ${why}` };
}
