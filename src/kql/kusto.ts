/**
 * The one door to Microsoft's Kusto.Language (npm `@kusto/language-service-next`), a Bridge.NET build of the C#
 * parser and binder. It populates globals (`Bridge`, `System`, `Kusto`) instead of exporting anything, so it is
 * loaded here, once per process, and the rest of the compiler sees only the small typed surface below:
 * `analyzeKql(text)` returns bound syntax nodes wrapped as `KNode`, and accessors that read named children.
 *
 * Every untyped access to the Bridge objects stays inside this module.
 */
import { createRequire } from 'node:module';
import { ASIM_COLUMNS, ASIM_TABLE } from '../asim/schema.js';
import { WATCHLIST_FIXED_COLUMNS, watchlistColumns } from '../watchlists/watchlist.js';
import { catalogSchemaKey, EMPTY_CATALOG, type Catalog } from './catalog.js';
import { KqlError, type KqlDiagnostic } from './errors.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- the Bridge.NET globals have no usable static types */
type Bridged = any;

interface KustoGlobals {
  readonly Bridge: Bridged;
  readonly System: Bridged;
  readonly Kusto: Bridged;
}

let loaded: KustoGlobals | undefined;

/** Loads the runtime then the parser (order matters: the parser expects a global `Bridge`). */
function kusto(): KustoGlobals {
  if (loaded) return loaded;
  const require = createRequire(import.meta.url);
  require('@kusto/language-service-next/bridge.min.js');
  require('@kusto/language-service-next/Kusto.Language.Bridge.min.js');
  const g = globalThis as unknown as KustoGlobals;
  loaded = { Bridge: g.Bridge, System: g.System, Kusto: g.Kusto };
  return loaded;
}

/** The ASIM unifying parser's parameters (asim-networksession.md §3), as a Kusto parameter list. */
export const IM_NETWORK_SESSION_PARAMETERS =
  '(starttime:datetime=datetime(null), endtime:datetime=datetime(null), ' +
  'srcipaddr_has_any_prefix:dynamic=dynamic([]), dstipaddr_has_any_prefix:dynamic=dynamic([]), ' +
  'ipaddr_has_any_prefix:dynamic=dynamic([]), dstportnumber:int=int(null), hostname_has_any:dynamic=dynamic([]), ' +
  "dvcaction:dynamic=dynamic([]), eventresult:string='*', pack:bool=false)";

export const ASIM_FILTERING_FUNCTIONS = ['_Im_NetworkSession', 'imNetworkSession'] as const;
export const ASIM_PACK_ONLY_FUNCTIONS = ['_ASim_NetworkSession', 'ASimNetworkSession'] as const;
export const ASIM_FUNCTIONS: readonly string[] = [...ASIM_FILTERING_FUNCTIONS, ...ASIM_PACK_ONLY_FUNCTIONS];

const globalStates = new Map<string, Bridged>();

/** The function Sentinel provides for watchlists (catalog.ts, src/watchlists/). */
export const GET_WATCHLIST = '_GetWatchlist';

/**
 * The global schema: the ASIM table and the ASIM functions, plus the catalog's tables, stored functions and
 * `_GetWatchlist`. The ASIM function bodies only serve the binder (they give the result schema); the IR builder
 * expands calls to them itself with the parsers' filtering semantics. One global state per catalog schema.
 */
