'use client';
import { fmtDate, fmtNum } from '../runs/format';
import { GateList, recordedGates } from '../runs/GateList';
import type { SharedVersionView } from './types';

/** A shared model version: status, description, metrics and gates. */
export function SharedModelVersion({ version: v }: { version: SharedVersionView }) {
  const metrics = Object.entries(v.metrics ?? {});
  const gates = recordedGates(v.gates);
  return (
    <>
      <div className="run-head" style={{ display: 'flex', gap: 12, alignItems: 'center' }}>
        <h1 style={{ margin: 0, fontSize: 22 }}>
          {v.model} v{v.version}
        </h1>
        <span className={`badge ${v.status}`} data-testid="shared-version-status">
          {v.status}
        </span>
      </div>
      <p className="muted small">
        registered {fmtDate(v.createdAt)}
        {v.createdBy ? ` by ${v.createdBy}` : ''}
      </p>
      {v.description ? <p>{v.description}</p> : null}
      <section className="panel">
        <h2>Metrics</h2>
        {metrics.length === 0 ? (
          <p className="muted small">No metrics recorded.</p>
        ) : (
          <table className="grid" data-testid="shared-metrics" style={{ maxWidth: 480 }}>
            <tbody>
              {metrics.map(([k, x]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="num">{fmtNum(x)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <h3>Gates</h3>
        {gates.length === 0 ? <p className="muted small">No gates declared.</p> : <GateList gates={gates} className="small" style={{ margin: 0, paddingLeft: 18 }} />}
      </section>
    </>
  );
}
