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
  // No window functions (row_number, next, prev), no make-series on 18.16, and more dynamic-array functions.
  'aggregates.yaml: make_set and make_list with a size limit return at most that many values',
  'arrays.yaml: array_slice with positive, negative and mixed bounds',
  'arrays.yaml: array_sum of numbers, and of an array holding a string',
  'arrays.yaml: set_difference keeps what is in the first array only',
  'arrays.yaml: set_difference of equal arrays is empty',
  'arrays.yaml: set_intersect keeps what is in every array',
  'arrays.yaml: set_intersect of disjoint arrays is empty',
  'arrays.yaml: set_union of several arrays, distinct in order of appearance',
  'arrays.yaml: set_union of one array with itself removes duplicates',
  'arrays.yaml: array_index_of with start, length and occurrence',
  'arrays.yaml: array_index_of compares numbers by value and null for irrelevant inputs',
  'arrays.yaml: set_has_element finds a value',
  'generic.yaml: row_number numbers sorted rows from 1 or from a start',
  'generic.yaml: next and prev compare adjacent sorted rows',
  'generic.yaml: serialize adds a column from the next row',
  "generic.yaml: the beaconing rule's time deltas between sorted rows",
  'hunting.yaml: parse_json of JSON text and of text that is not JSON',
  'hunting.yaml: parse_json twice for nested JSON text',
  'make-series.yaml: make-series of an average over a day axis',
  'make-series.yaml: make-series over an empty input gives no rows',
  'make-series.yaml: make-series kind=nonempty over an empty input gives the defaults',
  'make-series.yaml: make-series then mv-expand fills missing weeks',
  'make-series.yaml: make-series by key with several aggregates and a null default',
  "make-series.yaml: make-series without from and to spans each series' own bins",
  'make-series.yaml: make-series over a timespan axis and over a real axis',
  'mv-expand.yaml: mv-expand of an array column',
  'mv-expand.yaml: mv-expand of a property bag into single-member bags',
  'mv-expand.yaml: mv-expand kind=array expands bags to key-value pairs',
  'mv-expand.yaml: mv-expand of two columns zips them',
  'mv-expand.yaml: mv-expand twice gives the Cartesian product',
  'mv-expand.yaml: mv-expand to typeof converts one column',
  'mv-expand.yaml: mv-expand with_itemindex numbers the elements',
  'mv-expand.yaml: mv-expand of null, empty and scalar values, with a limit and a new column',
  'mv-expand.yaml: mv-expand to typeof is cast-only',
  'series.yaml: series_stats of the documented series',
  'series.yaml: series_stats_dynamic of the documented series',
  'series.yaml: series_stats with names, and non-finite values ignored or not',
  'series.yaml: series_fill_const replaces nulls, keeping other elements',
  'series.yaml: series_fill_const with a placeholder value',
  'series.yaml: series_fill_forward fills from the previous value',
  'series.yaml: series_fill_backward fills from the next value',
  // Cases added since (Essentials, hunting, series analysis): the same missing JSON parser and window functions.
  'dynamic.yaml: reals inside dynamic values keep their decimal point in text',
  'generic.yaml: row_number restarts where a condition holds',
  'hostile.yaml: hostile keys through mv-expand, pack_array and format_datetime',
  'hostile.yaml: a hostile search term is data',
  'hunting.yaml: top-nested keeps the latest records per identity',
  'hunting.yaml: top-nested of states and event types by damage',
  'hunting.yaml: search terms over every column of the ASIM table',
  'hunting.yaml: search with wildcards, case sensitivity and a column',
  'operators.yaml: project items read the input, not earlier items',
  "series-analysis.yaml: series_outliers reproduces the Kusto team's published scores",
  'series-analysis.yaml: series_outliers tukey, nulls and the ignore value score 0',
  'series-analysis.yaml: series_decompose_anomalies without seasonality or trend scores the series itself',
  'series-analysis.yaml: series_decompose_anomalies with the average trend, after mv-expand as the Essentials rules read it',
  'series-analysis.yaml: series_decompose with a given period takes per-phase medians',
  'series-analysis.yaml: series_decompose_anomalies over make-series output, one series per key',
  "series-analysis.yaml: series_decompose_anomalies finds exactly the documented example's inserted outliers (linefit, threshold 2.5)",
  'series.yaml: series_add and series_divide element by element',
  'series.yaml: series comparisons, missing and non-numeric elements',
  'series.yaml: series_fill_linear interpolates, fills edges and all-missing series',
  // 18.16's match() takes a constant pattern only: `has` with a column on its right (capability computedRegexPatterns).
  'essentials-constructs.yaml: has with a computed right side matches whole terms, case-insensitively',
  'essentials-constructs.yaml: join kind=inner where keeps the pairs for which the condition holds',
]);

/**
 * Cases for which the old-server dialect generates SQL that 18.16 rejects (a server error, not SMB001): each must
 * fail there with the server's error until the dialect refuses or translates it. The runner fails when one stops
 * failing, so this list only shrinks. (pack_array's reals no longer hand if() a Nullable constant, `has` with a
 * computed right side is refused (computedRegexPatterns), and a join without keys writes valid SQL.)
 */
export const SERVER_ERROR_ON_OLD_SERVER: ReadonlySet<string> = new Set<string>([
  // greatest()/least() of constant Nullable values (max_of/min_of in print): "Illegal column for DataTypeNullable".
  'arithmetic.yaml: max_of documented examples',
  'arithmetic.yaml: min_of documented examples',
  'arithmetic.yaml: max_of and min_of of reals, datetimes and three arguments with nulls',
]);
