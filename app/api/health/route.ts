/** Liveness probe for the control plane (load balancers, `npm start` readiness, e2e webServer). */
export function GET(): Response {
  return Response.json({ ok: true }, { headers: { 'cache-control': 'no-store' } });
}

// A health check must reflect the live process, never a response cached at build time.
export const dynamic = 'force-dynamic';