function schemaGlobals(catalog: Catalog): Bridged {
  const key = catalogSchemaKey(catalog);
  const cached = globalStates.get(key);
  if (cached) return cached;
  const { Kusto, Bridge } = kusto();
  const S = Kusto.Language.Symbols;
  const tableSymbol = (columns: ReadonlyArray<{ readonly name: string; readonly type: string }>): Bridged =>
    S.TableSymbol.From(`(${columns.map((c) => `['${c.name}']:${c.type}`).join(', ')})`);
  const table = tableSymbol(ASIM_COLUMNS).WithName(ASIM_TABLE);
  const body = `{ ${ASIM_TABLE} }`;
  const functions = [
    ...ASIM_FILTERING_FUNCTIONS.map((name) => new S.FunctionSymbol.$ctor16(name, IM_NETWORK_SESSION_PARAMETERS, body, null)),
    ...ASIM_PACK_ONLY_FUNCTIONS.map((name) => new S.FunctionSymbol.$ctor16(name, '(pack:bool=false)', body, null)),
  ];
  const tables = catalog.tables.filter((t) => t.present).map((t) => tableSymbol(t.columns).WithName(t.name));
  const stored = catalog.functions.map((f) => new S.FunctionSymbol.$ctor16(f.name, f.parameters, f.body, null));
  // _GetWatchlist's columns depend on its (constant) argument: the fixed four, then the watchlist's own.
  const getWatchlist = new S.FunctionSymbol.ctor(
    GET_WATCHLIST,
    (context: Bridged) => {
      const [argument] = Bridge.toArray(context.Arguments) as Bridged[];
      const alias = argument && argument.IsConstant ? String(argument.ConstantValue) : undefined;
      const watchlist = alias === undefined ? undefined : catalog.watchlists.get(alias);
      return tableSymbol(watchlist ? watchlistColumns(watchlist) : [...WATCHLIST_FIXED_COLUMNS]);
    },
    S.Tabularity.Tabular,
    [new S.Parameter.$ctor3('watchlistAlias', S.ScalarTypes.String)],
  );
  const database = new S.DatabaseSymbol.ctor('smbwatch', [table, ...functions, ...tables, ...stored, getWatchlist]);
  const state = Kusto.Language.GlobalState.Default.WithDatabase(database);
  globalStates.set(key, state);
  return state;
}

/** Pays Kusto.Language's one-time initialisation (≈1–2 s) up front, e.g. at CLI start-up. */
export function warmUpKusto(): void {
  analyzeKql('print x = 1');
}

/** A bound syntax node. Named children and properties are read with the accessors below. */
export interface KNode {
  readonly kind: string;
  /** Offset of the node's first character (trivia excluded) in the query text. */
  readonly start: number;
  readonly length: number;
  /** The node's text without leading trivia. */
  readonly text: string;
}

/** A symbol the binder resolved (column, variable, function, table, parameter). Identity is the object itself. */
export interface KSymbol {
  readonly name: string;
  readonly symbolKind: string;
  readonly handle: object;
}

/** A scalar type name (`long`, `string`, …) or a table's columns. */
export type KResultType =
  | { readonly scalar: string }
  | { readonly columns: ReadonlyArray<{ readonly name: string; readonly type: string }> }
  /** Several values from one call (`series_stats(x)`), named as the binder names the columns they become. */
  | { readonly tuple: ReadonlyArray<{ readonly name: string; readonly type: string }> };

const wrappers = new WeakMap<object, KNode>();
const raw = new WeakMap<KNode, Bridged>();

function wrap(node: Bridged): KNode {
  const existing = wrappers.get(node);
  if (existing) return existing;
  const { System, Kusto } = kusto();
  const wrapped: KNode = {
    kind: System.Enum.toString(Kusto.Language.Syntax.SyntaxKind, node.Kind),
    start: node.TextStart,
    length: Math.max(0, node.End - node.TextStart),
    get text(): string {
      return String(node.toString()).trim();
    },
  };
  wrappers.set(node, wrapped);
  raw.set(wrapped, node);
  return wrapped;
}

function unwrap(node: KNode): Bridged {
  const r = raw.get(node);
  if (!r) throw new Error('not a Kusto node');
  return r;
}

/** A named child node (`Expression`, `Operator`, `Condition`, …), or undefined when absent. */
export function child(node: KNode, property: string): KNode | undefined {
  const value = unwrap(node)[property];
  return value == null ? undefined : wrap(value);
}

/** Like `child`, for a child that the grammar guarantees. */
export function must(node: KNode, property: string): KNode {
  const c = child(node, property);
  if (!c) throw new Error(`Kusto node ${node.kind} has no ${property}`);
  return c;
}

/**
 * The elements of a list child. Separated lists (`a, b, c`) hold SeparatedElement wrappers: their `Element` is
 * returned instead.
 */
