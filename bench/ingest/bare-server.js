#!/usr/bin/env node
'use strict';
/**
 * bench/ingest child: the baseline. A bare Express app (the same express RUNE uses) that reads the
 * body the way RUNE does (express.raw, 2 MB limit), JSON.parses it and answers 202. No auth check,
 * no validation, no storage. Listens on 127.0.0.1:0, prints {"port":N} on stdout; the same IPC
 * commands as rune-server.js ({type:'cpu'}, {type:'stop'}).
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const express = require(require.resolve('express', { paths: [ROOT] }));

const app = express();
app.disable('x-powered-by');
const raw = express.raw({ type: () => true, limit: '2mb' });
app.post('/webhooks/alertmanager', raw, (req, res) => {
  let body;
  try {
    body = JSON.parse(req.body.toString('utf8'));
  } catch {
    res.status(400).json({ error: 'invalid JSON' });
    return;
  }
  if (!body || !Array.isArray(body.alerts)) {
    res.status(400).json({ error: 'no alerts' });
    return;
  }
  res.status(202).json({ status: 'accepted' });
});

const server = app.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`);
});
process.on('message', (m) => {
  if (m.type === 'cpu') {
    const u = process.cpuUsage();
    process.send({ type: 'cpu', user: u.user, system: u.system, rss: process.memoryUsage().rss });
  } else if (m.type === 'stop') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
process.on('disconnect', () => process.exit(1));
