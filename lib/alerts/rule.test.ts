import { describe, expect, it } from 'vitest';
import { formatAlertRule, parseAlertRule } from './rule';

describe('alert rule text', () => {
  it.each([
    ['drift(Horsepower)', { kind: 'feature_drift', feature: 'Horsepower' }, 'drift(Horsepower) over 24h'],
    ['drift(Weight_in_lbs) > 0.2 over 7d', { kind: 'feature_drift', feature: 'Weight_in_lbs', threshold: 0.2 }, 'drift(Weight_in_lbs) > 0.2 over 7d'],
    ['drift_share', { kind: 'drift_share' }, 'drift_share over 24h'],
    ['drift_share>0.3', { kind: 'drift_share', threshold: 0.3 }, 'drift_share > 0.3 over 24h'],
    ['mape > 0.45', { kind: 'metric', metric: 'mape', op: '>', threshold: 0.45 }, 'mape > 0.45 over 24h'],
    ['r2 < 0.5 over 1h', { kind: 'metric', metric: 'r2', op: '<', threshold: 0.5 }, 'r2 < 0.5 over 1h'],
    ['mape worse_than baseline', { kind: 'metric_vs_baseline', metric: 'mape' }, 'mape worse_than baseline over 24h'],
    ['error_rate > 0.05 over 5m', { kind: 'error_rate', threshold: 0.05 }, 'error_rate > 0.05 over 5m'],
    ['p99_latency > 0.25s', { kind: 'p99_latency', thresholdMs: 250 }, 'p99_latency > 250ms over 24h'],
    ['stale_model', { kind: 'stale_model', days: 60 }, 'stale_model > 60d'],
    ['stale_model > 0d', { kind: 'stale_model', days: 0 }, 'stale_model > 0d'],
    ['no_traffic > 6h', { kind: 'no_traffic', hours: 6 }, 'no_traffic > 6h'],
    ['no_traffic', { kind: 'no_traffic', hours: 1 }, 'no_traffic > 1h'],
    ['anomaly_rate > 0.1', { kind: 'anomaly_rate', threshold: 0.1 }, 'anomaly_rate > 0.1 over 24h'],
  ])('%s', (text, condition, canonical) => {
    const r = parseAlertRule(text);
    expect(r.condition).toEqual(condition);
    expect(r.onFire).toEqual(['notify']);
    expect(formatAlertRule(r)).toBe(canonical);
    expect(parseAlertRule(canonical)).toEqual(r);
  });

  it.each([
    ['mape >> 0.45', /alert rule "mape >> 0.45": expected one of/],
    ['speed > 3', /unknown metric "speed"/],
    ['error_rate > 5', /5 is not a share from 0 to 1/],
    ['mape > 0.4 over 3 weeks', /expected one of/],
    ['mape > 0.4 over 3w', /window "3w": expected a duration/],
    ['p99_latency > 250', /expected one of/],
  ])('refuses %s', (text, message) => {
    expect(() => parseAlertRule(text)).toThrow(message);
    try {
      parseAlertRule(text);
    } catch (e) {
      expect(e).toMatchObject({ code: 'ALERT_RULE_INVALID' });
    }
  });
});
