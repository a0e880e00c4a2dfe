#!/usr/bin/env node
// Thin launcher so `npx smbwatch` works after `npm ci` (which builds dist/ in `prepare`).
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => { process.exitCode = code; },
  (error) => {
    process.stderr.write(`smbwatch: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
