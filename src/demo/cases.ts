/**
 * The planted edge cases as the manifest lists them: which pairs to look at, and what the rule does with
 * them and why. The numbers (counts, deviations, outcomes) come from the generator's tallies.
 */
import type { WindowTally } from './expectation.js';
import type { PlantedCase } from './manifest.js';
import { plantedPair } from './manifest.js';
import type { Network } from './network.js';
import { PUBLIC_SCANNER_IP } from './network.js';
import type { Cast } from './scenario.js';

interface CaseSpec {
  readonly id: string;
  readonly title: string;
  readonly ruleBehaviour: string;
  readonly host?: string;
  readonly pairs: ReadonlyArray<readonly [src: string, port: number]>;
}

function caseSpecs(network: Network, cast: Cast): CaseSpec[] {
  const ip = (name: string): string => network.byName.get(name)!.ip;
  return [
    {
      id: 'steady-pair',
      title: 'An ordinary workstation with a steady daily SMB count',
      ruleBehaviour:
        'The baseline is the 13-day total, not a daily average, so a steady day scores about 12/13 (§4): ' +
        'fires under threshold 0.5 (v1.0.1) like nearly every SMB source, silent under 50.',
      host: cast.steady.host.name,
      pairs: [[cast.steady.host.ip, 445]],
    },
    {
      id: 'smb-drops',
      title: 'A workstation whose user is away on the last day: one SMB session instead of ~30',
      ruleBehaviour: 'abs() flags drops too (§4): a deviation just under 1, so it fires under 0.5 and never under 50.',
      host: cast.drops.host.name,
      pairs: [[cast.drops.host.ip, 445]],
    },
    {
      id: 'smb-stops',
      title: 'A workstation switched off on the last day',
      ruleBehaviour: 'No recent row, so the inner join drops the pair (§3.11): never in the result.',
      host: cast.stops.host.name,
      pairs: [[cast.stops.host.ip, 445]],
    },
    {
      id: 'netbios-139',
      title: 'A legacy application mapping its share over NetBIOS (139) beside ordinary SMB (445)',
      ruleBehaviour: 'Ports are grouping keys (§3.9): 139 and 445 are separate pairs, each with its own deviation.',
      host: cast.netbios.host.name,
      pairs: [
        [cast.netbios.host.ip, 445],
        [cast.netbios.host.ip, 139],
      ],
    },
    {
      id: 'cidr-suffix',
      title: 'Records whose source carries a CIDR suffix (a misconfigured exporter)',
      ruleBehaviour:
        'ipv4_is_private accepts "a.b.c.d/24" (§3.5) and SrcIpAddr is grouped as the exact string (§3.9): ' +
        'a pair of its own, separate from the same host without suffix; 1 → 2 sessions scores 1, firing under 0.5 only.',
      host: cast.cidr.host.name,
      pairs: [
        [cast.cidrSource, 445],
        [cast.cidr.host.ip, 445],
      ],
    },
    {
      id: 'port-1445',
      title: 'A licence service on port 1445 spiking from 2 sessions to 200',
      ruleBehaviour: 'has_any matches whole terms (§3.6): "1445" is not "445", so the pair is never considered.',
      host: cast.licence.host.name,
      pairs: [[cast.licence.host.ip, 1445]],
    },
    {
      id: 'ipv6-source',
      title: 'An IPv6 SMB talker: 4 sessions in the baseline, 400 on the last day',
      ruleBehaviour: 'ipv4_is_private returns null for IPv6 and where drops it (§3.5, §4): invisible under any threshold.',
      host: cast.dualStack.host.name,
      pairs: [[cast.dualStackIpv6, 445]],
    },
    {
      id: 'public-source',
      title: 'An internet scanner reaching FS01 over SMB: 3 sessions in the baseline, 300 on the last day',
      ruleBehaviour: 'A public source is not private (§3.5): filtered out, however large the spike.',
      pairs: [[PUBLIC_SCANNER_IP, 445]],
    },
    {
      id: 'new-source',
      title: 'An unknown device sweeping SMB across 30 hosts on the last day',
      ruleBehaviour: 'No baseline, so the inner join discards it (§4 "new sources are never flagged"): a miss under any threshold.',
      pairs: [[cast.rogueIp, 445]],
    },
    {
      id: 'window-start',
      title: 'A printer whose only baseline scan is exactly at T−14d (two more scans on day 1, before the look-back)',
      ruleBehaviour: 'The lower bound is inclusive (§3.4): baseline 1, recent 2, deviation 1 — fires under 0.5 only.',
      host: 'MFP-1F',
      pairs: [[ip('MFP-1F'), 445]],
    },
    {
      id: 'window-end',
      title: 'A printer with one scan exactly at T−1d and one later on the last day',
      ruleBehaviour:
        'A record at T−1d counts in both windows (§3.4): baseline 1, recent 2, deviation 1 — fires under 0.5 only ' +
        '(counted in one window only, it would score 0 or vanish).',
      host: 'MFP-2F',
      pairs: [[ip('MFP-2F'), 445]],
    },
    {
      id: 'at-now',
      title: 'A printer with one baseline scan, one on the last day and one exactly at T',
      ruleBehaviour: 'A record at T is in the recent window (§3.4): recent 2, deviation 1 — fires under 0.5 only.',
      host: 'MFP-3F',
      pairs: [[ip('MFP-3F'), 445]],
    },
    {
      id: 'after-now',
      title: 'A nightly sync job whose first run (80 sessions) starts ten minutes after T',
      ruleBehaviour:
        'The scheduled look-back ends at T (§3.3): the records after T are invisible, the pair has no recent row and ' +
        'vanishes. Read without that cap, the query text would count them (1 → 80) and fire even under 50.',
      host: 'CI02',
      pairs: [[ip('CI02'), 445]],
    },
  ];
}

export function plantedCases(network: Network, cast: Cast, tally: WindowTally): PlantedCase[] {
  return caseSpecs(network, cast).map((spec) => ({
    id: spec.id,
    title: spec.title,
    ruleBehaviour: spec.ruleBehaviour,
    ...(spec.host ? { host: spec.host } : {}),
    pairs: spec.pairs.map(([src, port]) => plantedPair(tally.get(src, port))),
  }));
}
