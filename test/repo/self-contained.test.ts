/**
 * A user's fresh clone has nothing beside it: no test may read outside the repository. This scans the test
 * sources for paths that climb out of it (the project's shared folder, or `../` chains deeper than the test
 * tree), and checks that the real-log fixtures carry their provenance and licences and are unmodified.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REAL_DATA } from '../helpers/real.js';

const TEST_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REPO_ROOT = resolve(TEST_ROOT, '..');

function testSources(): string[] {
  return readdirSync(TEST_ROOT, { recursive: true, encoding: 'utf8' })
    .filter((path) => /\.(ts|js|mjs)$/.test(path) && !path.startsWith('fixtures'))
    .map((path) => join(TEST_ROOT, path));
}

/** Every relative path literal in a file that, resolved from that file, lands outside the repository. */
function escapingPaths(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const literals = text.match(/(['"`])((?:\.\.\/)+[^'"`\s]*)\1/g) ?? [];
  return literals
    .map((literal) => literal.slice(1, -1))
    .filter((path) => relative(REPO_ROOT, resolve(file, '..', path)).startsWith('..'));
}

describe('the test suite is self-contained', () => {
  it('no test names a path outside the repository', () => {
    const offenders = testSources().flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const named = /shared\/data|\/work\/shared/.test(text) && !file.endsWith('self-contained.test.ts') ? ['shared data'] : [];
      return [...named, ...escapingPaths(file)].map((path) => `${relative(REPO_ROOT, file)}: ${path}`);
    });
    expect(offenders).toEqual([]);
  });

  it('the real logs are in the repository, unmodified, with provenance and licences', () => {
    const sums = readFileSync(join(REAL_DATA, 'SHA256SUMS'), 'utf8').trim().split('\n');
    expect(sums.length).toBeGreaterThanOrEqual(7);
    for (const line of sums) {
      const [hash, name] = line.split(/\s+/) as [string, string];
      const actual = createHash('sha256').update(readFileSync(join(REAL_DATA, name))).digest('hex');
      expect(actual, name).toBe(hash);
    }
    const readme = readFileSync(join(REAL_DATA, 'README.md'), 'utf8');
    for (const line of sums) expect(readme, line).toContain(line.split(/\s+/)[1]!.split('/')[1]!);
    expect(readFileSync(join(REAL_DATA, 'otrf/LICENSE-OTRF.txt'), 'utf8')).toMatch(/Redistributions of source code must retain/);
    expect(readFileSync(join(REAL_DATA, 'stratosphere/LICENSE-GPL-2.0.txt'), 'utf8')).toMatch(/GNU GENERAL PUBLIC LICENSE\s+Version 2/);
  });
});
