/**
 * Entity types and identifiers a Sentinel analytic rule may map, as data.
 *
 * Source: Azure-Sentinel `.script/tests/detectionTemplateSchemaValidation/Models/EntityMappingIdentifiers.cs`
 * (the map Sentinel's template validation uses) and learn.microsoft.com `sentinel/entities-reference`.
 * `alertType` is the lower-case `Type` an entity carries in Sentinel's SecurityAlert `Entities` JSON (as read
 * back by msticpy's entity map, e.g. `ip`, `host`, `cloud-application`); `required` lists the identifier
 * combinations of which a mapping must use at least one.
 */
export interface EntityTypeSpec {
  readonly entityType: string;
  readonly alertType: string;
  readonly identifiers: readonly string[];
  readonly required: ReadonlyArray<readonly string[]>;
}

const one = (...names: string[]): string[][] => names.map((name) => [name]);

export const ENTITY_TYPES: readonly EntityTypeSpec[] = [
  {
    entityType: 'Account',
    alertType: 'account',
    identifiers: ['Name', 'FullName', 'NTDomain', 'DnsDomain', 'UPNSuffix', 'Sid', 'AadTenantId', 'AadUserId', 'PUID', 'IsDomainJoined', 'DisplayName', 'ObjectGuid'],
    required: one('FullName', 'Sid', 'Name', 'AadUserId', 'PUID', 'ObjectGuid'),
  },
  { entityType: 'AzureResource', alertType: 'azure-resource', identifiers: ['ResourceId'], required: one('ResourceId') },
  { entityType: 'CloudApplication', alertType: 'cloud-application', identifiers: ['AppId', 'Name', 'InstanceName'], required: one('AppId', 'Name') },
  { entityType: 'DNS', alertType: 'dns', identifiers: ['DomainName'], required: one('DomainName') },
  { entityType: 'File', alertType: 'file', identifiers: ['Directory', 'Name'], required: one('Name') },
  { entityType: 'FileHash', alertType: 'filehash', identifiers: ['Algorithm', 'Value'], required: [['Algorithm', 'Value']] },
  {
    entityType: 'Host',
    alertType: 'host',
    identifiers: ['DnsDomain', 'NTDomain', 'HostName', 'FullName', 'NetBiosName', 'AzureID', 'OMSAgentID', 'OSFamily', 'OSVersion', 'IsDomainJoined'],
    required: one('FullName', 'HostName', 'NetBiosName', 'AzureID', 'OMSAgentID'),
  },
  {
    entityType: 'IoTDevice',
    alertType: 'iotdevice',
    identifiers: ['DeviceId', 'DeviceName', 'Manufacturer', 'Model', 'FirmwareVersion', 'OperatingSystem', 'MacAddress', 'Protocols', 'SerialNumber', 'Source', 'IoTSecurityAgentId', 'DeviceType'],
    required: one('DeviceId'),
  },
  { entityType: 'IP', alertType: 'ip', identifiers: ['Address'], required: one('Address') },
  {
    entityType: 'Mailbox',
    alertType: 'mailbox',
    identifiers: ['MailboxPrimaryAddress', 'DisplayName', 'Upn', 'ExternalDirectoryObjectId', 'RiskLevel'],
    required: one('MailboxPrimaryAddress'),
  },
  {
    entityType: 'MailCluster',
    alertType: 'mail-cluster',
    identifiers: [
      'NetworkMessageIds', 'CountByDeliveryStatus', 'CountByThreatType', 'CountByProtectionStatus', 'Threats', 'Query', 'QueryTime', 'MailCount',
      'IsVolumeAnomaly', 'Source', 'ClusterSourceIdentifier', 'ClusterSourceType', 'ClusterQueryStartTime', 'ClusterQueryEndTime', 'ClusterGroup',
    ],
    required: one('Query', 'Source'),
  },
  {
    entityType: 'MailMessage',
    alertType: 'mail-message',
    identifiers: [
      'Recipient', 'Urls', 'Threats', 'Sender', 'P1Sender', 'P1SenderDisplayName', 'P1SenderDomain', 'SenderIP', 'P2Sender', 'P2SenderDisplayName',
      'P2SenderDomain', 'ReceivedDate', 'NetworkMessageId', 'InternetMessageId', 'Subject', 'BodyFingerprintBin1', 'BodyFingerprintBin2',
      'BodyFingerprintBin3', 'BodyFingerprintBin4', 'BodyFingerprintBin5', 'AntispamDirection', 'DeliveryAction', 'DeliveryLocation', 'Language',
      'ThreatDetectionMethods',
    ],
    required: one('NetworkMessageId', 'Recipient'),
  },
  { entityType: 'Malware', alertType: 'malware', identifiers: ['Name', 'Category'], required: one('Name') },
  { entityType: 'Process', alertType: 'process', identifiers: ['ProcessId', 'CommandLine', 'ElevationToken', 'CreationTimeUtc'], required: one('CommandLine', 'ProcessId') },
  { entityType: 'RegistryKey', alertType: 'registry-key', identifiers: ['Hive', 'Key'], required: one('Key', 'Hive') },
  { entityType: 'RegistryValue', alertType: 'registry-value', identifiers: ['Name', 'Value', 'ValueType'], required: one('Name') },
  { entityType: 'SecurityGroup', alertType: 'security-group', identifiers: ['DistinguishedName', 'SID', 'ObjectGuid'], required: one('DistinguishedName', 'SID', 'ObjectGuid') },
  {
    entityType: 'SubmissionMail',
    alertType: 'SubmissionMail', // msticpy reads this one back with its capitals
    identifiers: ['NetworkMessageId', 'Timestamp', 'Recipient', 'Sender', 'SenderIp', 'Subject', 'ReportType', 'SubmissionId', 'SubmissionDate', 'Submitter'],
    required: one('SubmissionId', 'NetworkMessageId', 'Recipient', 'Submitter'),
  },
  { entityType: 'URL', alertType: 'url', identifiers: ['Url'], required: one('Url') },
];

const BY_TYPE: ReadonlyMap<string, EntityTypeSpec> = new Map(ENTITY_TYPES.map((spec) => [spec.entityType, spec]));

export function entityTypeSpec(entityType: string): EntityTypeSpec | undefined {
  return BY_TYPE.get(entityType);
}

/**
 * The key an identifier takes in smbwatch's alert entity JSON: camelCase with a leading capital run lowered
 * (`Address` → `address`, `NTDomain` → `ntDomain`, `UPNSuffix` → `upnSuffix`, `PUID` → `puid`), as in the
 * Sentinel REST API's entity properties.
 */
export function identifierKey(identifier: string): string {
  const leadingCapitals = /^[A-Z]+/.exec(identifier)?.[0] ?? '';
  if (leadingCapitals.length <= 1 || leadingCapitals.length === identifier.length) {
    return leadingCapitals.length === identifier.length ? identifier.toLowerCase() : identifier.charAt(0).toLowerCase() + identifier.slice(1);
  }
  // `NTDomain`: the last capital of the run starts the next word.
  const lowered = leadingCapitals.slice(0, -1).toLowerCase();
  return lowered + identifier.slice(leadingCapitals.length - 1);
}
