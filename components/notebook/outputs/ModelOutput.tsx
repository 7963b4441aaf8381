'use client';

/** A tfjs model summary: one row per layer, like `model.summary()`. */
export function ModelOutput({ name, layers, totalParams }: { name: string; layers: { name: string; type: string; outputShape: string; params: number }[]; totalParams: number }) {
  return (
    <div className="nb-out-model">
      <div className="small">
        <span className="badge">Model</span> <strong>{name}</strong> · {layers.length} layers · {totalParams.toLocaleString()} parameters
      </div>
      <table className="grid small">
        <thead>
          <tr>
            <th>Layer</th>
            <th>Type</th>
            <th>Output shape</th>
            <th className="nb-num">Params</th>
          </tr>
        </thead>
        <tbody>
          {layers.map((l) => (
            <tr key={l.name}>
              <td>{l.name}</td>
              <td>{l.type}</td>
              <td>
                <code>{l.outputShape}</code>
              </td>
              <td className="nb-num">{l.params.toLocaleString()}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
