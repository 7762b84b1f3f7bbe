'use strict';
/** Small helpers shared by the benchmarks (machine facts, percentiles, number formats). */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

const loadavg = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const nproc = () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
const log = (s) => process.stdout.write(`${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile of an ascending-sorted array. */
const pct = (sorted, q) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN);
/** Milliseconds for a table: ∞ for abandoned requests, fewer decimals as values grow. */
const ms = (x) => (x === Infinity ? '∞' : Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–');
const fileSize = (p) => {
  try {
    return fs.statSync(p).size;
  } catch {
    return 0;
  }
};
/** The installed version of a dependency of this checkout, or '?'. */
const pkgVersion = (name) => {
  try {
    return require(require.resolve(`${name}/package.json`, { paths: [ROOT] })).version;
  } catch {
    return '?';
  }
};

/** The node flags `bin/rune` starts with (its `#!/usr/bin/env -S node …` line): RUNE as shipped. */
const shippedNodeFlags = () => {
  const first = fs.readFileSync(path.join(ROOT, 'bin', 'rune'), 'utf8').split('\n')[0];
  const m = /^#!\/usr\/bin\/env\s+(?:-S\s+)?node\b(.*)$/.exec(first);
  if (!m) throw new Error(`bin/rune: unexpected first line ${JSON.stringify(first)}`);
  return m[1].trim().split(/\s+/).filter(Boolean);
};

module.exports = { ROOT, loadavg, nproc, log, median, pct, ms, fileSize, pkgVersion, shippedNodeFlags };
