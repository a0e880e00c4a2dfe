/**
 * Deterministic alert ids: a name-based UUID (RFC 9562 version 5, SHA-1) in smbwatch's own namespace, so the same
 * rule run over the same window yields the same ids, and storing them twice adds nothing.
 */
import { createHash } from 'node:crypto';

/** smbwatch's namespace for alert ids (a fixed random UUID). */
const ALERT_NAMESPACE = '3d8f6c2e-5b1a-4f7e-9c0d-2a6b8e4f1c37';

export function uuidV5(name: string, namespace: string = ALERT_NAMESPACE): string {
  const namespaceBytes = Buffer.from(namespace.replaceAll('-', ''), 'hex');
  const hash = createHash('sha1').update(namespaceBytes).update(name, 'utf8').digest();
  const bytes = hash.subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x50; // version 5
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC variant
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export interface AlertIdentity {
  readonly ruleId: string;
  readonly ruleVersion: string;
  readonly parameters: Readonly<Record<string, string>>;
  /** The run's time (end of the look-back), ISO 8601. */
  readonly windowEnd: string;
  /** What makes this alert unique in its run: the row's values (AlertPerResult), or `*` for a whole-result alert. */
  readonly groupingKey: unknown;
}

export function alertId(identity: AlertIdentity): string {
  const parameters = Object.keys(identity.parameters)
    .sort()
    .map((name) => [name, identity.parameters[name]]);
  // Without overrides the name is exactly (rule id, version, window end, grouping key).
  const parts: unknown[] = [identity.ruleId, identity.ruleVersion, identity.windowEnd, identity.groupingKey];
  if (parameters.length > 0) parts.push(parameters);
  return uuidV5(JSON.stringify(parts));
}
