// Medians and within-round ratios of run.sh's raw lines:
//   round=R target=T rps=.. p50_ms=.. p99_ms=.. non2xx=.. sock_err=.. requests=..
// usage: node summary.mjs RAW_FILE   (prints markdown tables)
import fs from 'node:fs';

const ORDER = ['ceiling', 'ours', 'base', 'openresty', 'node'];
const LABEL = {
  ceiling: 'nginx `return 200` (HTTP ceiling)',
  ours: 'ngx_dvc (this module)',
  base: 'ngx_dvc BASE= build',
  openresty: 'OpenResty peer',
  node: 'Node peer, 1 process',
};
const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean)
  .map((l) => Object.fromEntries(l.trim().split(/\s+/).map((kv) => kv.split('='))));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x, d = 0) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const cpu = (rs, k) => (rs.every((r) => r[k] !== undefined) ? fmt(median(rs.map((r) => Number(r[k])))) : '?');
const targets = ORDER.filter((t) => rows.some((r) => r.target === t));
const rounds = [...new Set(rows.map((r) => Number(r.round)))].sort((a, b) => a - b);
const get = (round, t) => rows.find((r) => Number(r.round) === round && r.target === t);

console.log('| target | GET req/s median (min–max) | p50 ms | p99 ms | server CPU µs/request | CPU % server / Redis / wrk / other | rounds | non-2xx / socket errors |');
console.log('|---|---|---|---|---|---|---|---|');
for (const t of targets) {
  const rs = rows.filter((r) => r.target === t), rps = rs.map((r) => Number(r.rps));
  const bad = rs.reduce((a, r) => a + Number(r.non2xx), 0), serr = rs.reduce((a, r) => a + Number(r.sock_err), 0);
  console.log(`| ${LABEL[t]} | ${fmt(median(rps))} (${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}) | ` +
    `${fmt(median(rs.map((r) => Number(r.p50_ms))), 2)} | ${fmt(median(rs.map((r) => Number(r.p99_ms))), 2)} | ` +
    `${rs.every((r) => r.srv_us) ? fmt(median(rs.map((r) => Number(r.srv_us))), 1) : '?'} | ` +
    `${['srv_cpu', 'redis_cpu', 'wrk_cpu', 'other_cpu'].map((k) => cpu(rs, k)).join(' / ')} | ` +
    `${rs.length} | ${bad} / ${serr} |`);
}

const ratios = [['ours', 'base'], ['ours', 'openresty'], ['ours', 'node'], ['ours', 'ceiling'], ['openresty', 'node']]
  .filter(([a, b]) => targets.includes(a) && targets.includes(b));
console.log('');
console.log(`| ratio (req/s, same round) | ${rounds.map((r) => `round ${r}`).join(' | ')} | median |`);
console.log(`|---|${rounds.map(() => '---|').join('')}---|`);
for (const [a, b] of ratios) {
  const xs = rounds.map((r) => {
    const x = get(r, a), y = get(r, b);
    return x && y ? Number(x.rps) / Number(y.rps) : null;
  });
  const ok = xs.filter((x) => x !== null);
  console.log(`| ${a} / ${b} | ${xs.map((x) => (x === null ? '—' : x.toFixed(2))).join(' | ')} | ` +
    `**${ok.length ? median(ok).toFixed(2) : '—'}** |`);
}
const busy = Number(process.env.BUSY || 25);
const loaded = rows.filter((r) => Number(r.other_cpu) >= busy);
if (loaded.length) {
  console.log('');
  console.log(`BUSY BOX (others used >= ${busy}% of a core): ` +
    `${loaded.map((r) => `round ${r.round} ${r.target} (${r.other_cpu}%)`).join(', ')}`);
}
// the same pairs by server CPU per request (b's µs / a's µs: above 1, a is cheaper)
if (rows.every((r) => r.srv_us)) {
  console.log('');
  console.log(`| server CPU per request, same round | ${rounds.map((r) => `round ${r}`).join(' | ')} | median |`);
  console.log(`|---|${rounds.map(() => '---|').join('')}---|`);
  for (const [a, b] of ratios) {
    const xs = rounds.map((r) => {
      const x = get(r, a), y = get(r, b);
      return x && y ? Number(y.srv_us) / Number(x.srv_us) : null;
    });
    const ok = xs.filter((x) => x !== null);
    console.log(`| ${b} µs / ${a} µs | ${xs.map((x) => (x === null ? '—' : x.toFixed(2))).join(' | ')} | ` +
      `**${ok.length ? median(ok).toFixed(2) : '—'}** |`);
  }
}
const flagged = rows.filter((r) => Number(r.non2xx) > 0 || Number(r.sock_err) > 0);
if (flagged.length) {
  console.log('');
  console.log(`FLAGGED (non-2xx or socket errors): ${flagged.map((r) => `round ${r.round} ${r.target}`).join(', ')}`);
}
