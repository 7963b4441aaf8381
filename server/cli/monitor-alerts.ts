/**
 * `kiln monitor rules ENDPOINT` (add, remove and list an endpoint's alert rules, set where its
 * alerts go, show their history) and `kiln monitor export` (a Prometheus rules file and a
 * Grafana dashboard for the configured rules), against the control plane with the stored login.
 */
import { writeFile } from 'node:fs/promises';
import { KilnError } from '../../lib/errors';
import type { AlertEventView, AlertView } from '../monitoring/alert-rules';
import { grafanaDashboard, prometheusRules } from '../monitoring/prometheus';
import { client, guarded, type Common, type IO } from './registry';

export interface RulesOptions extends Common {
  add: string[];
  remove: string[];
  /** a webhook URL, or `none` to clear it */
  webhook?: string;
  email: string[];
  history?: boolean;
}

const line = (a: AlertView) => `  ${a.state === 'firing' ? '✗ FIRING ' : a.state === 'resolved' ? '✓ resolved' : '· pending '} ${a.rule} (since ${a.since}): ${a.message}`;

/** `kiln monitor rules ENDPOINT [--add RULE]… [--remove RULE]… [--webhook URL|none] [--email ADDR]… [--history]`. */
export function rulesCommand(endpoint: string, o: RulesOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    const api = client(o.server);
    // Where alerts go is set before any rule is added: a rule that fires at once (the
    // evaluator may run between two calls) must find its channel, or it is recorded as
    // delivered nowhere and never sent.
    if (o.webhook !== undefined || o.email.length > 0) {
      const cur = await api.monitoring.alertChannel.query({ name: endpoint });
      const webhook = o.webhook === undefined ? (cur?.webhookUrl ?? null) : o.webhook === 'none' ? null : o.webhook;
      await api.monitoring.setAlertChannel.mutate({ name: endpoint, webhook, emails: o.email.length > 0 ? o.email : (cur?.emails ?? []) });
    }
    for (const rule of o.remove) await api.monitoring.removeAlertRule.mutate({ name: endpoint, rule });
    for (const rule of o.add) await api.monitoring.addAlertRule.mutate({ name: endpoint, rule });
    const rules = await api.monitoring.alertRules.query({ name: endpoint });
    const channel = await api.monitoring.alertChannel.query({ name: endpoint });
    const history: AlertEventView[] | undefined = o.history ? await api.monitoring.alertHistory.query({ name: endpoint }) : undefined;
    if (o.json) {
      io.out(`${JSON.stringify({ endpoint, rules, channel, ...(history ? { history } : {}) })}\n`);
      return 0;
    }
    io.out(`${endpoint}: ${rules.length} alert rule${rules.length === 1 ? '' : 's'}${channel ? ` → ${[channel.webhookUrl, ...channel.emails].filter(Boolean).join(', ')}` : ' (delivered to the project\'s channel, if any)'}\n`);
    for (const a of rules) io.out(`${line(a)}\n`);
    if (history) {
      io.out('history:\n');
      for (const h of history) io.out(`  ${h.at} ${h.state.toUpperCase()} ${h.rule}: ${h.message} [${h.delivery}${h.deliveryError ? `: ${h.deliveryError}` : ''}]\n`);
    }
    return 0;
  });
}

export interface ExportOptions extends Common {
  prometheusRules?: string;
  grafana?: string;
  endpoint: string[];
}

/** `kiln monitor export [--endpoint NAME]… --prometheus-rules FILE --grafana FILE`: every endpoint the caller can read by default. */
export function exportCommand(o: ExportOptions, io: IO): Promise<number> {
  return guarded(o, io, async () => {
    if (!o.prometheusRules && !o.grafana) throw new KilnError('BAD_OPTION', 'kiln monitor export: give --prometheus-rules FILE, --grafana FILE or both');
    const api = client(o.server);
    const names = o.endpoint.length > 0 ? o.endpoint : (await api.endpoints.list.query()).map((e) => e.name);
    const rules: AlertView[] = [];
    for (const name of names) rules.push(...(await api.monitoring.alertRules.query({ name })));
    if (o.prometheusRules) await writeFile(o.prometheusRules, prometheusRules(rules));
    if (o.grafana) await writeFile(o.grafana, `${JSON.stringify(grafanaDashboard(names), null, 2)}\n`);
    const out = { endpoints: names, rules: rules.length, ...(o.prometheusRules ? { prometheusRules: o.prometheusRules } : {}), ...(o.grafana ? { grafana: o.grafana } : {}) };
    if (o.json) io.out(`${JSON.stringify(out)}\n`);
    else io.out(`${[o.prometheusRules && `wrote ${o.prometheusRules} (${rules.length} alert rule${rules.length === 1 ? '' : 's'})`, o.grafana && `wrote ${o.grafana} (${names.length} endpoint${names.length === 1 ? '' : 's'})`].filter(Boolean).join('; ')}\n`);
    return 0;
  });
}
