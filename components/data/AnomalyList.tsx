'use client';
import type { Anomaly } from '../../lib/sketch/anomalies';
import { shortId } from '../runs/format';

/** What the anomalies were found against, as the server records it. */
export type ValidatedAgainst = { kind: 'schema'; version: number; previousDatasetId: string | null } | { kind: 'dataset'; datasetId: string; createdAt: string } | null;

function againstText(a: ValidatedAgainst): string {
  if (!a) return 'the first version of this name: nothing to compare with';
  return a.kind === 'schema' ? `against saved schema v${a.version}${a.previousDatasetId ? ` and drift against version ${shortId(a.previousDatasetId)}` : ''}` : `against the previous version ${shortId(a.datasetId)}`;
}

/**
 * A dataset version's anomalies (TFDV-style stable codes) as a table: code, column, the
 * constraint broken and the observed value, with what they were checked against.
 */
export function AnomalyList({ anomalies, against, hideAgainst = false }: { anomalies: readonly Anomaly[]; against: ValidatedAgainst; hideAgainst?: boolean }) {
  return (
    <div data-testid="dataset-anomalies">
      {!hideAgainst && <p className="small muted">Checked {againstText(against)}.</p>}
      {anomalies.length === 0 ? (
        <p className="small ok" data-testid="anomaly-none">
          No anomalies.
        </p>
      ) : (
        <table className="data-anomalies small">
          <thead>
            <tr>
              <th>Code</th>
              <th>Column</th>
              <th>Expected</th>
              <th>Observed</th>
            </tr>
          </thead>
          <tbody>
            {anomalies.map((a, i) => (
              <tr key={`${a.code}:${a.column}:${i}`} data-testid="anomaly-row" title={a.message}>
                <td>
                  <span className="badge data-anomaly-code">{a.code}</span>
                </td>
                <td>{a.column}</td>
                <td>{a.constraint}</td>
                <td>{a.observed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
