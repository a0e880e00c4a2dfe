/**
 * The network and cloud sources, in detection order: the specific ones first (each recognises a header or
 * structure of its own), the CommonSecurityLog export before other CSV/JSON exports.
 */
import type { SourceFormat } from '../types.js';
import { awsVpcFlowFormat } from './aws-vpc.js';
import { azureNsgAnalyticsFormat, azureNsgFlowFormat } from './azure-nsg.js';
import { cefExportFormat, cefSyslogFormat } from './cef.js';
import { nfdumpCsvFormat } from './nfdump.js';
import { suricataEveFormat } from './suricata-eve.js';

export const NETWORK_FORMATS: readonly SourceFormat[] = [
  awsVpcFlowFormat,
  azureNsgFlowFormat,
  azureNsgAnalyticsFormat,
  cefSyslogFormat,
  cefExportFormat,
  suricataEveFormat,
  nfdumpCsvFormat,
];
