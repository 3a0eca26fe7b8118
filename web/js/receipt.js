// The receipt (form 01 of Circular 01/2018/TT-VPCP): from the signed receipt
// the gateway issues once the dossier is accepted, its JWS checked here with
// WebCrypto; a QR code of the lookup link; printable on A4.
import { API, t, el, frame, when, duration, money, pick } from './common.js';
import { verify } from './jws.js';
import { VALUES } from './labels.js';
import { dossierRef, qrFigure } from './ref.js';

const valueLabel = v => (VALUES[v] ? VALUES[v][document.documentElement.lang === 'en' ? 1 : 0] : String(v ?? ''));

const main = document.getElementById('main');
const { code, token, lookupLink } = dossierRef();
let state = null;
const qr = () => qrFigure(lookupLink);

function row(k, v) { return [el('dt', { text: t(k) }), el('dd', { text: v })]; }

function render() {
  if (!state) { main.replaceChildren(el('p', { text: t('loading') })); return; }
  const sig = el('p', { id: 'signature', role: 'status', class: state.sig.valid ? 'ok' : 'error',
    text: state.sig.valid ? t('sig_ok', { k: state.sig.kid.slice(0, 12) + '…' }) : t('sig_bad', { m: state.sig.reason }) });
  const p = state.sig.payload || {};
  const answer = state.answer || {};
  const body = [];
  if (state.receipt) {
    body.push(el('dl', { class: 'receipt' },
      row('code', p.code), row('procedure', (p.procedure && p.procedure.name) + ' (' + (p.procedure && p.procedure.code) + ')'),
      row('agency', p.agency), row('applicant_name', p.applicant && p.applicant.name),
      row('phone', p.applicant && p.applicant.phone), p.applicant && p.applicant.email ? row('email', p.applicant.email) : null,
      row('time', duration(p.processing)), row('fee', money(p.fee)),
      row('accepted_at', when(p.accepted_at)), row('due_at', when(p.due_at)), row('delivery', valueLabel(p.delivery))),
      el('h2', { text: t('docs_received') }),
      el('ol', { class: 'docs' }, (p.documents || []).map(d => el('li', { text: d.name || d.kind }))));
  } else {
    body.push(el('p', { class: 'notice', text: t('not_accepted') }),
      el('dl', { class: 'receipt' }, row('code', p.code || code), row('procedure', p.procedure), row('submitted_at', when(p.submitted_at))));
  }
  main.replaceChildren(
    el('article', { class: 'form01' },
      el('p', { class: 'form-no', text: t('form01') }),
      el('h1', { text: state.receipt ? t('receipt_title') : t('submitted_at') + ': ' + (p.code || code) }),
      ...body,
      el('div', { class: 'qr-row' }, qr(),
        el('div', {}, el('p', {}, el('strong', { text: t('token') + ': ' }), el('code', { id: 'token', text: token })),
          el('p', { class: 'hint', text: t('token_keep') }),
          el('p', {}, el('a', { href: lookupLink, id: 'lookup-link', text: t('lookup') })))),
      sig),
    el('p', { class: 'actions no-print' }, el('button', { type: 'button', id: 'print', onclick: () => window.print(), text: t('print') })));
}

async function load() {
  const r = await fetch(API + '/dossiers/' + encodeURIComponent(code) + '/receipt', { headers: { 'X-DVC-Lookup-Token': token } });
  const b = await r.json();
  let jws, typ, receipt = false;
  const answer = JSON.parse(sessionStorage.getItem('dvc-answer-' + code) || 'null');
  if (r.status === 200) { jws = b.receipt; typ = 'dvc-receipt+jws'; receipt = true; }
  else if (r.status === 409 && answer) { jws = answer.acknowledgement; typ = 'dvc-ack+jws'; }
  else throw new Error(pick(b.message) || r.status);
  state = { receipt, answer, sig: await verify(jws, typ) };
  render();
}

frame(() => t('receipt_title'), render);
load().catch(e => main.replaceChildren(el('p', { class: 'error', role: 'alert', text: t('load_failed') + ' (' + e.message + ')' })));
