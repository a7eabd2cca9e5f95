// The HTTP floor of a validation answer: bare node:cluster workers answering every request with
// the headers and body size of GET /v3/auth/tokens (a request id, Vary, the echoed X-Subject-Token,
// Content-Type, Content-Length and BODY bytes), without any identity work. What node:http itself
// costs for that exchange on this machine, beside hello.js's small answer.
// Usage: PORT=15100 WORKERS=3 BODY=708 node validation-shape-server.cjs
const cluster = require('node:cluster');
const http = require('node:http');
const { randomUUID } = require('node:crypto');

const workers = Number(process.env.WORKERS || 3);
if (cluster.isPrimary) {
  for (let i = 0; i < workers; i++) cluster.fork();
  process.on('SIGTERM', () => {
    for (const w of Object.values(cluster.workers)) w.kill();
    process.exit(0);
  });
} else {
  const body = Buffer.alloc(Number(process.env.BODY || 708), 'x');
  http
    .createServer((req, res) => {
      res.writeHead(200, {
        'x-openstack-request-id': `req-${randomUUID()}`,
        Vary: 'X-Auth-Token',
        'X-Subject-Token': req.headers['x-subject-token'] ?? '',
        'Content-Type': 'application/json',
        'Content-Length': body.length,
      });
      res.end(body);
    })
    .listen(Number(process.env.PORT || 15100), '127.0.0.1');
}
