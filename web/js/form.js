// The dossier form, generated from the procedure's JSON Schema and x-dvc:
// checked as the user types (schema.js), then by the gateway (?dry_run=1),
// whose violations are shown at the fields their JSON Pointer names.
import { API, t, pick, el, frame, lang, bytes, money, duration } from './common.js';
import { Schemas } from './schema.js';
import { FIELDS, VALUES } from './labels.js';

const params = new URLSearchParams(location.search);
const code = params.get('p') || '';
const supplementOf = params.get('supplement');   // a dossier code: send a supplement
const main = document.getElementById('main');
const DEFAULT_TYPES = ['application/pdf', 'image/jpeg', 'image/png'];
const TYPE_NAMES = { 'application/pdf': 'PDF', 'image/jpeg': 'JPEG', 'image/png': 'PNG' };
const SKIP = new Set(['procedure', 'documents', 'channel']);

let schemas, root, base, xdvc, touched = new Set(), uploads = {}, serverErrors = [];

const label = (name, s) => (s && s.title) || (FIELDS[name] ? FIELDS[name][lang() === 'en' ? 1 : 0] : name.replace(/_/g, ' '));
const valueLabel = v => (VALUES[v] ? VALUES[v][lang() === 'en' ? 1 : 0] : String(v));
const idOf = ptr => 'f' + ptr.replace(/\//g, '.');

async function fetchDoc(uri) {
  // shared definitions: common/*.json beside the procedures, served by the site
  const rel = new URL(uri).pathname.replace(/^.*\/procedures\//, '');
  const r = await fetch('schemas/' + rel);
  if (!r.ok) throw new Error(uri + ': ' + r.status);
  return r.json();
}

async function load() {
  const r = await fetch(API + '/procedures/' + encodeURIComponent(code));
  if (!r.ok) throw new Error('procedure ' + r.status);
  root = await r.json();
  base = root.$id || location.href;
  schemas = new Schemas(fetchDoc);
  await schemas.load(base, root);
  xdvc = root['x-dvc'];
}

// ------------------------------------------------------------ building
function field(name, ptr, sch, required) {
  const { schema: s } = schemas.deref(sch.schema, sch.base);
  const id = idOf(ptr);
  const hint = s.description || '';
  const lab = el('label', { for: id }, label(name, s), required ? el('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null);
  let input;
  const opts = s.enum || (s.const !== undefined ? [s.const] : null);
  if (opts) {
    input = el('select', { id, name: ptr }, el('option', { value: '', text: t('choose') }),
      opts.map(v => el('option', { value: JSON.stringify(v), text: valueLabel(v) })));
  } else if (s.type === 'boolean') {
    input = el('input', { id, name: ptr, type: 'checkbox' });
  } else {
    const ty = s.format === 'date' ? 'date' : s.format === 'email' ? 'email'
      : s.format === 'vn-phone' ? 'tel' : (s.type === 'integer' || s.type === 'number') ? 'number' : 'text';
    input = el('input', { id, name: ptr, type: ty,
      inputmode: s.format === 'vn-citizen-id' ? 'numeric' : null,
      autocomplete: name === 'full_name' && ptr.startsWith('/applicant') ? 'name' : name === 'phone' ? 'tel' : name === 'email' ? 'email' : 'off',
      step: s.type === 'number' ? 'any' : null });
  }
  input.setAttribute('aria-describedby', 'e' + id + (hint ? ' h' + id : ''));
  if (required) input.setAttribute('aria-required', 'true');
  input.dataset.ptr = ptr;
  input.dataset.kind = s.type === 'integer' || s.type === 'number' ? 'number' : s.type === 'boolean' ? 'bool' : opts ? 'enum' : 'string';
  input.addEventListener('input', () => { touched.add(ptr); check(); });
  input.addEventListener('blur', () => { touched.add(ptr); check(); });
  return el('div', { class: 'field', 'data-ptr': ptr },
    lab, hint ? el('p', { class: 'hint', id: 'h' + id, text: hint }) : null, input,
    el('p', { class: 'err', id: 'e' + id }));
}

function group(name, ptr, sch, required, depth) {
  const { schema: s, base: b } = schemas.deref(sch.schema, sch.base);
  if (s.type === 'object' || s.properties) {
    const fs = el('fieldset', { 'data-ptr': ptr, id: idOf(ptr) },
      el('legend', {}, label(name, s), required ? el('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
      el('p', { class: 'err', id: 'e' + idOf(ptr) }));
    for (const [k, ps] of Object.entries(s.properties || {})) {
      if (depth === 0 && SKIP.has(k)) continue;
      fs.append(group(k, ptr + '/' + k, { schema: ps, base: b }, (s.required || []).includes(k), depth + 1));
    }
    return fs;
  }
  if (s.type === 'array') {
    const it = schemas.deref(s.items, b);
    const list = el('div', { class: 'items' });
    const fs = el('fieldset', { 'data-ptr': ptr, id: idOf(ptr), 'data-array': '1' },
      el('legend', {}, label(name, s), required ? el('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
      el('p', { class: 'err', id: 'e' + idOf(ptr) }), list);
    const add = () => {
      const i = list.children.length;
      const item = group(name, ptr + '/' + i, { schema: it.schema, base: it.base }, true, depth + 1);
      item.classList.add('item');
      list.append(item);
    };
    fs.append(el('button', { type: 'button', class: 'secondary', onclick: () => { add(); check(); }, text: t('add_item') + ': ' + label(name, s) }));
    for (let i = 0; i < Math.max(1, s.minItems || 0); i++) add();
    return fs;
  }
  return field(name, ptr, sch, required);
}

// the value the form holds, by its schema: empty fields left out so that
// "required" names them; optional objects left out when wholly empty
function collect(ptr, sch, required) {
  const { schema: s, base: b } = schemas.deref(sch.schema, sch.base);
  if (s.type === 'object' || s.properties) {
    const o = {};
    for (const [k, ps] of Object.entries(s.properties || {})) {
      if (ptr === '' && SKIP.has(k)) continue;
      const v = collect(ptr + '/' + k, { schema: ps, base: b }, (s.required || []).includes(k));
      if (v !== undefined) o[k] = v;
    }
    return hasLeaf(o) || required ? o : undefined;
  }
  if (s.type === 'array') {
    const fs = document.getElementById(idOf(ptr));
    const n = fs ? fs.querySelector('.items').children.length : 0;
    const it = schemas.deref(s.items, b);
    const a = [];
    for (let i = 0; i < n; i++) {
      const v = collect(ptr + '/' + i, it, false);
      if (v !== undefined) a.push(v);
    }
    return hasLeaf(a) || required ? a : undefined;
  }
  const input = document.getElementById(idOf(ptr));
  if (!input) return undefined;
  if (input.dataset.kind === 'bool') return input.checked ? true : undefined;
  const raw = input.value.trim();
  if (raw === '') return undefined;
  if (input.dataset.kind === 'enum') return JSON.parse(raw);
  if (input.dataset.kind === 'number') return Number(raw);
  return raw;
}

function hasLeaf(v) {
  return v && typeof v === 'object' ? Object.values(v).some(hasLeaf) : v !== undefined;
}

function dossier() {
  const d = collect('', { schema: root, base }, true);
  d.procedure = code;
  d.documents = Object.values(uploads);
  return d;
}

// ------------------------------------------------------------ errors
function target(path) {
  // the field the pointer names, or the nearest group holding it
  let p = path;
  while (true) {
    const e = document.querySelector(`[data-ptr="${CSS.escape(p)}"]`);
    if (e) return e;
    if (p === '') return null;
    p = p.slice(0, p.lastIndexOf('/'));
  }
}

function show(violations, all) {
  for (const e of main.querySelectorAll('.err')) e.textContent = '';
  for (const e of main.querySelectorAll('[aria-invalid]')) e.removeAttribute('aria-invalid');
  const shown = [];
  for (const v of violations) {
    if (!all && ![...touched].some(tp => v.path === tp || v.path.startsWith(tp + '/'))) continue;
    const w = target(v.path) || document.getElementById('summary');
    const err = w.querySelector(':scope > .err') || w.querySelector('.err');
    if (!err) continue;
    err.textContent = (err.textContent ? err.textContent + ' ' : '') + pick(v.message);
    const input = w.querySelector('input, select, textarea');
    if (input && w.classList.contains('field')) input.setAttribute('aria-invalid', 'true');
    shown.push({ v, w });
  }
  return shown;
}

function summary(shown) {
  const box = document.getElementById('summary');
  box.replaceChildren();
  if (!shown.length) { box.hidden = true; return; }
  box.hidden = false;
  box.append(el('h2', { text: t('errors_title', { n: shown.length }) }),
    el('ul', {}, shown.map(({ v, w }) => {
      const f = w.querySelector('input, select, textarea') || w;
      const name = w.querySelector('label, legend');
      return el('li', {}, el('a', { href: '#' + f.id, onclick: ev => { ev.preventDefault(); f.focus(); } },
        (name ? name.textContent.replace(' *', '') + ': ' : '') + pick(v.message)));
    })));
  box.focus();
}

function check() {
  const v = schemas.validate(dossier(), root, base);
  show(v.concat(serverErrors.filter(s => !touched.has(s.path))), false);
  return v;
}

// ------------------------------------------------------------ documents
function documentsStep() {
  const fs = el('fieldset', { 'data-ptr': '/documents', id: idOf('/documents') },
    el('legend', { text: t('documents') }), el('p', { class: 'err', id: 'e' + idOf('/documents') }));
  for (const d of xdvc.documents || []) {
    const types = d.types || DEFAULT_TYPES;
    const max = d.max_size || 10485760;
    const id = 'doc-' + d.kind;
    const bar = el('progress', { max: 100, value: 0, hidden: true, 'aria-label': d.name });
    const status = el('p', { class: 'err', id: 'e' + id, 'aria-live': 'polite' });
    const input = el('input', { type: 'file', id, accept: types.join(','), 'aria-describedby': 'h' + id + ' e' + id });
    input.addEventListener('change', () => upload(d, input, bar, status, types, max));
    fs.append(el('div', { class: 'field', 'data-ptr': '/documents/' + d.kind },
      el('label', { for: id }, d.name, d.required ? el('span', { class: 'req', 'aria-hidden': 'true', text: ' *' }) : null),
      el('p', { class: 'hint', id: 'h' + id, text: t('upload_types', { t: types.map(x => TYPE_NAMES[x] || x).join(', '), s: bytes(max) }) }),
      input, bar, status));
  }
  return fs;
}

function upload(d, input, bar, status, types, max) {
  const f = input.files[0];
  delete uploads[d.kind];
  status.className = 'err';
  status.textContent = '';
  if (!f) return;
  if (!types.includes(f.type)) { status.textContent = t('upload_bad_type', { t: types.map(x => TYPE_NAMES[x] || x).join(', ') }); return; }
  if (f.size > max) { status.textContent = t('upload_too_big', { s: bytes(max) }); return; }
  const x = new XMLHttpRequest();
  x.open('POST', API + '/uploads');
  x.setRequestHeader('Content-Type', f.type);
  x.setRequestHeader('X-DVC-Procedure', code);
  x.setRequestHeader('X-DVC-Document-Kind', d.kind);
  bar.hidden = false; bar.value = 0;
  x.upload.onprogress = e => { if (e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total); };
  x.onload = () => {
    let b = null;
    try { b = JSON.parse(x.responseText); } catch (_) { /* not JSON */ }
    if (x.status === 201 && b) {
      bar.value = 100;
      uploads[d.kind] = { kind: d.kind, file_name: f.name, media_type: b.type, size: b.size, sha256: b.sha256 };
      status.className = 'ok';
      status.textContent = t('upload_done') + ': ' + f.name + ' (' + bytes(b.size) + ')';
    } else {
      status.textContent = t('upload_failed', { m: b ? pick(b.message) : x.status });
    }
    check();
  };
  x.onerror = () => { status.textContent = t('upload_failed', { m: '—' }); };
  x.send(f);
}

// ------------------------------------------------------------ submission
async function submit(ev) {
  ev.preventDefault();
  const btn = document.getElementById('submit');
  const status = document.getElementById('status');
  serverErrors = [];
  const d = dossier();
  const local = schemas.validate(d, root, base);
  if (local.length) { summary(show(local, true)); return; }
  btn.disabled = true;
  status.textContent = t('submitting');
  const body = JSON.stringify(d);
  try {
    // the gateway's exact verdict first: nothing is recorded by it
    let r = await fetch(API + '/dossiers?dry_run=1', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    let b = await r.json();
    if (r.status === 422 && b.violations) {
      serverErrors = b.violations;
      status.textContent = '';
      summary(show(b.violations, true));
      return;
    }
    if (r.status !== 200) throw new Error(pick(b.message) || r.status);
    status.textContent = t('checked_ok');
    if (supplementOf) {
      const token = sessionStorage.getItem('dvc-token-' + supplementOf) || '';
      r = await fetch(API + '/dossiers/' + encodeURIComponent(supplementOf) + '/supplement',
        { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-DVC-Lookup-Token': token }, body });
      b = await r.json();
      if (r.status !== 200) throw new Error(pick(b.message) || r.status);
      location.href = 'lookup.html?code=' + encodeURIComponent(supplementOf) + '#token=' + encodeURIComponent(token);
      return;
    }
    // one key per dossier the user means to submit: a retry is safe
    const key = sessionStorage.getItem('dvc-idem-' + code + body.length) || crypto.randomUUID();
    sessionStorage.setItem('dvc-idem-' + code + body.length, key);
    r = await fetch(API + '/dossiers', { method: 'POST', headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key }, body });
    b = await r.json();
    if (r.status === 422 && b.violations) { serverErrors = b.violations; summary(show(b.violations, true)); status.textContent = ''; return; }
    if (r.status !== 201) throw new Error(pick(b.message) || r.status);
    sessionStorage.setItem('dvc-answer-' + b.code, JSON.stringify(b));
    sessionStorage.setItem('dvc-token-' + b.code, b.lookup_token);
    location.href = 'receipt.html?code=' + encodeURIComponent(b.code) + '#token=' + encodeURIComponent(b.lookup_token);
  } catch (e) {
    status.textContent = t('load_failed') + ' (' + e.message + ')';
  } finally {
    btn.disabled = false;
  }
}

function render() {
  if (!root) { main.replaceChildren(el('p', { text: t('loading') })); return; }
  const keep = main.querySelector('form') ? dossier() : null;
  const form = el('form', { novalidate: true, onsubmit: submit },
    el('div', { id: 'summary', class: 'summary', tabindex: '-1', role: 'alert', hidden: true }),
    el('p', { class: 'hint', text: t('required_legend') }),
    group('', '', { schema: root, base }, true, 0), documentsStep(),
    el('p', { class: 'actions' }, el('button', { type: 'submit', id: 'submit', text: t('submit') })),
    el('p', { id: 'status', role: 'status' }));
  // the root fieldset has no name of its own
  const first = form.querySelector('fieldset > legend');
  if (first) first.textContent = t('form');
  main.replaceChildren(
    el('h1', { text: (supplementOf ? t('supplement') + ': ' : '') + xdvc.name }),
    el('p', { class: 'meta', text: `${t('procedure')} ${xdvc.code} · ${t('time')}: ${duration(xdvc.processing)} · ${t('fee')}: ${money(xdvc.fee)}` }),
    form);
  if (keep) refill('', keep);
  check();
}

function refill(ptr, v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) { for (const k in v) refill(ptr + '/' + k, v[k]); return; }
  if (Array.isArray(v)) { v.forEach((x, i) => refill(ptr + '/' + i, x)); return; }
  const input = document.getElementById(idOf(ptr));
  if (!input) return;
  if (input.dataset.kind === 'bool') input.checked = !!v;
  else input.value = input.dataset.kind === 'enum' ? JSON.stringify(v) : String(v);
}

frame(() => xdvc ? xdvc.name : t('apply'), render);
load().then(() => frame(() => xdvc.name, render)).catch(e => {
  main.replaceChildren(el('p', { class: 'error', role: 'alert', text: t('load_failed') + ' (' + e.message + ')' }));
});
