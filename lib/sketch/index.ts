/**
 * Isomorphic monitoring engine: mergeable column sketches, inferred data schemas and anomalies,
 * drift statistics. The browser, the runner and serving compute the same numbers with it.
 */
export { NumericSketch, numericSketchJsonSchema, DEFAULT_MAX_EXACT, DEFAULT_RELATIVE_ACCURACY, type NumericSketchJson, type NumericSketchOptions, type WeightedPoints } from './numeric-sketch';
export { CategoricalSketch, categoricalSketchJsonSchema, DEFAULT_MAX_CATEGORIES, hash53, type CategoricalSketchJson } from './categorical-sketch';
export {
  emptyColumnSketch,
  mergeTableSketches,
  rawKind,
  RecordSketcher,
  sketchColumn,
  sketchTable,
  tableSketchFromJson,
  tableSketchJsonSchema,
  tableSketchToJson,
  TABLE_SKETCH_VERSION,
  type ColumnSketch,
  type RawKind,
  type SketchOptions,
  type TableSketch,
  type TableSketchJson,
} from './table-sketch';
export { columnDrift, datasetDrift, defaultDriftMethod, DEFAULT_THRESHOLDS, DRIFT_METHODS, isTestMethod, type DatasetDrift, type DriftMethod, type DriftOptions, type DriftResult, type FeatureDriftOptions } from './drift';
export { chi2Contingency2xK, chi2Sf, chisquare, jensenShannonDistance, normalTwoSided, wassersteinDistance } from './drift-stats';
export { ks2samp, kolmogorovSf, type KsResult } from './ks';
export { dataSchemaSchema, DATA_SCHEMA_VERSION, fromJsonSchema, inferDataSchema, parseDataSchema, toJsonSchema, type DataColumn, type DataSchema, type InferSchemaOptions } from './data-schema';
export { ANOMALY_CODES, createRecordChecker, validateSketch, type Anomaly, type AnomalyCode, type RecordAnomaly, type ValidateOptions } from './anomalies';
export { compareHistogram, OTHER_BIN, type ComparedHistogram, type HistogramBin, type HistogramOptions } from './histogram';
