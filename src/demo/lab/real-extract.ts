/**
 * Writes real-episodes.json from the raw public files: `node dist/demo/lab/real-extract.js test/fixtures/real
 * src/demo/lab/real-episodes.json`. test/demo/lab-real.test.ts checks the committed file against the same extract.
 */
import { writeFile } from 'node:fs/promises';
import { extractRealEpisodes } from './real.js';

const [realDir, out] = process.argv.slice(2);
if (!realDir || !out) {
  process.stderr.write('usage: node dist/demo/lab/real-extract.js <test/fixtures/real> <out.json>\n');
  process.exit(2);
}
const file = await extractRealEpisodes(realDir);
await writeFile(out, `${JSON.stringify(file, null, 1)}\n`);
process.stdout.write(`${Object.entries(file.episodes).map(([name, records]) => `${name}: ${records.length} records`).join(', ')}\n`);
