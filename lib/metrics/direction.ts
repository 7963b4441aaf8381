/** Which way a metric improves: one table for the Runs tab and the registry's gates. */

export type MetricDirection = 'higher' | 'lower';

/** Evaluation metrics with a known direction. Metrics not listed here are never compared. */
export const METRIC_DIRECTION: Readonly<Record<string, MetricDirection>> = {
  r2: 'higher',
  accuracy: 'higher',
  f1_macro: 'higher',
  auc: 'higher',
  rmse: 'lower',
  mae: 'lower',
  mape: 'lower',
  logloss: 'lower',
  mse: 'lower',
};

/** {@link METRIC_DIRECTION} plus the training losses a run also records; unknown metrics are not ranked. */
export const RUN_METRIC_DIRECTION: Readonly<Record<string, MetricDirection>> = {
  ...METRIC_DIRECTION,
  loss: 'lower',
  val_loss: 'lower',
};
