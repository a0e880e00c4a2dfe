/**
 * Conformance cases smbwatch's KQL compiler does not support yet. Each must be refused with SMB001 ("… is not
 * supported") on both engines — never answered wrongly. The runner fails when a listed case starts to pass, so
 * this list only shrinks. Every entry is an open item of the KQL engine (docs/kql.md, "Not supported yet").
 */
export const REFUSED_CASES: ReadonlySet<string> = new Set<string>([]);

/**
 * Cases ClickHouse servers before 24.x (tested: Debian's 18.16) cannot answer with the old-server dialect
 * (src/kql/sql/clickhouse-old.ts): each must be refused there with SMB001 naming the server version, and is answered
 * on the other engines. The runner fails when a listed case stops being refused, so this list only shrinks.
 */
export const REFUSED_ON_OLD_SERVER: ReadonlySet<string> = new Set<string>([
  // 18.16 has no JSON parser (JSONExtract*): dynamic values cannot be taken apart there.
  'aggregates.yaml: make_set flattens array values',
  'aggregates.yaml: make_set by group and its length',
  'decisions.yaml: computed indexes and keys into dynamic',
  'decisions.yaml: split with an index beyond the parts is an empty array',
  'decisions.yaml: conversions of dynamic values follow the scalar conversions',
  'decisions.yaml: make_set of dynamic values flattens arrays and keeps scalars',
  'decisions.yaml: a hostile computed key into a property bag',
  'dynamic.yaml: dynamic array literal and indexing from both ends',
  'dynamic.yaml: property bag accessors with dot and brackets',
  'dynamic.yaml: casting dynamic members to scalar types',
  'dynamic.yaml: array_length is null for values that are not arrays',
  'dynamic.yaml: dynamic array of strings is not an array of numbers',
  'dynamic.yaml: missing members and out-of-range indexes are null',
  'dynamic.yaml: dynamic literals may hold typed Kusto values',
  'dynamic.yaml: dynamic null and empty containers',
  'dynamic.yaml: split element access by index',
  'hostile.yaml: dynamic values with quotes and nested text',
  'operators.yaml: datatable followed by where and extend on a dynamic member',
  'strings-terms.yaml: split returns a dynamic array',
  'strings-terms.yaml: split result can be indexed and measured',
]);
