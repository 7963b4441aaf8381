/** A run's metrics table and its gates, as the run page and a shared run show them. */
import { fmtNum } from './format';
import { GateList, type GateRow } from './GateList';

export function MetricsAndGates({ metrics, gates, empty, testId }: { metrics: [string, number | null][]; gates: GateRow[]; empty: string; testId: string }) {
  return (
    <>
      {metrics.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <table className="grid" data-testid={testId}>
          <tbody>
            {metrics.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td className="num">{fmtNum(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {gates.length > 0 && (
        <>
          <h3>Gates</h3>
          <GateList gates={gates} className="small" style={{ margin: 0, paddingLeft: 18 }} />
        </>
      )}
    </>
  );
}
