/** Regression and classification metrics and the gates that check them. */
export type { Vector } from './check';
export { mae, mape, MAPE_ZERO_TOLERANCE, mse, r2, regressionMetrics, rmse, type RegressionMetrics } from './regression';
export {
  accuracy,
  argmaxRows,
  binaryRocAuc,
  classificationMetrics,
  confusionMatrix,
  logLoss,
  macroF1,
  rocAuc,
  UNKNOWN_CLASS,
  type ClassificationMetrics,
  type ProbMatrix,
} from './classification';
export { evaluateGate, evaluateGates, parseGate, type Gate, type GateOp } from './gates';
export { METRIC_DIRECTION, RUN_METRIC_DIRECTION, type MetricDirection } from './direction';
