// One of the agency's signed forms a lookup returns (docs/forms.md): 02
// supplement request, 03 refusal, 04 apology with a new date, the stop
// notice.  notice.html?code=CODE&n=INDEX#token=TOKEN shows forms[INDEX] of
// the lookup, its JWS checked here with WebCrypto against /dvc/v1/keys (the
// typ the form number calls for, the payload's form and code the lookup's),
// with a QR code of the lookup link; printable on A4 like the receipt.
import { API, t, el, frame, when, pick } from './common.js';
import { verify } from './jws.js';
import { dossierRef, qrFigure } from './ref.js';

export const FORM_TYP = { '02': 'dvc-supplement+jws', '03': 'dvc-refusal+jws', '04': 'dvc-apology+jws', stop: 'dvc-stop+jws' };

const main = document.getElementById('main');
const { code, token, lookupLink } = dossierRef();
const n = Number(new URLSearchParams(location.search).get('n') || 0);
let state = null;
const qr = () => qrFigure(lookupLink);

function row(k, v, id) { return v ? [el('dt', { text: t(k) }), el('dd', { id, text: v })] : null; }

function render() {
  if (!state) { main.replaceChildren(el('p', { text: t('loading') })); return; }
  const { entry, sig } = state;
  const p = sig.payload || {};
  const sigText = sig.valid ? t('sig_ok', { k: sig.kid.slice(0, 12) + '…' }) : t('sig_bad', { m: sig.reason });
  main.replaceChildren(
    el('article', { class: 'form01', id: 'signed-form' },
      el('p', { class: 'form-no', id: 'form-no', text: entry.form === 'stop' ? t('form_stop_no') : t('form_no', { n: entry.form }) }),
      el('h1', { id: 'form-title', text: pick(p.title) }),
      el('dl', { class: 'receipt' },
        row('code', p.code),
        row('procedure', p.procedure && (p.procedure.name + ' (' + p.procedure.code + ')')),
        row('agency', p.agency), row('form_actor', p.actor),
        row('form_at', when(p.at)), row('form_issued_at', when(p.issued_at)),
        row('reason', pick(p.reason), 'form-reason'),
        p.due_at ? row('form_old_due', when(p.due_at)) : null,
        p.new_due_at ? row('appointment_at', when(p.new_due_at), 'form-new-due') : null),
      p.documents && p.documents.length ? [el('h2', { text: t('missing_docs') }),
        el('ol', { class: 'docs', id: 'form-docs' }, p.documents.map(d => el('li', { text: d.name + (d.note ? ' (' + d.note + ')' : '') })))] : null,
      entry.form === '02' ? el('p', { text: t('form02_note') }) : null,
      el('div', { class: 'qr-row' }, qr(),
        el('div', {}, el('p', {}, el('strong', { text: t('code') + ': ' }), el('code', { text: code })),
          el('p', {}, el('a', { href: lookupLink, id: 'lookup-link', text: t('lookup') })))),
      el('p', { id: 'signature', role: 'status', class: sig.valid ? 'ok' : 'error', text: sigText })),
    el('p', { class: 'actions no-print' }, el('button', { type: 'button', id: 'print', onclick: () => window.print(), text: t('print_form') })));
}

async function load() {
  const r = await fetch(API + '/dossiers/' + encodeURIComponent(code), { headers: { 'X-DVC-Lookup-Token': token } });
  const b = await r.json();
  if (r.status !== 200) throw new Error(r.status === 404 ? t('not_found') : pick(b.message) || r.status);
  const entry = (b.forms || [])[n];
  if (!entry || !FORM_TYP[entry.form]) throw new Error(t('form_missing'));
  const sig = await verify(entry.jws, FORM_TYP[entry.form]);
  // the signature covers the payload: it must be this form of this dossier
  if (sig.valid && (!sig.payload || sig.payload.form !== entry.form || sig.payload.code !== code))
    Object.assign(sig, { valid: false, reason: 'not this dossier\u2019s form ' + entry.form });
  state = { entry, sig };
  render();
}

frame(() => state ? pick(state.sig.payload && state.sig.payload.title) || t('forms') : t('forms'), render);
load().catch(e => main.replaceChildren(el('p', { class: 'error', role: 'alert', text: t('load_failed') + ' (' + e.message + ')' })));
