// Preloaded with `node --import` by tests that check which modules a command loads: every module URL the ESM
// loader resolves is appended to the file named by $SMBWATCH_MODULE_TRACE (hooks run off the main thread).
import { register } from 'node:module';

register(
  `data:text/javascript,${encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.SMBWATCH_MODULE_TRACE, resolved.url + '\\n');
  return resolved;
}`)}`,
  import.meta.url,
);
