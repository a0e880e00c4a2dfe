/**
 * The committed extract of the real episodes is exactly what smbwatch's parsers make of the raw public files.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { extractRealEpisodes, realEpisodesPath } from '../../src/demo/lab/real.js';
import { REAL_DATA } from '../helpers/real.js';

describe('real-episodes.json', () => {
  it('equals the extract of test/fixtures/real (regenerate: node dist/demo/lab/real-extract.js test/fixtures/real src/demo/lab/real-episodes.json)', async () => {
    const committed = JSON.parse(readFileSync(realEpisodesPath(), 'utf8')) as unknown;
    const fresh = JSON.parse(JSON.stringify(await extractRealEpisodes(REAL_DATA))) as unknown;
    expect(fresh).toEqual(committed);
  });

  it('holds the SMB of each episode: SCRANTON → NASHUA on two sensors, the PurpleSharp fan-out, the Covenant copy', async () => {
    const { episodes } = JSON.parse(readFileSync(realEpisodesPath(), 'utf8')) as { episodes: Record<string, Array<Record<string, unknown>>> };
    const pairs = (name: string): string[] => [...new Set(episodes[name]!.map((r) => `${String(r.SrcIpAddr)}>${String(r.DstIpAddr)}`))].sort();
    expect(pairs('apt29')).toContain('10.0.1.4>10.0.1.6');
    expect(new Set(episodes.apt29!.map((r) => r.Dvc)).size).toBe(2);
    expect(pairs('purplesharp')).toEqual(['172.18.39.5>172.18.38.5', '172.18.39.5>172.18.39.6', '172.18.39.5>172.18.39.7']);
    expect(pairs('covenant')).toEqual(['172.18.39.5>172.18.39.6']);
  });
});
