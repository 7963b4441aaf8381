// A stand-in control plane for bench:serve's `kiln-log` and `kiln-nolog` targets: it serves one
// endpoint ("cars", the package directory given, the prediction log's sample rate given) to
// `kiln serving --server`, and accepts its prediction-log batches and request statistics (read to the end, not parsed).
// It exists so the bench measures serving's own cost of logging: a control plane and its
// database parsing and writing the batches would share the bench's two cores with serving and
// wrk here, which a deployment does not.
// Usage: node bench/serve_peers/control-plane-stub.mjs PORT PKG_DIR SAMPLE_RATE
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, relative } from 'node:path';
import { zipSync } from 'fflate';

const port = Number(process.argv[2] ?? 0);
const pkgDir = process.argv[3];
const sampleRate = Number(process.argv[4] ?? 1);
const files = {};
const walk = (d) => {
  for (const n of readdirSync(d)) {
    const p = join(d, n);
    if (statSync(p).isDirectory()) walk(p);
    else files[relative(pkgDir, p)] = new Uint8Array(readFileSync(p));
  }
};
walk(pkgDir);
const zip = Buffer.from(zipSync(files));
const sha256 = createHash('sha256').update(zip).digest('hex');
const config = JSON.stringify({
  revision: 1,
  studioOrigins: [],
  endpoints: [{ name: 'cars', model: 'cars', access: 'public', keyHashes: [], corsOrigins: [], versions: [{ version: 1, sha256, url: '/pkg.zip', aliases: [] }], default: 1, traffic: [], log: { sampleRate } }],
});
let batches = 0;
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://stub');
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    if (url.pathname === '/api/serving/config') {
      // A long poll with nothing new: answer 304 after the wait, as the control plane does.
      if (url.searchParams.has('after')) return setTimeout(() => (res.writeHead(304), res.end()), Number(url.searchParams.get('wait') ?? 25) * 1000);
      res.writeHead(200, { 'content-type': 'application/json', etag: '"1"' });
      return res.end(config);
    }
    if (url.pathname === '/pkg.zip') {
      res.writeHead(200, { 'content-type': 'application/zip', 'content-length': zip.length });
      return res.end(zip);
    }
    if (url.pathname === '/api/serving/predictions' && req.method === 'POST') {
      batches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"accepted":0,"duplicates":0,"unknownEndpoint":0}');
    }
    if (url.pathname === '/api/serving/request-stats' && req.method === 'POST') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end('{"accepted":0,"unknownEndpoint":0}');
    }
    if (url.pathname === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ batches }));
    }
    res.writeHead(404);
    res.end();
  });
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`stub: listening on http://127.0.0.1:${server.address().port}\n`));
process.on('SIGTERM', () => process.exit(0));
