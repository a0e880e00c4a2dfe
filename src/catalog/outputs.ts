/**
 * The result's fields and where each comes from: the stage that computes its value (a pass-through — a project or
 * summarize key that only carries a column along, a filter, a join side — is followed down to the stage that
 * actually produces it), with the formula when it is computed.
 */
import type { Rel } from '../kql/ir.js';
import type { ScalarType } from '../kql/types.js';
import { aggregateText, kqlText } from './kql-text.js';
import { allStages, type Pipeline, type Stage } from './pipeline.js';
import { nodeAt } from './plan.js';

export interface OutputField {
  readonly name: string;
  readonly type: ScalarType;
  /** The stage that produces the value. */
  readonly stage: string;
  readonly stageKind: Stage['kind'];
  /** How it is computed there (`abs(RecentCount - AvgCount) / AvgCount`, `count()`), or absent for a table column. */
  readonly expression?: string;
  /** For a rename or computation over one column: the field it is made from (Count ← RecentCount). */
  readonly from?: string;
}

export function outputFieldsOf(root: Rel, pipeline: Pipeline): OutputField[] {
  const byPath = new Map(allStages(pipeline).flatMap((stage) => stagePaths(stage).map((p) => [p, stage] as const)));
  return root.columns.map((column) => {
    const origin = trace(root, [], column.name);
    const stage = byPath.get(origin.path.join('.'));
    return {
      name: column.name,
      type: column.type,
      stage: stage?.number ?? '?',
      stageKind: stage?.kind ?? 'source',
      ...(origin.expression === undefined ? {} : { expression: origin.expression }),
      ...(origin.from === undefined ? {} : { from: origin.from }),
    };
  });
}

/** Every IR path a stage covers: from its top node down to its bottom node. */
function stagePaths(stage: Stage): string[] {
  const paths: string[] = [];
  for (let n = stage.path.length; n <= stage.bottomPath.length; n++) paths.push(stage.bottomPath.slice(0, n).join('.'));
  return paths;
}

interface Origin {
  readonly path: readonly number[];
  readonly expression?: string;
  readonly from?: string;
}

function trace(root: Rel, path: readonly number[], name: string): Origin {
  const node = nodeAt(root, path);
  switch (node.k) {
    case 'filter':
    case 'sort':
    case 'limit':
    case 'render':
      return trace(root, [...path, 0], name);
    case 'project':
    case 'distinct': {
      const item = node.items.find((i) => i.name === name);
      if (!item) return { path };
      if (item.expr.k === 'col' && item.expr.name === name) return trace(root, [...path, 0], name);
      return { path, expression: kqlText(item.expr), ...(item.expr.k === 'col' ? { from: item.expr.name } : {}) };
    }
    case 'summarize': {
      const key = node.keys.find((k) => k.name === name);
      if (key) return key.expr.k === 'col' && key.expr.name === name ? trace(root, [...path, 0], name) : { path, expression: kqlText(key.expr) };
      const aggregate = node.aggregates.find((a) => a.name === name);
      return { path, ...(aggregate ? { expression: aggregateText(aggregate.agg) } : {}) };
    }
    case 'join': {
      const index = node.columns.findIndex((c) => c.name === name);
      const leftCount = node.kind === 'rightsemi' || node.kind === 'rightanti' ? 0 : node.left.columns.length;
      if (index < 0) return { path };
      if (node.kind === 'rightsemi' || node.kind === 'rightanti') return trace(root, [...path, 1], name);
      if (index < leftCount) return trace(root, [...path, 0], node.left.columns[index]!.name);
      const right = node.right.columns[index - leftCount];
      return right ? trace(root, [...path, 1], right.name) : { path };
    }
    default:
      return { path };
  }
}