export function elements(node: KNode, property: string): KNode[] {
  const { Bridge } = kusto();
  const list = unwrap(node)[property];
  if (list == null) return [];
  const items: Bridged[] = [];
  for (let i = 0; i < list.Count; i++) items.push(list.getItem(i));
  return items.map((item) => wrap(item.Element !== undefined && Bridge.getTypeName(item).includes('SeparatedElement') ? item.Element : item));
}

/** All direct children, in source order. */
export function children(node: KNode): KNode[] {
  const n = unwrap(node);
  const out: KNode[] = [];
  for (let i = 0; i < n.ChildCount; i++) {
    const c = n.GetChild(i);
    if (c != null) out.push(wrap(c));
  }
  return out;
}

/** A string-valued property (e.g. `SimpleName` of a name node). */
export function textOf(node: KNode, property: string): string {
  const value = unwrap(node)[property];
  return value == null ? '' : String(value);
}

export function resultType(node: KNode): KResultType | undefined {
  return typeOf(unwrap(node).ResultType);
}

function typeOf(type: Bridged): KResultType | undefined {
  if (type == null) return undefined;
  const { Kusto, Bridge } = kusto();
  const columnsOf = (): Array<{ name: string; type: string }> =>
    Bridge.toArray(type.Columns).map((c: Bridged) => ({ name: String(c.Name), type: String(c.Type.Name) }));
  if (type instanceof Kusto.Language.Symbols.TableSymbol) return { columns: columnsOf() };
  if (type instanceof Kusto.Language.Symbols.TupleSymbol) return { tuple: columnsOf() };
  return { scalar: String(type.Name) };
}

export function referencedSymbol(node: KNode): KSymbol | undefined {
  const symbol = unwrap(node).ReferencedSymbol;
  return symbol == null ? undefined : symbolOf(symbol);
}

function symbolOf(symbol: Bridged): KSymbol {
  const { System, Kusto } = kusto();
  return {
    name: String(symbol.Name),
    symbolKind: System.Enum.toString(Kusto.Language.Symbols.SymbolKind, symbol.Kind),
    handle: symbol,
  };
}

/** The type a symbol declares (for tabular `let` variables: their columns). */
export function symbolType(symbol: KSymbol): KResultType | undefined {
  const s = symbol.handle as Bridged;
  return typeOf(s.Type ?? s.ResultType);
}

/** Whether the binder folded the expression to a constant, and its value as Kusto prints it. */
export function constantOf(node: KNode): { readonly value: string | null } | undefined {
  const n = unwrap(node);
  if (!n.IsConstant) return undefined;
  const v = n.ConstantValue;
  return { value: v == null ? null : String(v) };
}

/** The unescaped value of a token child (e.g. the `'key'` of a JSON pair in a dynamic literal). */
export function tokenValue(node: KNode, property: string): string | undefined {
  const token = unwrap(node)[property];
  return token == null ? undefined : String(token.ValueText);
}

/** For a literal: the token text (`datetime(2024-01-01)`, `1.5h`, `"a\"b"`), since some constant values are lossy. */
export function literalTokenText(node: KNode): string {
  const n = unwrap(node);
  return String(n.Token ? n.Token.Text : n.toString()).trim();
}

/**
 * For a call: each argument expression paired with the parameter name it binds to (named and positional arguments
 * alike, as the binder mapped them). Argument nodes are unwrapped from `name = value`.
 */
export function callArguments(call: KNode): Array<{ readonly parameter: string; readonly value: KNode }> {
  const { System, Kusto, Bridge } = kusto();
  const Syn = Kusto.Language.Syntax;
  const n = unwrap(call);
  const signature = n.ReferencedSignature;
  const args = new (System.Collections.Generic.List$1(Syn.Expression).ctor)();
  const argList = n.ArgumentList.Expressions;
  for (let i = 0; i < argList.Count; i++) args.add(argList.getItem(i).Element);
  const parameters = Bridge.toArray(signature.GetArgumentParameters(args));
  return Bridge.toArray(args).map((arg: Bridged, i: number) => ({
    parameter: String(parameters[i].Name),
    value: wrap(arg instanceof Syn.SimpleNamedExpression ? arg.Expression : arg),
  }));
}

