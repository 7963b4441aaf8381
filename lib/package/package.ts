/**
 * The model package API in one import: build, validate, read and predict. Isomorphic; Node file
 * I/O (`writePackageDir`, `readPackageDir`) is in `./node`.
 */
export * from './manifest';
export { unsafePathReason } from './paths';
export { validatePackage, readPackage, type PackageFiles, type PackageValidation, type ReadPackage } from './validate';
export { buildPackage, trainingStatistics, type BuildPackageOptions } from './build';
export { recordsToTable, describeValue, MAX_RECORDS, type RecordsOptions } from './records';
export { PackagePredictor, type PredictionResult, type RegressionPrediction, type ClassificationPrediction } from './package-predictor';
