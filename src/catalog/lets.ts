/**
 * The query's top-level `let` statements as the catalog lists them: name, what kind of value, its KQL, and which
 * earlier lets, tables and functions it derives from. The IR inlines lets, so they are read off Kusto.Language's
 * bound syntax tree (through kql/kusto.ts, the one module that touches it).
 */
import { collapse } from './kql-text.js';
import { analyzeKql, ASIM_FUNCTIONS, children, must, referencedSymbol, resultType, textOf, type KNode } from '../kql/kusto.js';

export interface LetBinding {
  readonly name: string;
  /** `scalar` (a constant or expression), `tabular` (a table expression), `function`. */
  readonly kind: 'scalar' | 'tabular' | 'function';
  /** The value's Kusto type (`long`, `dynamic`, …), or `table` with its columns for a tabular let. */
  readonly type: string;
  readonly columns?: readonly string[];
  /** The KQL of the value, whitespace collapsed, comments removed. */
  readonly kql: string;
  /** Earlier lets it reads, in order of first use. */
  readonly derivesFrom: readonly string[];
  /** Tables and functions of the schema it reads (`_Im_NetworkSession`). */
  readonly reads: readonly string[];
  /** Where its value is in the query text. */
  readonly span: { readonly start: number; readonly length: number };
}

export function letBindings(query: string): LetBinding[] {
  const analyzed = analyzeKql(query);
  const lets: LetBinding[] = [];
  for (const statement of analyzed.statements) {
    if (statement.kind !== 'LetStatement') continue;
    const name = textOf(must(statement, 'Name'), 'SimpleName');
    const value = must(statement, 'Expression');
    const type = resultType(value);
    const known = new Set(lets.map((l) => l.name));
    const derivesFrom: string[] = [];
    const reads: string[] = [];
    for (const reference of names(value)) {
      const list = known.has(reference.name) ? derivesFrom : reference.external ? reads : undefined;
      if (list && !list.includes(reference.name)) list.push(reference.name);
    }
    lets.push({
      name,
      kind: value.kind === 'FunctionDeclaration' ? 'function' : type && 'columns' in type ? 'tabular' : 'scalar',
      type: !type ? 'unknown' : 'scalar' in type ? type.scalar : 'table',
      ...(type && 'columns' in type ? { columns: type.columns.map((c) => c.name) } : {}),
      kql: collapse(value.text),
      derivesFrom,
      reads,
      span: { start: value.start, length: value.length },
    });
  }
  return lets;
}

/** Names referenced under a node; `external` when they resolve to a schema table or an ASIM function. */
function names(node: KNode): Array<{ name: string; external: boolean }> {
  const found: Array<{ name: string; external: boolean }> = [];
  const visit = (n: KNode): void => {
    if (n.kind === 'NameReference') {
      const kind = referencedSymbol(n)?.symbolKind;
      const name = textOf(n, 'SimpleName');
      if (name) found.push({ name, external: kind === 'Table' || (kind === 'Function' && ASIM_FUNCTIONS.includes(name)) });
    }
    for (const child of children(n)) visit(child);
  };
  visit(node);
  return found;
}

export { collapse };
