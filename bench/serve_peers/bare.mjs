// Ceiling for bench:serve: a bare Node `http` server that reads the request body and answers a
// constant TF-Serving-shaped JSON body. Nothing a model server does can be faster than this on
// the same load. Usage: node bench/serve_peers/bare.mjs PORT
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8599);
const body = Buffer.from(JSON.stringify({ predictions: [17.5] }));
const server = createServer((req, res) => {
  // The body is read to its end, as a real server must before it answers.
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.listen(port, '127.0.0.1', () => {
  const a = server.address();
  process.stdout.write(`bare: listening on http://127.0.0.1:${typeof a === 'object' && a ? a.port : port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