/** Parameters of the signature a call bound to: name, type, and default value text ('' when required). */
export function signatureParameters(call: KNode): Array<{ readonly name: string; readonly defaultValue: KNode | undefined }> {
  const { Bridge } = kusto();
  const signature = unwrap(call).ReferencedSignature;
  return Bridge.toArray(signature.Parameters).map((p: Bridged) => ({
    name: String(p.Name),
    defaultValue: p.DefaultValue == null ? undefined : wrap(p.DefaultValue),
  }));
}

/** The nodes of a kind in a subtree, in source order. */
export function descendantsOfKind(node: KNode, kind: string): KNode[] {
  const { System, Kusto } = kusto();
  const found: KNode[] = [];
  unwrap(node).WalkNodes((n: Bridged) => {
    if (System.Enum.toString(Kusto.Language.Syntax.SyntaxKind, n.Kind) === kind) found.push(wrap(n));
  });
  return found.sort((a, b) => a.start - b.start);
}

/** Names in a subtree that refer to no table the binder knows (`union isfuzzy=true` tolerates those). */
export function unresolvedTables(node: KNode): KNode[] {
  const { Kusto } = kusto();
  const found: KNode[] = [];
  unwrap(node).WalkNodes((n: Bridged) => {
    if (n.Kind === Kusto.Language.Syntax.SyntaxKind.NameReference && n.ReferencedSymbol == null && n.ResultType instanceof Kusto.Language.Symbols.TableSymbol) {
      found.push(wrap(n));
    }
  });
  return found;
}

/** The bound body of a call to a user-defined (let) function. */
export function expansionOf(call: KNode): KNode | undefined {
  const body = unwrap(call).GetExpansion();
  return body == null ? undefined : wrap(body);
}

export interface AnalyzedQuery {
  readonly text: string;
  /** The query block's statements, in order. */
  readonly statements: KNode[];
  readonly resultType: KResultType | undefined;
}

/**
 * Every diagnostic Kusto.Language reports for `text` bound against the smbwatch schema (the ASIM table and parser
 * signatures), warnings and suggestions included: a rule meant to be pasted into Sentinel should have none.
 */
export function kustoDiagnostics(text: string, catalog: Catalog = EMPTY_CATALOG): Array<KqlDiagnostic & { readonly severity: string }> {
  const { Kusto, Bridge } = kusto();
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, schemaGlobals(catalog));
  return Bridge.toArray(code.GetDiagnostics()).map((d: Bridged) => ({
    code: String(d.Code), message: String(d.Message), start: d.Start, length: d.Length, severity: String(d.Severity),
  }));
}

/**
 * Kusto.Language reports KS109 ("Column name expected") and KS142 ("does not refer to any known column") for a
 * column wildcard that matches no column
 * (`project-away exists*` after the `exists` columns are gone). Kusto runs such a query — a pattern that matches
 * nothing removes nothing — and Microsoft's own Network Session Essentials rules rely on it, so it is not an error.
 */
function unmatchedWildcard(text: string, d: Bridged): boolean {
  return ['KS109', 'KS142'].includes(String(d.Code)) && /^[A-Za-z_][A-Za-z0-9_]*\*$/.test(text.slice(d.Start, d.Start + d.Length));
}

/**
 * Parses and binds `text` against the smbwatch schema. Kusto's own diagnostics (syntax and binding errors) are
 * thrown as one KqlError; warnings are ignored.
 */
export function analyzeKql(text: string, catalog: Catalog = EMPTY_CATALOG): AnalyzedQuery {
  const { Kusto, Bridge } = kusto();
  const code = Kusto.Language.KustoCode.ParseAndAnalyze(text, schemaGlobals(catalog));
  const diagnostics: KqlDiagnostic[] = Bridge.toArray(code.GetDiagnostics())
    .filter((d: Bridged) => String(d.Severity) === 'Error' && !unmatchedWildcard(text, d))
    .map((d: Bridged) => ({ code: String(d.Code), message: String(d.Message), start: d.Start, length: d.Length }));
  if (diagnostics.length > 0) throw new KqlError(text, diagnostics);
  const root = wrap(code.Syntax);
  return { text, statements: elements(root, 'Statements'), resultType: typeOf(code.ResultType) };
}
