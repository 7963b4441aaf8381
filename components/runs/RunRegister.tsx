'use client';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { trpc } from '../studio/trpc';
import { ErrorAlert } from '../ui/ErrorAlert';

const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,63}$/;

/** A model name the registry accepts, suggested from the project's name. */
export function suggestModelName(project: string): string {
  const s = project.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^[^a-z0-9]+/, '').slice(0, 64);
  return s || 'model';
}

/** Registers a succeeded run's package as a new model version and shows how its check went. */
export function RunRegister({ project, run }: { project: string; run: { id: string; status: string; artifacts: { kind: string }[] } }) {
  const qc = useQueryClient();
  const [name, setName] = useState(() => suggestModelName(project));
  const [description, setDescription] = useState('');
  const reg = useMutation({
    mutationFn: () => trpc.registry.register.mutate({ model: name, runId: run.id, ...(description ? { description } : {}) }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['models'] }),
  });
  const hasPackage = run.artifacts.some((a) => a.kind === 'model');
  const nameError = NAME_RE.test(name) ? null : 'model names are 1–64 of a-z 0-9 _ . - starting with a letter or digit';
  const base = `/projects/${encodeURIComponent(project)}`;
  return (
    <section className="panel" aria-label="Register as model">
      <h2>Register as model</h2>
      {run.status !== 'succeeded' ? (
        <p className="muted small">Only a succeeded run can be registered; this one is {run.status}.</p>
      ) : !hasPackage ? (
        <p className="muted small">This run uploaded no model package (its graph trains no model).</p>
      ) : (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (!nameError) reg.mutate();
          }}
        >
          <label className="field">
            <span>Model name</span>
            <input value={name} onChange={(e) => setName(e.target.value)} aria-invalid={nameError ? true : undefined} data-testid="register-name" />
          </label>
          {nameError && <p className="error small">{nameError}</p>}
          <label className="field">
            <span>Description (optional)</span>
            <input value={description} onChange={(e) => setDescription(e.target.value)} maxLength={2000} />
          </label>
          <button type="submit" className="primary" disabled={reg.isPending || !!nameError} data-testid="register-submit">
            {reg.isPending ? 'Registering… (checking it serves)' : 'Register version'}
          </button>
        </form>
      )}
      <ErrorAlert error={reg.error} />
      {reg.data && (
        <p className="small" data-testid="register-result">
          Registered <strong>
          <Link href={`${base}/models?model=${encodeURIComponent(name)}`}>
            {name} v{reg.data.version}
          </Link></strong>{' '}
          <span className={`badge ${reg.data.status}`}>{reg.data.status}</span>
          {reg.data.statusReason && <span className="muted"> — {reg.data.statusReason}</span>}
        </p>
      )}
    </section>
  );
}
