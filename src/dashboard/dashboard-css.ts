/** The dashboard's only stylesheet, served as /assets/dashboard.css (no inline styles: the CSP forbids them). */
export const DASHBOARD_CSS = `
:root {
  --fg: #1d2330; --muted: #5d6577; --line: #d9dde5; --bg: #f6f7f9;
  --ok: #1b7f3b; --bad: #b3261e; --warn: #946200; --info: #1f5fbf;
}
* { box-sizing: border-box; }
body {
  margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
}
header.top { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.2rem; background: #1d2330; color: #fff; }
header.top a { color: #fff; text-decoration: none; }
header.top nav a { margin-right: 1rem; opacity: .85; }
header.top nav a[aria-current] { opacity: 1; border-bottom: 2px solid #fff; }
.brand { font-weight: 700; letter-spacing: .08em; }
form.who { margin-left: auto; display: flex; gap: .6rem; align-items: center; }
.role { font-size: .8em; padding: .05rem .4rem; border: 1px solid #fff6; border-radius: 3px; }
main { padding: 1rem 1.2rem 3rem; max-width: 1200px; }
h1 { font-size: 1.4rem; margin: .4rem 0 1rem; } h2 { font-size: 1.1rem; margin: 1.6rem 0 .6rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: .85em; }
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: .25rem 1rem;
  background: #fff; padding: .8rem 1rem; border: 1px solid var(--line);
}
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
pre {
  background: #111722; color: #e8ecf3; padding: .7rem; overflow: auto; max-height: 24rem;
  white-space: pre-wrap; word-break: break-word;
}
code { font-family: ui-monospace, "SFMono-Regular", Menlo, monospace; font-size: .92em; }
.status {
  display: inline-block; padding: .05rem .45rem; border-radius: 3px; font-size: .85em; font-weight: 600;
  color: #fff; background: var(--muted);
}
.status-succeeded, .status-verified { background: var(--ok); }
.status-failed, .status-timed_out, .status-interrupted, .status-outcome_unknown { background: var(--bad); }
.status-not_fixed { background: var(--bad); }
.status-active { background: var(--info); }
.status-expired { background: var(--ok); }
.status-queued, .status-running, .status-pending { background: var(--info); }
.status-skipped, .status-cancelled { background: var(--warn); }
.banner { margin: 0; padding: .6rem 1.2rem; } .paused { background: #fff1c2; } .flash { background: #e3efff; }
.empty { background: #fff; border: 1px dashed var(--line); padding: 1.2rem; color: var(--muted); }
.error { color: var(--bad); } .errors { color: var(--bad); margin: .2rem 0; padding-left: 1.2rem; }
.actions-bar { display: flex; gap: .8rem; align-items: center; margin: 1rem 0; flex-wrap: wrap; }
.filters { display: flex; gap: .6rem; flex-wrap: wrap; align-items: end; margin-bottom: 1rem; }
.filters label, form.rerun label { display: flex; flex-direction: column; font-size: .85em; color: var(--muted); }
input, select, textarea, button, .button { font: inherit; padding: .3rem .5rem; }
textarea { width: 100%; min-height: 5rem; font-family: ui-monospace, Menlo, monospace; }
button, .button {
  background: #1f5fbf; color: #fff; border: 0; border-radius: 3px; cursor: pointer; text-decoration: none;
  display: inline-block;
}
button.danger { background: var(--bad); }
.button.secondary, button.secondary { background: #fff; color: var(--fg); border: 1px solid var(--line); }
.timeline { list-style: none; padding: 0; background: #fff; border: 1px solid var(--line); }
.timeline li { padding: .4rem .8rem; border-bottom: 1px solid var(--line); }
.timeline time, .muted { color: var(--muted); font-size: .88em; }
.field { margin-bottom: .9rem; } .hint { color: var(--muted); font-size: .85em; }
.card { background: #fff; border: 1px solid var(--line); padding: .8rem 1rem; margin-bottom: 1rem; }
`;
