'use client';
import { useQuery } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { ACTIVE_RUN, fmtDate } from '../runs/format';
import { errorMessage, trpc } from '../studio/trpc';
import { SharedModelVersion } from './SharedModelVersion';
import { SharedNotebook } from './SharedNotebook';
import { SharedRun } from './SharedRun';

function isInvalidLink(e: unknown): boolean {
  return e instanceof TRPCClientError && ((e.data as { kilnCode?: string } | undefined)?.kilnCode === 'SHARE_LINK_INVALID' || (e.data as { httpStatus?: number } | undefined)?.httpStatus === 400);
}

/** What a share link shows, to anyone who has it (no sign-in): a run, a model version or a notebook version. */
export function SharedPage({ token }: { token: string }) {
  const view = useQuery({
    queryKey: ['share', token],
    queryFn: () => trpc.shares.view.query({ token }),
    retry: false,
    // A run still training is followed until it ends.
    refetchInterval: (q) => (q.state.data && 'run' in q.state.data && ACTIVE_RUN.has(q.state.data.run.status) ? 3000 : false),
  });
  if (view.isPending) return <main className="page muted">Opening the shared link…</main>;
  if (view.error) {
    return (
      <main className="page">
        <div className="panel" role="alert" data-testid="share-invalid">
          <h1 style={{ margin: '0 0 8px', fontSize: 22 }}>This link does not work</h1>
          <p className="error">{isInvalidLink(view.error) ? `${errorMessage(view.error)}.` : `Could not open it: ${errorMessage(view.error)}`}</p>
          <p className="muted small">Share links expire, and whoever made one can revoke it. Ask them for a new link.</p>
        </div>
      </main>
    );
  }
  const v = view.data;
  return (
    <main className="page" data-testid="shared-view" data-kind={v.kind}>
      <p className="muted small" data-testid="shared-by">
        Shared from project <strong>{v.project}</strong> by {v.sharedBy} · read-only · link expires {fmtDate(v.expiresAt)}
      </p>
      {'run' in v ? <SharedRun run={v.run} /> : 'version' in v ? <SharedModelVersion version={v.version} /> : <SharedNotebook version={v.notebook.version} doc={v.notebook.doc} />}
    </main>
  );
}
