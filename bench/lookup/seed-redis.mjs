// Seeds N dossiers straight into Redis for ngx_dvc's lookup (submission is not
// built yet), in the key schema of docs/redis.md: each dossier submitted about a
// day ago and accepted 30 minutes later (status 2, a 2-entry history), due in
// 3 working days.  Writes the Redis commands to stdout in RESP, for
// `redis-cli --pipe`, and "<code> <token>" lines to TOKENS_FILE, the format
// ../shared/bench/load/dvc.lua reads.
// usage: node seed-redis.mjs N TOKENS_FILE | redis-cli -p PORT --pipe
import crypto from 'node:crypto';
import fs from 'node:fs';

const [n, tokensFile] = process.argv.slice(2);
const N = Number(n);
if (!(N >= 1 && N <= 9999) || !tokensFile) {
  console.error('usage: node seed-redis.mjs N(1..9999) TOKENS_FILE');
  process.exit(2);
}

const AGENCY = '000.00.10.H47';                     // the peers' fixture procedure's agency
const VN = 7 * 3600;                                // Vietnam is UTC+7, no DST
const vn = (t) => new Date((t + VN) * 1000).toISOString().slice(0, 19) + '+07:00';
const now = Math.floor(Date.now() / 1000);
const day = vn(now).slice(2, 10).replaceAll('-', '');   // YYMMDD, Vietnam date

const resp = (args) => {
  let s = `*${args.length}\r\n`;
  for (const a of args) s += `$${Buffer.byteLength(a)}\r\n${a}\r\n`;
  return s;
};

const out = [], tokens = [];
for (let i = 1; i <= N; i++) {
  const code = `${AGENCY}-${day}-${String(i).padStart(4, '0')}`;
  const token = crypto.randomBytes(16).toString('base64url');   // like the peers' tokens
  const sha = (s) => crypto.createHash('sha256').update(s).digest('hex');
  const sub = now - 86400 + i;                 // submitted yesterday, a second apart
  const acc = sub + 1800;                      // accepted half an hour later
  const due = acc + 3 * 86400;
  const history = JSON.stringify([
    { at: vn(sub), status: 'submitted', status_number: 1, actor: 'citizen' },
    { at: vn(acc), status: 'accepted', status_number: 2, actor: 'officer' },
  ]);
  out.push(resp(['HSET', `dvc:d:${code}`,
    'code', code, 'procedure', '1.000001', 'agency', AGENCY, 'status', '2',
    'delivery', 'online', 'submitted_at', vn(sub), 'submitted_ts', String(sub),
    'accepted_at', vn(acc), 'accepted_ts', String(acc), 'due_at', vn(due),
    'due_ts', String(due), 'updated_at', vn(acc), 'token_sha256', sha(token),
    'body_sha256', sha(`dossier body ${i}`), 'history', history]));
  tokens.push(`${code} ${token}\n`);
}
fs.writeFileSync(tokensFile, tokens.join(''));
process.stdout.write(out.join(''));
