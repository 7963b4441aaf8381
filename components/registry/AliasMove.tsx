'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { trpc, type RouterOutputs } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';

type MoveResult = RouterOutputs['registry']['moveAlias'];

function GateList({ result }: { result: MoveResult }) {
  return (
    <ul className="reg-gates" data-testid="alias-gates">
      {result.gates.map((g) => (
        <li key={g.gate}>
          <span className={`badge ${g.passed ? 'pass' : 'fail'}`}>{g.passed ? 'pass' : g.forced ? 'forced' : 'fail'}</span> {g.detail}
        </li>
      ))}
    </ul>
  );
}

/**
 * Moving an alias in two steps: check the gates (a dry run that moves nothing), then confirm.
 * A blocked move says which gate failed; force is offered for the metric gates only.
 */
export function AliasMove({ model, versions, aliases }: { model: string; versions: { version: number; status: string }[]; aliases: Record<string, number> }) {
  const qc = useQueryClient();
  const [alias, setAlias] = useState(Object.keys(aliases)[0] ?? 'production');
  const [version, setVersion] = useState<number>(versions[0]?.version ?? 1);
  const [reason, setReason] = useState('');
  const [force, setForce] = useState(false);
  const [checked, setChecked] = useState<{ key: string; result: MoveResult } | null>(null);
  const key = `${alias}@${version}@${force}`;
  const input = { model, alias, version, reason, force };
  const dry = useMutation({
    mutationFn: () => trpc.registry.moveAlias.mutate({ ...input, dryRun: true }),
    onSuccess: (result) => setChecked({ key, result }),
  });
  const move = useMutation({
    mutationFn: () => trpc.registry.moveAlias.mutate({ ...input, dryRun: false }),
    onSuccess: () => {
      setChecked(null);
      void qc.invalidateQueries({ queryKey: ['model', model] });
      void qc.invalidateQueries({ queryKey: ['alias-history', model] });
      void qc.invalidateQueries({ queryKey: ['models'] });
    },
  });
  const current = checked && checked.key === key ? checked.result : null;
  const aliasOk = /^[a-z][a-z0-9_-]{0,63}$/.test(alias);
  const serveableFailed = current?.gates.some((g) => g.gate === 'serveable' && !g.passed);

  return (
    <section className="panel" aria-label="Move an alias" data-testid="alias-move">
      <h2>Move an alias</h2>
      <div className="row">
        <label className="field">
          <span>Alias</span>
          <input list="reg-alias-names" value={alias} onChange={(e) => setAlias(e.target.value)} aria-invalid={aliasOk ? undefined : true} style={{ width: 140 }} data-testid="alias-name" />
          <datalist id="reg-alias-names">
            {[...new Set([...Object.keys(aliases), 'production', 'staging', 'champion'])].map((a) => (
              <option key={a} value={a} />
            ))}
          </datalist>
        </label>
        <label className="field">
          <span>Version</span>
          <select value={version} onChange={(e) => setVersion(Number(e.target.value))} data-testid="alias-version">
            {versions.map((v) => (
              <option key={v.version} value={v.version}>
                v{v.version} ({v.status})
              </option>
            ))}
          </select>
        </label>
        <label className="field" style={{ flex: 1, minWidth: 160 }}>
          <span>Reason (recorded in the history)</span>
          <input value={reason} onChange={(e) => setReason(e.target.value)} maxLength={2000} />
        </label>
        <label className="field reg-force">
          <span>&nbsp;</span>
          <span>
            <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} /> force past metric gates
          </span>
        </label>
      </div>
      {!aliasOk && <p className="error small">alias must be a-z 0-9 _ - starting with a letter (max 64)</p>}
      <div className="row">
        <button type="button" disabled={!aliasOk || dry.isPending} onClick={() => {
            move.reset();
            dry.mutate();
          }}
          data-testid="alias-check">
          {dry.isPending ? 'Checking…' : '1. Check gates'}
        </button>
        <button
          type="button"
          className="primary"
          disabled={!current || !current.moved || move.isPending}
          onClick={() => move.mutate()}
          data-testid="alias-confirm"
          title={!current ? 'check the gates first' : !current.moved ? 'the gates block this move' : undefined}
        >
          {move.isPending ? 'Moving…' : `2. Move ${alias} → v${version}`}
        </button>
      </div>
      <ErrorAlert error={dry.error ?? move.error} />
      {current && (
        <div className="reg-dry">
          <p className="small">
            Dry run: <strong>{alias}</strong> {current.from === null ? '(unassigned)' : `v${current.from}`} → v{current.to}:{' '}
            {current.moved ? <span className="ok">all gates pass — confirm to move.</span> : <span className="error">blocked.</span>}
            {!current.moved && !serveableFailed && !force && <span className="muted"> Tick “force” to override the metric gates (recorded as forced).</span>}
          </p>
          <GateList result={current} />
        </div>
      )}
      {move.data && (
        <div className="reg-dry" data-testid="alias-moved">
          <p className={`small ${move.data.moved ? 'ok' : 'error'}`}>
            {move.data.moved ? `Moved ${alias} to v${move.data.to}.` : `Blocked: ${alias} stays on ${move.data.from === null ? 'nothing' : `v${move.data.from}`}.`}
          </p>
        </div>
      )}
    </section>
  );
}
