/**
 * Alert rules end to end on a real database (PGlite and PostgreSQL) and real receivers: rules of every kind
 * are evaluated against a logged window (drifted, anomalous, slow, labelled with poor
 * predictions), fire or stay resolved with messages naming the value and the limit; a rule is
 * claimed once per interval even by two evaluators at once; transitions are kept as history;
 * a webhook (a real HTTP server that fails once) gets the JSON payload after a retry, and an
 * SMTP sink (smtp-server) gets the email once; an unreachable webhook ends `failed` with its reason.
 */
import { createServer, type Server } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployMpg, mpgRows } from './test-fixtures';
import { parseAlertRule } from '../../lib/alerts/rule';
import { eq } from 'drizzle-orm';
import { endpoints } from '../db/schema';
import { openDb, type KilnDb } from '../db/client';
import { createTestDbTarget, DB_KINDS, type TestDbTarget } from '../db/testing';
import { freePort, REPO } from '../runner/harness';
import type { PredictionRecord } from '../serving/log-protocol';
import { createLocalStore } from '../storage/local';
import { createTestUser } from '../auth/testing';
import { callerAs, rejectionOf } from '../trpc/test-utils';
import type { ArtifactStore } from '../storage/types';
import { deliverAlerts, type AlertPayload } from './alert-delivery';
import { addAlertRule, alertHistory, listAlertRules, projectAlerts, removeAlertRule, setAlertChannel } from './alert-rules';
import { evaluateAlerts } from './alerts';
import { NumericSketch } from '../../lib/sketch/numeric-sketch';
import { trafficFromLog } from './alert-conditions';
import { ingestPredictions, recordFeedback } from './prediction-log';
import { ingestRequestStats } from './request-stats';
import { monitoringReport } from './report';

const HOUR = 3_600_000;
const INTERVAL = 60_000;


