/** Isomorphic data layer: parsing, type inference, statistics, hashing. Node file access lives in ./node. */
export * from './table';
export type { RawTable, RawValue } from './raw';
export { rowRef } from './raw';
export { parseCsv, type CsvOptions } from './csv';
export { parseJsonRecords, recordsToRaw } from './json';
export {
  buildColumn,
  inferColumnType,
  inferSchema,
  isMissingValue,
  parseBooleanValue,
  parseDateValue,
  parseNumberValue,
  parseTable,
  tableFromRaw,
  tableFromRecords,
  type ParseTableOptions,
} from './infer';
export {
  categoryCounts,
  columnStats,
  histogram,
  quantileSorted,
  tableStats,
  type CategoricalStats,
  type ColumnStats,
  type Histogram,
  type NumericStats,
  type Quantiles,
  type StatsOptions,
  type TableStats,
} from './stats';
export { sha256Hex } from './hash';
