/**
 * `smbwatch <args>` as a whole process, through the same entry point as bin/smbwatch.js, reporting its usage on fd 3
 * when it ends (processes.ts).
 */
import { main } from '../cli/main.js';
import { reportUsage } from './processes.js';

const code = await main(['node', 'smbwatch', ...process.argv.slice(2)]);
reportUsage({ code });