describe.each(DB_KINDS)('alerts (%s)', (kind) => {
  let target: TestDbTarget;
  let kdb: KilnDb;
  let dir: string;
  let store: ArtifactStore;
  let projectId: string;
  let hook: Server;
  let hookUrl: string;
  let smtp: SMTPServer;
  let smtpPort: number;
  const received: AlertPayload[] = [];
  const mails: string[] = [];
  let failNext = 1;
  const now = new Date(Date.now() + 60_000);

  beforeAll(async () => {
    target = await createTestDbTarget(kind);
    kdb = await openDb(target.options);
    dir = await mkdtemp(join(tmpdir(), 'kiln-alerts-'));
    store = createLocalStore(dir);
    const training = mpgRows(600, 1);
    ({ projectId } = await deployMpg(kdb.db, store, training));

    // The last 5 minutes: 300 predictions with hp shifted and origin replaced (an anomaly each),
    // latencies 1 … 300 ms, predictions 30 % off for the labelled half.
    const data = mpgRows(300, 3);
    const log: PredictionRecord[] = data.map((d, i) => ({
      endpoint: 'mpg',
      id: `b-${i}`,
      version: 1,
      time: now.getTime() - 301_000 + i * 1000,
      inputs: { hp: d.hp + 80, weight: d.weight, origin: 'Mars' },
      outputs: { prediction: d.mpg * 1.3 },
      latencyMs: i + 1,
      anomalies: [{ code: 'UNKNOWN_CATEGORY', column: 'origin' }],
    }));
    await ingestPredictions(kdb.db, log);
    // Serving's request statistics for the same minutes: 350 answers, 50 of them 503s, 1 … 350 ms.
    const latency = new NumericSketch();
    for (let ms = 1; ms <= 350; ms++) latency.add(ms);
    const minute = Math.floor((now.getTime() - 120_000) / 60_000) * 60_000;
    await ingestRequestStats(kdb.db, 'serving-test', [{ endpoint: 'mpg', version: 1, minute, codes: { '200': 300, '503': 50 }, latency: latency.toJSON() }]);
    await recordFeedback(kdb.db, 'mpg', data.map((d, i) => ({ id: `b-${i}`, actual: d.mpg })).filter((_, i) => i % 2 === 0));

    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end('down for a moment');
          return;
        }
        expect(req.headers['content-type']).toBe('application/json');
        const p = JSON.parse(body) as AlertPayload;
        expect(req.headers['x-kiln-alert-id']).toBe(String(p.id));
        received.push(p);
        res.writeHead(204).end();
      });
    });
    const hookPort = await freePort();
    await new Promise<void>((r) => hook.listen(hookPort, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${hookPort}/alerts`;
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onData(stream, _session, done) {
        let text = '';
        stream.on('data', (c: Buffer) => (text += c.toString()));
        stream.on('end', () => {
          mails.push(text);
          done();
        });
      },
    });
    smtpPort = await freePort();
    await new Promise<void>((r) => smtp.listen(smtpPort, '127.0.0.1', r));
  }, 60_000);

  afterAll(async () => {
    hook?.close();
    await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
    await kdb?.close();
    await target?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  const RULES = [
    'stale_model > 0d',
    'stale_model',
    'drift(hp)',
    'drift(weight)',
    'drift_share > 0.5',
    'mape > 0.2',
    'mape worse_than baseline',
    'anomaly_rate > 0.5',
    'p99_latency > 250ms',
    'error_rate > 0.1',
    'no_traffic > 1h',
  ];

  it('adds rules by their text, refuses duplicates and bad ones', async () => {
    for (const r of RULES) await addAlertRule(kdb.db, 'mpg', parseAlertRule(r), 'test');
    await expect(addAlertRule(kdb.db, 'mpg', parseAlertRule('stale_model > 60d'), 'test')).rejects.toThrow(/already has the rule "stale_model > 60d"/);
    await expect(addAlertRule(kdb.db, 'nope', parseAlertRule('stale_model'), 'test')).rejects.toMatchObject({ code: 'ENDPOINT_NOT_FOUND' });
    const list = await listAlertRules(kdb.db, 'mpg');
    expect(list.map((a) => a.rule)).toEqual([
      'stale_model > 0d',
      'stale_model > 60d',
      'drift(hp) over 24h',
      'drift(weight) over 24h',
      'drift_share > 0.5 over 24h',
      'mape > 0.2 over 24h',
      'mape worse_than baseline over 24h',
      'anomaly_rate > 0.5 over 24h',
      'p99_latency > 250ms over 24h',
      'error_rate > 0.1 over 24h',
      'no_traffic > 1h',
    ]);
    expect(list.every((a) => a.state === 'pending')).toBe(true);
  });

  it('evaluates every kind: fires what is over its limit, with messages naming value and limit', async () => {
    await setAlertChannel(kdb.db, { endpoint: 'mpg' }, { webhookUrl: hookUrl, emails: ['ops@example.com'] });
    // Two evaluators at once (two control planes): each rule is claimed by one of them.
    const [a, b] = await Promise.all([evaluateAlerts(kdb.db, store, { now, intervalMs: INTERVAL }), evaluateAlerts(kdb.db, store, { now, intervalMs: INTERVAL })]);
    expect(a.evaluated + b.evaluated).toBe(RULES.length);
    expect([...a.errors, ...b.errors]).toEqual([]);
    const firing = [...a.transitions, ...b.transitions].map((t) => t.rule).sort();
    expect(firing).toEqual(['anomaly_rate > 0.5 over 24h', 'drift(hp) over 24h', 'drift_share > 0.5 over 24h', 'error_rate > 0.1 over 24h', 'mape > 0.2 over 24h', 'mape worse_than baseline over 24h', 'p99_latency > 250ms over 24h', 'stale_model > 0d'].sort());
    const by = new Map((await listAlertRules(kdb.db, 'mpg')).map((x) => [x.rule, x]));
    expect(by.get('stale_model > 0d')).toMatchObject({ state: 'firing', since: now.toISOString() });
    expect(by.get('stale_model > 0d')!.message).toMatch(/^mpg: serves v1 of mpg, registered .*: 0\.0\d+ days old \(limit 0 days\)$/);
    expect(by.get('stale_model > 60d')).toMatchObject({ state: 'resolved' });
    expect(by.get('drift(hp) over 24h')!.message).toMatch(/^mpg: hp drifted over 24h: ks 0\.\d+ \(p=.*\), ks threshold 0\.05$/);
    expect(by.get('drift(weight) over 24h')).toMatchObject({ state: 'resolved' });
    expect(by.get('mape > 0.2 over 24h')!.value).toBeCloseTo(0.3, 9);
    expect(by.get('anomaly_rate > 0.5 over 24h')).toMatchObject({ value: 1, message: 'mpg: 300 of 300 logged predictions (1) had a soft anomaly over 24h, limit 0.5' });
    // From the request statistics (every answer): p99 of 1 … 350 ms within the sketch's 1 %.
    expect(Math.abs(by.get('p99_latency > 250ms over 24h')!.value! - 346.51) / 346.51).toBeLessThan(0.01);
    expect(by.get('error_rate > 0.1 over 24h')).toMatchObject({ state: 'firing', value: 50 / 350, message: 'mpg: error rate 0.1429 (50 of 350 requests) over 24h, limit 0.1' });
    // Without request statistics the prediction log gives p99 (of the 300 logged: 297.01 ms) and no error rate.
    const [ep] = await kdb.db.select({ id: endpoints.id }).from(endpoints).where(eq(endpoints.name, 'mpg'));
    const fromLog = await trafficFromLog(kdb.db, ep!.id, new Date(now.getTime() - 24 * HOUR), now);
    expect(fromLog).toMatchObject({ requests: 300, errors: null });
    expect(fromLog.p99Ms).toBeCloseTo(297.01, 6);
    expect(by.get('no_traffic > 1h')).toMatchObject({ state: 'resolved' });
    // The report shows the same states.
    const rep = await monitoringReport(kdb.db, store, { endpoint: 'mpg', windowMs: 24 * HOUR, now });
    expect(rep.alerts.find((x) => x.rule === 'stale_model > 0d')).toEqual({ rule: 'stale_model > 0d', state: 'firing', since: now.toISOString(), message: by.get('stale_model > 0d')!.message });
    expect(Object.keys(rep.alerts[0]!).sort()).toEqual(['message', 'rule', 'since', 'state']);
  });

  it('a rule is not due again before its interval, and re-evaluation without a change adds no transition', async () => {
    expect((await evaluateAlerts(kdb.db, store, { now: new Date(now.getTime() + 1000), intervalMs: INTERVAL })).evaluated).toBe(0);
    const again = await evaluateAlerts(kdb.db, store, { now: new Date(now.getTime() + INTERVAL), intervalMs: INTERVAL });
    expect(again.evaluated).toBe(RULES.length);
    expect(again.transitions).toEqual([]);
    expect((await alertHistory(kdb.db, 'mpg')).length).toBe(8);
  });

  it('delivers each transition to the webhook (retrying after a failure) and by email, once', async () => {
    const smtpUrl = `smtp://127.0.0.1:${smtpPort}`;
    const first = await deliverAlerts(kdb.db, { now: new Date(now.getTime() + INTERVAL), smtpUrl, backoffMs: 1000 });
    expect(first).toEqual({ sent: 7, retrying: 1, failed: 0 });
    const hist = await alertHistory(kdb.db, 'mpg');
    const retried = hist.find((h) => h.delivery === 'pending')!;
    expect(retried).toMatchObject({ attempts: 1, deliveryError: 'webhook: HTTP 500' });
    // Not due before its backoff; due after.
    expect(await deliverAlerts(kdb.db, { now: new Date(now.getTime() + INTERVAL + 500), smtpUrl, backoffMs: 1000 })).toEqual({ sent: 0, retrying: 0, failed: 0 });
    expect(await deliverAlerts(kdb.db, { now: new Date(now.getTime() + INTERVAL + 1000), smtpUrl, backoffMs: 1000 })).toEqual({ sent: 1, retrying: 0, failed: 0 });
    expect(received.length).toBe(8);
    // The email went out once per transition, the retry only re-sent the webhook.
    expect(mails.length).toBe(8);
    expect(mails.some((m) => m.includes('Subject: [kiln] FIRING mpg: stale_model > 0d') && m.includes('To: ops@example.com'))).toBe(true);
    const stale = received.find((p) => p.rule === 'stale_model > 0d')!;
    expect(stale).toMatchObject({ kind: 'kiln.alert', version: 1, endpoint: 'mpg', model: 'mpg', project: 'registry-test', state: 'firing', since: now.toISOString(), condition: { kind: 'stale_model', days: 0 } });
    expect(received.map((p) => p.attempt).sort()).toEqual([1, 1, 1, 1, 1, 1, 1, 2]);
    expect(received.find((p) => p.id === retried.id)!.attempt).toBe(2);
    expect((await alertHistory(kdb.db, 'mpg')).every((h) => h.delivery === 'sent')).toBe(true);
    // docs/monitoring.md's webhook body has exactly these fields, of these types.
    const shown = JSON.parse(/```json\n([\s\S]*?)```/.exec(await readFile(join(REPO, 'docs/monitoring.md'), 'utf8'))![1]!) as Record<string, unknown>;
    const types = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, v === null ? 'null' : typeof v]));
    expect(types(shown)).toEqual(types(stale as unknown as Record<string, unknown>));
  });

  it('resolves when the condition clears, keeps the history, and notifies the resolution', async () => {
    // Two days later the window is empty: no live MAPE, no drift, no anomalies; the model is older still.
    const later = new Date(now.getTime() + 48 * HOUR);
    const r = await evaluateAlerts(kdb.db, store, { now: later, intervalMs: INTERVAL });
    expect(r.transitions.map((t) => `${t.rule}: ${t.state}`).sort()).toEqual(
      [
        'anomaly_rate > 0.5 over 24h: resolved',
        'drift(hp) over 24h: resolved',
        'drift_share > 0.5 over 24h: resolved',
        'error_rate > 0.1 over 24h: resolved',
        'mape > 0.2 over 24h: resolved',
        'mape worse_than baseline over 24h: resolved',
        'p99_latency > 250ms over 24h: resolved',
        'no_traffic > 1h: firing',
      ].sort(),
    );
    const hist = await alertHistory(kdb.db, 'mpg');
    expect(hist.filter((h) => h.rule === 'mape > 0.2 over 24h').map((h) => h.state)).toEqual(['resolved', 'firing']);
    expect(hist.find((h) => h.rule === 'no_traffic > 1h')!.message).toMatch(/^mpg: last request .*, 4\d\.\d+ hours ago \(limit 1 hours\)$/);
    await deliverAlerts(kdb.db, { now: later, smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
    expect(received.filter((p) => p.state === 'resolved').length).toBe(7);
    const all = await projectAlerts(kdb.db, projectId);
    expect(all.filter((a) => a.state === 'firing').map((a) => a.rule).sort()).toEqual(['no_traffic > 1h', 'stale_model > 0d']);
    expect(all[0]!.state).toBe('firing');
  });

  it('over tRPC: READ lists and sees history, EDIT adds and removes, other projects see nothing', async () => {
    const reader = callerAs(kdb.db, await createTestUser(kdb.db, { projects: { [projectId]: 'READ' } }), store);
    const editor = callerAs(kdb.db, await createTestUser(kdb.db, { projects: { [projectId]: 'EDIT' } }), store);
    const outsider = callerAs(kdb.db, await createTestUser(kdb.db), store);
    expect((await reader.monitoring.alertRules({ name: 'mpg' })).length).toBe(RULES.length);
    expect((await reader.monitoring.alertHistory({ name: 'mpg', limit: 2 })).length).toBe(2);
    const all = await reader.monitoring.alerts({ project: 'registry-test' });
    expect(all.length).toBe(RULES.length);
    expect(all[0]).toMatchObject({ endpoint: 'mpg', state: 'firing' });
    expect((await rejectionOf(reader.monitoring.addAlertRule({ name: 'mpg', rule: 'rmse > 9' }))).message).toMatch(/needs EDIT/);
    expect((await rejectionOf(outsider.monitoring.alerts({ project: 'registry-test' }))).code).toBe('NOT_FOUND');
    expect((await rejectionOf(outsider.monitoring.alertRules({ name: 'mpg' }))).code).toBe('NOT_FOUND');
    const added = await editor.monitoring.addAlertRule({ name: 'mpg', rule: { condition: { kind: 'metric', metric: 'rmse', op: '>', threshold: 9 }, window: '1h' } });
    expect(added).toMatchObject({ rule: 'rmse > 9 over 1h', state: 'pending', onFire: ['notify'] });
    expect((await rejectionOf(editor.monitoring.addAlertRule({ name: 'mpg', rule: { condition: { kind: 'metric', metric: 'rmse', op: '>=' } } }))).message).toMatch(/^alert rule at condition/);
    expect((await rejectionOf(editor.monitoring.addAlertRule({ name: 'mpg', rule: 'rmse >> 9' }))).message).toMatch(/^alert rule "rmse >> 9": expected one of/);
    expect(await editor.monitoring.removeAlertRule({ name: 'mpg', rule: added.id })).toEqual({ removed: 'rmse > 9 over 1h' });
    expect(await editor.monitoring.setProjectAlertChannel({ project: 'registry-test', webhook: null, emails: ['team@example.com'] })).toEqual({ webhookUrl: null, emails: ['team@example.com'] });
    expect(await reader.monitoring.alertChannel({ name: 'mpg' })).toEqual({ webhookUrl: hookUrl, emails: ['ops@example.com'] });
  });

  it('gives up on an unreachable webhook after its attempts, with the reason', async () => {
    const dead = await freePort();
    await setAlertChannel(kdb.db, { endpoint: 'mpg' }, { webhookUrl: `http://127.0.0.1:${dead}/x`, emails: [] });
    await removeAlertRule(kdb.db, 'mpg', 'no_traffic > 1h');
    await addAlertRule(kdb.db, 'mpg', parseAlertRule('no_traffic > 1h'), 'test');
    const t = new Date(now.getTime() + 50 * HOUR);
    expect((await evaluateAlerts(kdb.db, store, { now: t, intervalMs: INTERVAL })).transitions.map((x) => x.rule)).toEqual(['no_traffic > 1h']);
    expect(await deliverAlerts(kdb.db, { now: t, maxAttempts: 2, backoffMs: 10 })).toEqual({ sent: 0, retrying: 1, failed: 0 });
    expect(await deliverAlerts(kdb.db, { now: new Date(t.getTime() + 10), maxAttempts: 2, backoffMs: 10 })).toEqual({ sent: 0, retrying: 0, failed: 1 });
    const h = (await alertHistory(kdb.db, 'mpg')).find((x) => x.rule === 'no_traffic > 1h')!;
    expect(h).toMatchObject({ delivery: 'failed', attempts: 2, deliveryError: 'webhook: ECONNREFUSED' });
    await expect(setAlertChannel(kdb.db, { endpoint: 'mpg' }, { webhookUrl: 'ftp://x', emails: [] })).rejects.toThrow(/webhook: expected an http/);
    await expect(removeAlertRule(kdb.db, 'mpg', 'drift(nope)')).rejects.toThrow(/has no alert rule "drift\(nope\)"/);
  });
});
