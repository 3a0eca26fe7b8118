// ajv (compiled once, as ../shared/bench/peers/node/micro.mjs sets it up:
// draft 2020-12, allErrors, ajv-formats, the x-dvc vocabulary) on the same
// documents as validate_bench: JSON.parse of the raw bytes + validate per
// document, as a server receiving the body must.
// usage: node ajv.mjs PEER_DIR SCHEMA DOC [SECONDS=1]   -> one RESULT line
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const [peer, schemaPath, docPath, secsArg] = process.argv.slice(2);
const require = createRequire(path.resolve(peer, 'package.json'));
const Ajv2020 = require('ajv/dist/2020.js').default;
const addFormats = require('ajv-formats').default;

const raw = fs.readFileSync(docPath);
const schema = JSON.parse(fs.readFileSync(schemaPath, 'utf8'));
const ajv = new Ajv2020({ allErrors: true });
addFormats(ajv);
ajv.addVocabulary(['x-dvc']);
const validate = ajv.compile(schema);
const secs = Number(secsArg || 1);

const one = () => {
  if (!validate(JSON.parse(raw.toString('utf8')))) {
    console.error('ajv: document not valid', JSON.stringify(validate.errors).slice(0, 500));
    process.exit(1);
  }
};
const batch = raw.length > 100000 ? 1 : 200;
for (let i = 0; i < Math.max(batch, 20) * 5; i++) one();     // JIT warm-up
let n = 0;
const t0 = process.hrtime.bigint(), end = t0 + BigInt(Math.round(secs * 1e9));
let t;
do { for (let i = 0; i < batch; i++) one(); n += batch; } while ((t = process.hrtime.bigint()) < end);
const s = Number(t - t0) / 1e9;
console.log(`RESULT ajv bytes=${raw.length} docs_per_s=${(n / s).toFixed(1)} MB_per_s=${(n * raw.length / s / 1e6).toFixed(2)}`);
