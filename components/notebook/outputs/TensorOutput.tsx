'use client';

/** A tensor: shape, dtype, summary statistics and a bounded preview of its values. */
export function TensorOutput({ shape, dtype, preview, stats }: { shape: number[]; dtype: string; preview: string; stats?: { min: number; max: number; mean: number } | null }) {
  const size = shape.reduce((a, b) => a * b, 1);
  const f = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(5));
  return (
    <div className="nb-out-tensor">
      <div className="nb-tensor-meta small">
        <span className="badge">Tensor</span> shape <code>[{shape.join(', ')}]</code> · {dtype} · {size.toLocaleString()} values
        {stats ? (
          <span className="muted">
            {' '}
            · min {f(stats.min)} · max {f(stats.max)} · mean {f(stats.mean)}
          </span>
        ) : null}
      </div>
      <pre className="nb-out-text">{preview}</pre>
    </div>
  );
}
