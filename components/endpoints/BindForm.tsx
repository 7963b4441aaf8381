'use client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';

interface Split {
  version: string;
  weight: string;
}

/** Creates an endpoint or rebinds one: model, alias or version, optional traffic split. */
export function BindForm({ initialName, onBound }: { initialName?: string; onBound: (name: string) => void }) {
  const qc = useQueryClient();
  const models = useQuery({ queryKey: ['models'], queryFn: () => trpc.registry.models.list.query() });
  const [name, setName] = useState(initialName ?? '');
  const [model, setModel] = useState('');
  const [mode, setMode] = useState<'alias' | 'version'>('alias');
  const [alias, setAlias] = useState('');
  const [version, setVersion] = useState('');
  const [splits, setSplits] = useState<Split[]>([]);
  const m = models.data?.find((x) => x.name === (model || models.data?.[0]?.name));
  const modelName = m?.name ?? '';
  const aliasNames = Object.keys(m?.aliases ?? {});
  const versions = useQuery({ queryKey: ['model', modelName, 'versions'], queryFn: () => trpc.registry.versions.list.query({ model: modelName }), enabled: !!modelName });
  const effAlias = alias || aliasNames[0] || '';
  const effVersion = version || String(versions.data?.find((v) => v.status === 'READY')?.version ?? '');
  const bind = useMutation({
    mutationFn: () =>
      trpc.endpoints.bind.mutate({
        name,
        model: modelName,
        target: mode === 'alias' ? { alias: effAlias } : { version: Number(effVersion) },
        traffic: splits.map((s) => ({ version: Number(s.version), weight: Number(s.weight) })),
      }),
    onSuccess: (ep) => {
      void qc.invalidateQueries({ queryKey: ['endpoints'] });
      void qc.invalidateQueries({ queryKey: ['endpoint', ep.name] });
      onBound(ep.name);
    },
  });
  const nameOk = /^[a-z0-9][a-z0-9_.-]{0,63}$/.test(name);
  const sum = splits.reduce((s, x) => s + (Number(x.weight) || 0), 0);

  if (models.data && models.data.length === 0) return <p className="muted small">Register a model first (Runs → a succeeded run → Register as model); endpoints serve registered versions.</p>;
  return (
    <form
      className="ep-bind"
      data-testid="bind-form"
      onSubmit={(e) => {
        e.preventDefault();
        bind.mutate();
      }}
    >
      <div className="row">
        <label className="field">
          <span>Endpoint name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="cars-mpg" aria-invalid={name && !nameOk ? true : undefined} data-testid="bind-name" style={{ width: 150 }} />
        </label>
        <label className="field">
          <span>Model</span>
          <select value={modelName} onChange={(e) => setModel(e.target.value)} data-testid="bind-model">
            {(models.data ?? []).map((x) => (
              <option key={x.name}>{x.name}</option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Serve</span>
          <select value={mode} onChange={(e) => setMode(e.target.value as 'alias' | 'version')} data-testid="bind-mode">
            <option value="alias">an alias (follows moves)</option>
            <option value="version">a fixed version</option>
          </select>
        </label>
        {mode === 'alias' ? (
          <label className="field">
            <span>Alias</span>
            {aliasNames.length ? (
              <select value={effAlias} onChange={(e) => setAlias(e.target.value)} data-testid="bind-alias">
                {aliasNames.map((a) => (
                  <option key={a} value={a}>
                    @{a} → v{m?.aliases[a]}
                  </option>
                ))}
              </select>
            ) : (
              <span className="small warn">no aliases: move one on Models, or serve a version</span>
            )}
          </label>
        ) : (
          <label className="field">
            <span>Version</span>
            <select value={effVersion} onChange={(e) => setVersion(e.target.value)} data-testid="bind-version">
              {(versions.data ?? []).map((v) => (
                <option key={v.version} value={v.version} disabled={v.status !== 'READY'}>
                  v{v.version} ({v.status})
                </option>
              ))}
            </select>
          </label>
        )}
      </div>
      <div className="ep-splits">
        <span className="small muted">Traffic split (optional; weights sum to 100 — without one, all traffic goes to the target)</span>
        {splits.map((s, i) => (
          <div key={i} className="row ep-split-row">
            <select aria-label={`split ${i + 1} version`} value={s.version} onChange={(e) => setSplits(splits.map((x, j) => (j === i ? { ...x, version: e.target.value } : x)))}>
              {(versions.data ?? []).map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version} ({v.status})
                </option>
              ))}
            </select>
            <input aria-label={`split ${i + 1} weight`} type="number" min={0} max={100} step={1} value={s.weight} onChange={(e) => setSplits(splits.map((x, j) => (j === i ? { ...x, weight: e.target.value } : x)))} style={{ width: 80 }} />
            <span className="small">%</span>
            <button type="button" onClick={() => setSplits(splits.filter((_, j) => j !== i))} aria-label={`remove split ${i + 1}`}>
              Remove
            </button>
          </div>
        ))}
        <div className="row">
          <button type="button" onClick={() => setSplits([...splits, { version: String(versions.data?.[0]?.version ?? 1), weight: String(Math.max(0, 100 - sum)) }])} disabled={!versions.data?.length}>
            + Add split row
          </button>
          {splits.length > 0 && <span className={`small ${sum === 100 ? 'ok' : 'warn'}`}>total {sum} %</span>}
          <button type="submit" className="primary" disabled={!nameOk || !modelName || bind.isPending || (mode === 'alias' ? !effAlias : !effVersion)} data-testid="bind-submit">
            {bind.isPending ? 'Binding…' : 'Create / bind endpoint'}
          </button>
        </div>
      </div>
      {name && !nameOk && <p className="error small">endpoint names are 1–64 of a-z 0-9 _ . - starting with a letter or digit</p>}
      <ErrorAlert error={bind.error} />
    </form>
  );
}
