#!/usr/bin/env node
'use strict';
/**
 * Summarizes a V8 .cpuprofile (from `node --cpu-prof` or bench/ingest/run.js --profile): top
 * functions by self time, self time per area (RUNE's dist/ files, npm packages, Node internals,
 * V8/native), and RUNE's own functions by inclusive time.
 *
 *   node bench/ingest/profile-summary.js FILE.cpuprofile [--top N]
 */
const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

function shortUrl(url) {
  if (!url) return '';
  let u = url.replace(/^file:\/\//, '');
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) return u.slice(nm + '/node_modules/'.length);
  if (u.startsWith(ROOT + '/')) u = u.slice(ROOT.length + 1);
  return u;
}

function areaOf(cf) {
  const u = cf.url || '';
  if (!u) return cf.functionName.startsWith('(') ? cf.functionName : 'native (V8 builtins, addons)';
  if (u.startsWith('node:')) return 'node internals';
  const nm = u.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const rest = u.slice(nm + '/node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  const d = u.indexOf('/dist/');
  if (d >= 0) return `rune ${u.slice(d + 1)}`;
  return shortUrl(u);
}

const keyOf = (cf) => `${cf.functionName || '(anonymous)'}${cf.url ? ` ${shortUrl(cf.url)}:${cf.lineNumber + 1}` : ''}`;

/** → { totalMs, idleMs, busyMs, self: [{name, ms}], areas: [{name, ms}], runeInclusive: [{name, ms}] } */
function summarizeProfile(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children || []) parent.set(c, n.id);
  const self = new Map();
  const areas = new Map();
  const incl = new Map();
  const add = (m, k, v) => m.set(k, (m.get(k) || 0) + v);
  const { samples, timeDeltas } = profile;
  let total = 0;
  let idle = 0;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i] is the gap before sample i: the time until the next sample belongs to sample i.
    const us = i + 1 < timeDeltas.length ? timeDeltas[i + 1] : 0;
    if (us <= 0) continue;
    total += us;
    const node = nodes.get(samples[i]);
    const cf = node.callFrame;
    if (cf.functionName === '(idle)') {
      idle += us;
      continue;
    }
    add(self, keyOf(cf), us);
    add(areas, areaOf(cf), us);
    const seen = new Set();
    for (let id = samples[i]; id !== undefined; id = parent.get(id)) {
      const f = nodes.get(id).callFrame;
      if (!f.url || !f.url.includes('/dist/')) continue;
      const k = keyOf(f);
      if (seen.has(k)) continue;
      seen.add(k);
      add(incl, k, us);
    }
  }
  const top = (m) => [...m].sort((a, b) => b[1] - a[1]).map(([name, us]) => ({ name, ms: us / 1000 }));
  return {
    totalMs: total / 1000,
    idleMs: idle / 1000,
    busyMs: (total - idle) / 1000,
    self: top(self),
    areas: top(areas),
    runeInclusive: top(incl),
  };
}

function formatSummary(s, topN = 15) {
  const pct = (ms) => `${((100 * ms) / s.busyMs).toFixed(1).padStart(5)}%`;
  const rows = (list) =>
    list.slice(0, topN).map((r) => `    ${pct(r.ms)} ${r.ms.toFixed(0).padStart(6)} ms  ${r.name}`);
  return [
    `  profile: ${(s.totalMs / 1000).toFixed(1)} s sampled, ${(s.busyMs / 1000).toFixed(1)} s busy ` +
      `(${((100 * s.busyMs) / s.totalMs).toFixed(0)}%), percentages of busy time`,
    '  self time by area:',
    ...rows(s.areas).slice(0, 10),
    '  self time by function:',
    ...rows(s.self),
    "  RUNE's own functions (dist/) by inclusive time:",
    ...rows(s.runeInclusive),
  ].join('\n');
}

module.exports = { summarizeProfile, formatSummary };

if (require.main === module) {
  const file = process.argv[2];
  if (!file || file === '-h' || file === '--help') {
    process.stderr.write('usage: node bench/ingest/profile-summary.js FILE.cpuprofile [--top N]\n');
    process.exit(file ? 0 : 2);
  }
  const t = process.argv.indexOf('--top');
  const topN = t > 0 ? Number(process.argv[t + 1]) || 15 : 15;
  process.stdout.write(`${formatSummary(summarizeProfile(JSON.parse(fs.readFileSync(file, 'utf8'))), topN)}\n`);
}
