'use strict';
/** Small helpers shared by the benchmarks (machine facts, percentiles, number formats). */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');

const loadavg = () =>
  os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
const nproc = () => (typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
const log = (s) => process.stdout.write(`${s}\n`);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
/** Nearest-rank percentile of an ascending-sorted array. */
const pct = (sorted, q) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] : NaN;
/** Milliseconds for a table: ∞ for abandoned requests, fewer decimals as values grow. */
const ms = (x) =>
  x === Infinity ? '∞' : Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2)) : '–';
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

const own = (obj, k) => obj !== undefined && Object.prototype.hasOwnProperty.call(obj, k);

/**
 * A benchmark's command line: `--name value` or `--name=value`. `spec.flags` maps an option to a
 * boolean key, `spec.numbers` to a key holding a non-negative number (`spec.ints`: the keys that
 * must be integers), `spec.values` to a function (value, options) that stores it or calls usage.
 * `-h`/`--help` calls usage(0); anything else unknown usage(2, why). Range checks stay with the caller.
 */
function parseOptions(argv, spec, usage) {
  const o = { ...spec.defaults };
  const ints = new Set(spec.ints ?? []);
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let v;
    const eq = a.indexOf('=');
    if (a.startsWith('--') && eq > 0) {
      v = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    if (a === '-h' || a === '--help') usage(0);
    else if (own(spec.flags, a)) o[spec.flags[a]] = true;
    else if (own(spec.numbers, a) || own(spec.values, a)) {
      if (v === undefined) v = argv[++i];
      if (v === undefined) usage(2, `${a} needs a value`);
      if (own(spec.values, a)) spec.values[a](v, o);
      else {
        const key = spec.numbers[a];
        const n = Number(v);
        if (!Number.isFinite(n) || n < 0 || (ints.has(key) && !Number.isInteger(n)))
          usage(2, `${a} must be a non-negative ${ints.has(key) ? 'integer' : 'number'}, not ${JSON.stringify(v)}`);
        o[key] = n;
      }
    } else usage(2, `unknown option ${a}`);
  }
  return o;
}

module.exports = { ROOT, loadavg, nproc, log, median, pct, ms, fileSize, pkgVersion, shippedNodeFlags, parseOptions };
