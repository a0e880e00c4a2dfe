/**
 * The key of a compiled plan: a SHA-256 of the query text after parameters, the look-back, and the compiler's
 * fingerprint (smbwatch's version, the ASIM schema and the text of the compiler itself — every module under kql/
 * and rules/cache/), so that a change to the compiler never serves an old plan even when the version did not move.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ASIM_COLUMNS } from '../../asim/schema.js';
import { catalogFingerprint, type Catalog } from '../../kql/catalog.js';
import { defaultCatalog } from '../../summaries/catalog.js';

let fingerprintMemo: string | undefined;

/** smbwatch's version, the ASIM schema and the compiler's own text, hashed (see the module comment). */
export function compilerFingerprint(): string {
  if (fingerprintMemo) return fingerprintMemo;
  const hash = createHash('sha256');
  const { version } = createRequire(import.meta.url)('../../../package.json') as { version: string };
  hash.update(`smbwatch ${version}\n`);
  hash.update(JSON.stringify(ASIM_COLUMNS.map((c) => [c.name, c.type])));
  for (const dir of ['../../kql/', './']) {
    const root = fileURLToPath(new URL(dir, import.meta.url));
    for (const file of sourceFiles(root)) hash.update(`\n${file}\n`).update(readFileSync(join(root, file)));
  }
  fingerprintMemo = hash.digest('hex');
  return fingerprintMemo;
}

/** Module files under a directory (sorted, relative paths): .ts in the sources, .js once built. */
function sourceFiles(root: string, prefix = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(root, prefix), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...sourceFiles(root, relative));
    else if (/\.(?:ts|js)$/.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(relative);
  }
  return files;
}

const catalogFingerprints = new WeakMap<Catalog, string>();

/** The catalog's fingerprint (kql/catalog.ts), computed once per catalog object. */
function fingerprintOf(catalog: Catalog): string {
  let fingerprint = catalogFingerprints.get(catalog);
  if (!fingerprint) catalogFingerprints.set(catalog, (fingerprint = catalogFingerprint(catalog)));
  return fingerprint;
}

/**
 * The key of a query's plan: the compiler, the look-back, the text, and the catalog it was compiled against (which
 * summary tables the store holds, the watchlists' contents).
 */
export function planKey(queryText: string, lookbackMicros: number, catalog: Catalog = defaultCatalog()): string {
  return createHash('sha256').update(JSON.stringify([compilerFingerprint(), lookbackMicros, queryText, fingerprintOf(catalog)])).digest('hex');
}
