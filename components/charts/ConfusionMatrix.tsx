import './charts.css';

/** Confusion matrix as a table: rows = actual class, columns = predicted class, cells shaded by row share. */
export function ConfusionMatrix({ labels, matrix, testId }: { labels: string[]; matrix: number[][]; testId?: string }) {
  if (!labels.length || matrix.length !== labels.length) return <div className="kiln-chart kiln-chart-empty" data-testid={testId}>no confusion matrix</div>;
  return (
    <table className="kiln-cm" data-testid={testId}>
      <thead>
        <tr>
          <th className="kiln-cm-axis" title="rows: actual class; columns: predicted class">actual \ predicted</th>
          {labels.map((l) => (
            <th key={l} title={l}>
              {l}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.map((row, i) => {
          const total = row.reduce((a, b) => a + b, 0) || 1;
          return (
            <tr key={labels[i]}>
              <th title={labels[i]}>{labels[i]}</th>
              {row.map((c, j) => {
                const share = c / total;
                const color = i === j ? '37,99,235' : '220,38,38';
                return (
                  <td key={j} style={{ background: c ? `rgba(${color},${(0.12 + share * 0.6).toFixed(2)})` : undefined }} title={`actual ${labels[i]}, predicted ${labels[j]}: ${c} (${(share * 100).toFixed(0)}% of ${labels[i]})`}>
                    {c}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
