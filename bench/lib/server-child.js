'use strict';
/**
 * A benchmark server in its own process (so the load tool does not share its event loop): fork a
 * script that prints {"port":N,…} as its first stdout line and answers {type:'cpu'|'profile-start'|
 * 'profile-stop'|'stop'} messages (bench/ingest/rune-server.js, bench/ingest/bare-server.js).
 */
const { fork } = require('node:child_process');

/**
 * Forks `script` (with node flags `execArgv`); resolves once it printed its first line. `children`
 * is the caller's set of live children (for its teardown): the child is in it until it exits.
 */
function startServerChild(name, script, args, env, children, execArgv = []) {
  return new Promise((resolve, reject) => {
    const child = fork(script, args, {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...env },
      execArgv,
    });
    children.add(child);
    let out = '';
    let err = '';
    let ready = false;
    child.stderr.on('data', (c) => {
      err = (err + c.toString()).slice(-4000);
    });
    child.stdout.on('data', (c) => {
      if (ready) return;
      out += c.toString();
      const nl = out.indexOf('\n');
      if (nl < 0) return;
      ready = true;
      try {
        resolve(wrapChild(name, child, JSON.parse(out.slice(0, nl)), () => err, children));
      } catch {
        reject(new Error(`${name}: unexpected first line ${JSON.stringify(out.slice(0, nl))}`));
      }
    });
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (!ready) reject(new Error(`${name} exited (${code ?? signal}) before listening:\n${err}`));
    });
    setTimeout(() => {
      if (!ready) reject(new Error(`${name} did not start within 30 s:\n${err}`));
    }, 30_000).unref();
  });
}

function wrapChild(name, child, info, stderrTail, children) {
  const ask = (msg, replyType, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.off('message', on);
        reject(new Error(`${name}: no ${replyType} reply within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (m) => {
        if (m.type !== 'error' && m.type !== replyType) return;
        clearTimeout(timer);
        child.off('message', on);
        if (m.type === 'error') reject(new Error(`${name}: ${m.message}`));
        else resolve(m);
      };
      child.on('message', on);
      child.send(msg);
    });
  return {
    name,
    info,
    port: info.port,
    pid: child.pid,
    stderrTail,
    /** CPU seconds (user + system) the child has used so far, and its RSS. */
    cpu: async () => {
      const m = await ask({ type: 'cpu' }, 'cpu');
      return { s: (m.user + m.system) / 1e6, rss: m.rss };
    },
    /** Event-loop delay of the child between eldStart() and eldStop(): {maxMs, p99Ms, meanMs}. */
    eldStart: () => ask({ type: 'eld-start' }, 'eld-started'),
    eldStop: () => ask({ type: 'eld-stop' }, 'eld'),
    profileStart: () => ask({ type: 'profile-start', intervalUs: 500 }, 'profile-started'),
    profileStop: (file) => ask({ type: 'profile-stop', file }, 'profile-stopped', 60_000),
    stop: () =>
      new Promise((resolve) => {
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        child.once('exit', () => {
          clearTimeout(timer);
          children.delete(child);
          resolve();
        });
        child.send({ type: 'stop' });
      }),
  };
}

module.exports = { startServerChild };
