// The official suite's draft2020-12 files through ajv, beside ngx_dvc's
// results from the conformance runner (-j): t/conformance/compare runs it.
//
//   node compare.mjs SUITE DVC_RESULTS.jsonl     markdown on stdout
//
// ajv as the Node peer runs it (../shared/bench/peers/node/server.mjs:
// Ajv2020 with ajv-formats), at the peer's exact versions
// (t/conformance/ajv/package-lock.json), under the suite's rules as our
// runner applies them: format an annotation outside optional/format/
// (validateFormats off), asserted inside it; strict mode off, since the
// suite has unknown keywords and formats on purpose.  http://localhost:1234/
// is SUITE/remotes, loaded on demand (compileAsync, loadSchema); the 2020-12
// meta-schemas are ajv's own.  A group whose schema ajv cannot compile
// fails each of its cases for ajv.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(path.resolve(process.env.AJV_DIR || '.', 'node_modules', 'x.js'));
const Ajv2020 = require('ajv/dist/2020.js').default;
const addFormats = require('ajv-formats').default;
const ajvVersion = require('ajv/package.json').version;
const formatsVersion = require('ajv-formats/package.json').version;

const [suite, dvcResults] = process.argv.slice(2);
const base = path.join(suite, 'tests', 'draft2020-12');
const remotes = path.join(suite, 'remotes');

const dvc = new Map();
for (const line of fs.readFileSync(dvcResults, 'utf8').split('\n')) {
  if (!line) continue;
  const r = JSON.parse(line);
  dvc.set(`${r.file}#${r.group}#${r.test}`, r.pass === 1);
}

const list = (dir) => fs.readdirSync(path.join(base, dir))
  .filter((f) => f.endsWith('.json')).sort()
  .map((f) => (dir ? `${dir}/${f}` : f));
const files = [...list(''), ...list('optional'), ...list('optional/format')];

async function loadSchema(uri) {
  const prefix = 'http://localhost:1234/';
  if (!uri.startsWith(prefix)) throw new Error(`cannot load ${uri}`);
  return JSON.parse(fs.readFileSync(path.join(remotes, uri.slice(prefix.length)), 'utf8'));
}

function newAjv(assertFormats) {
  const ajv = new Ajv2020({ strict: false, logger: false, loadSchema,
                            validateFormats: assertFormats });
  addFormats(ajv);
  return ajv;
}

const rows = [];
const differ = [];
const tot = { cases: 0, dvc: 0, ajv: 0, differ: 0 };
for (const file of files) {
  const groups = JSON.parse(fs.readFileSync(path.join(base, file), 'utf8'));
  const assertFormats = file.startsWith('optional/format/');
  const row = { file, cases: 0, dvc: 0, ajv: 0, differ: 0 };
  for (let g = 0; g < groups.length; g++) {
    const grp = groups[g];
    let validate = null;
    let why = '';
    try {
      validate = await newAjv(assertFormats).compileAsync(grp.schema);
    } catch (e) {
      why = `ajv: ${String(e.message).split('\n')[0]}`;
    }
    for (let t = 0; t < grp.tests.length; t++) {
      const tc = grp.tests[t];
      let ajvPass = false;
      if (validate) {
        try {
          ajvPass = validate(tc.data) === tc.valid;
        } catch (e) {
          why = `ajv: ${String(e.message).split('\n')[0]}`;
        }
      }
      const dvcPass = dvc.get(`${file}#${g}#${t}`);
      if (dvcPass === undefined) throw new Error(`no ngx_dvc result for ${file} ${g} ${t}`);
      row.cases++;
      row.dvc += dvcPass ? 1 : 0;
      row.ajv += ajvPass ? 1 : 0;
      if (dvcPass !== ajvPass) {
        row.differ++;
        differ.push({ file, group: grp.description, test: tc.description,
                      valid: tc.valid, dvcPass, ajvPass, why: ajvPass ? '' : why });
      }
    }
  }
  for (const k of ['cases', 'dvc', 'ajv', 'differ']) tot[k] += row[k];
  rows.push(row);
}

const md = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const out = [];
out.push(`ajv ${ajvVersion} with ajv-formats ${formatsVersion} (the Node peer's), `
         + `${files.length} files, ${tot.cases} cases; a case passes when the `
         + 'verdict is the suite\'s.');
out.push('');
out.push('| file | cases | ngx_dvc passed | ajv passed | differ |');
out.push('| --- | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  out.push(`| \`${r.file}\` | ${r.cases} | ${r.dvc} | ${r.ajv} | ${r.differ} |`);
}
out.push(`| **all** | ${tot.cases} | ${tot.dvc} | ${tot.ajv} | ${tot.differ} |`);
out.push('');
if (differ.length) {
  out.push('Cases where they differ (the suite\'s verdict; who gives it):');
  out.push('');
  out.push('| file | group / case | suite | right |');
  out.push('| --- | --- | --- | --- |');
  for (const d of differ) {
    out.push(`| \`${d.file}\` | ${md(d.group)} / ${md(d.test)} | ${d.valid ? 'valid' : 'invalid'} `
             + `| ${d.dvcPass ? 'ngx_dvc' : 'ajv'}${d.why ? ` (${md(d.why)})` : ''} |`);
  }
}
process.stdout.write(out.join('\n') + '\n');
