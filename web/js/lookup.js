// The lookup: code + token (or the receipt's QR link), the status timeline,
// due and appointment times, overdue and apology, and the actions the status
// allows (withdraw 1/2/4/5/6, supplement 5, pay 6, rate 9/10), and the
// agency's signed forms (02, 03, 04, stop), each opened on notice.html.
//
// Paying (status 6): POST .../payment with the token and no body (the amount
// is the back-end's, never the page's), then off to the provider's page the
// gateway answered.  The provider sends the citizen back here (dvc_payment
// return_url=.../lookup.html) with its vnp_* parameters: the dossier's code
// is in vnp_TxnRef (CODE-yyyyMMddHHmmss), the token in this tab's
// sessionStorage.  What counts is the gateway's record (the provider's IPN),
// not what the return URL says: the page shows the lookup, and waits a little
// for the IPN when the provider says "paid" but the lookup does not yet.
import { API, t, pick, el, frame, when, money } from './common.js';
import { verify } from './jws.js';

const main = document.getElementById('main');
const q = new URLSearchParams(location.search);
const back = q.get('vnp_TxnRef') ? { code: q.get('vnp_TxnRef').replace(/-\d{14}$/, ''), rsp: q.get('vnp_ResponseCode') || '' } : null;
let code = back ? back.code : q.get('code') || '';
if (back) history.replaceState(null, '', 'lookup.html?code=' + encodeURIComponent(code));
let token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('dvc-token-' + code) || '';
let dossier = null, error = '', done = '', paySig = null, payNote = '';
const PROVIDERS = { vnpay: 'VNPAY' };
const STATUS = {
  submitted: ['Mới đăng ký', 'Submitted'], accepted: ['Được tiếp nhận', 'Accepted'], refused: ['Không được tiếp nhận', 'Refused'],
  processing: ['Đang xử lý', 'Processing'], supplement_requested: ['Yêu cầu bổ sung giấy tờ', 'Supplement requested'],
  payment_required: ['Yêu cầu thực hiện nghĩa vụ tài chính', 'Payment required'],
  withdrawal_requested: ['Công dân yêu cầu rút hồ sơ', 'Withdrawal requested'], stopped: ['Dừng xử lý', 'Processing stopped'],
  resolved: ['Đã xử lý xong', 'Resolved'], returned: ['Đã trả kết quả', 'Result returned'],
};
const statusName = s => STATUS[s] ? STATUS[s][document.documentElement.lang === 'en' ? 1 : 0] : s;

async function load() {
  error = '';
  if (!code || !token) { dossier = null; render(); return; }
  const r = await fetch(API + '/dossiers/' + encodeURIComponent(code), { headers: { 'X-DVC-Lookup-Token': token } });
  const b = await r.json();
  if (r.status === 200) { dossier = b; sessionStorage.setItem('dvc-token-' + code, token); }
  else { dossier = null; error = r.status === 404 ? t('not_found') : pick(b.message); }
  if (dossier && dossier.payment && dossier.payment.receipt && (!paySig || paySig.jws !== dossier.payment.receipt))
    paySig = { jws: dossier.payment.receipt, ...(await verify(dossier.payment.receipt, 'dvc-payment+jws')) };
  render();
}

// back from the provider: its word, then the gateway's
async function returned() {
  if (!back || !dossier) return;
  if (back.rsp !== '00' && !dossier.payment) { payNote = t('pay_back_failed', { c: back.rsp || '?' }); render(); return; }
  for (let i = 0; i < 10 && dossier && dossier.status_number === 6 && !dossier.payment; i++) {
    payNote = t('pay_back_ok'); render();
    await new Promise(ok => setTimeout(ok, 1000));
    await load();
  }
  payNote = '';
  render();
}

// the amount the back-end asked for, as its request_payment recorded it
function asked(d) {
  const h = (d.history || []).filter(x => x.status_number === 6 || x.status === 'payment_required').pop();
  return h && h.amount ? h.amount : 0;
}

async function pay(button) {
  button.disabled = true;
  button.textContent = t('pay_going');
  const r = await fetch(API + '/dossiers/' + encodeURIComponent(code) + '/payment', {
    method: 'POST', headers: { 'X-DVC-Lookup-Token': token } });
  const b = await r.json().catch(() => ({}));
  if (r.status === 200 && /^https?:\/\//.test(b.payment_url || '')) { location.assign(b.payment_url); return; }
  payNote = r.status === 403 ? t('pay_disabled') : pick(b.message) || t('load_failed');
  await load();
  document.getElementById('pay-note')?.focus();
}

async function act(action, body) {
  const r = await fetch(API + '/dossiers/' + encodeURIComponent(code) + '/' + action, {
    method: 'POST', headers: { 'Content-Type': 'application/json', 'X-DVC-Lookup-Token': token }, body: JSON.stringify(body) });
  const b = await r.json();
  if (r.status === 200 || r.status === 201) done = action === 'rating' ? t('done_rating') : t('done_withdraw');
  else done = pick(b.message);
  await load();
  document.getElementById('done')?.focus();
}

function askForm() {
  return el('form', { class: 'lookup-form', onsubmit: e => {
    e.preventDefault();
    code = document.getElementById('code').value.trim();
    token = document.getElementById('tok').value.trim();
    history.replaceState(null, '', 'lookup.html?code=' + encodeURIComponent(code));
    load();
  } },
  el('div', { class: 'field' }, el('label', { for: 'code', text: t('code') }), el('input', { id: 'code', value: code, autocomplete: 'off' })),
  el('div', { class: 'field' }, el('label', { for: 'tok', text: t('token') }), el('input', { id: 'tok', value: token, autocomplete: 'off' })),
  el('button', { type: 'submit', text: t('lookup_go') }));
}

function actions(d) {
  const n = d.status_number, out = [];
  if (n === 2 || n === 4 || n === 9 || n === 10)
    out.push(el('p', {}, el('a', { href: 'receipt.html?code=' + encodeURIComponent(code) + '#token=' + encodeURIComponent(token), text: t('view_receipt') })));
  if (n === 5) out.push(el('p', {}, el('a', { class: 'button', id: 'supplement', href: 'form.html?p=' + encodeURIComponent(d.procedure) + '&supplement=' + encodeURIComponent(code), text: t('supplement') })));
  if (n === 6) {
    const amount = asked(d);
    out.push(el('section', { id: 'pay', class: 'notice', 'aria-labelledby': 'pay-h' },
      el('h3', { id: 'pay-h', text: t('pay_title') }),
      amount ? el('p', { id: 'pay-amount', text: t('pay_amount', { a: money(amount) }) }) : null,
      amount ? el('button', { type: 'button', id: 'pay-go', onclick: e => pay(e.currentTarget), text: t('pay_go', { p: 'VNPAY' }) })
             : el('p', { text: t('pay_desk') })));
  }
  if ([1, 2, 4, 5, 6].includes(n)) out.push(el('form', { id: 'withdraw', onsubmit: e => { e.preventDefault(); const r = document.getElementById('wreason').value.trim(); act('withdrawal', r ? { reason: r } : {}); } },
    el('h3', { text: t('withdraw') }),
    el('div', { class: 'field' }, el('label', { for: 'wreason', text: t('reason') }), el('textarea', { id: 'wreason', rows: 2 })),
    el('button', { type: 'submit', class: 'secondary', text: t('withdraw') })));
  if ((n === 9 || n === 10) && !d.rating) out.push(el('form', { id: 'rate', onsubmit: e => {
    e.preventDefault();
    const v = document.querySelector('input[name=rating]:checked');
    const c = document.getElementById('comment').value.trim();
    if (v) act('rating', c ? { rating: v.value, comment: c } : { rating: v.value });
  } },
  el('fieldset', {}, el('legend', { text: t('rating') }),
    ['very_satisfied', 'satisfied', 'dissatisfied'].map(v => el('div', { class: 'radio' },
      el('input', { type: 'radio', name: 'rating', id: 'r-' + v, value: v }), el('label', { for: 'r-' + v, text: t(v) })))),
  el('div', { class: 'field' }, el('label', { for: 'comment', text: t('comment') }), el('textarea', { id: 'comment', rows: 2 })),
  el('button', { type: 'submit', text: t('send') })));
  return out.length ? out : [el('p', { text: t('no_actions') })];
}

// the agency's signed forms (02, 03, 04, stop), oldest first, each opened
// on its own printable page (notice.html) that checks its signature
function signedForms(d) {
  const forms = (d.forms || []).map((f, i) => ({ ...f, i })).filter(f => ['02', '03', '04', 'stop'].includes(f.form));
  if (!forms.length) return null;
  return el('section', { id: 'forms', 'aria-labelledby': 'forms-h' },
    el('h2', { id: 'forms-h', text: t('forms') }),
    el('ul', {}, forms.map(f => el('li', {},
      el('a', { href: 'notice.html?code=' + encodeURIComponent(code) + '&n=' + f.i + '#token=' + encodeURIComponent(token),
                id: 'form-' + f.i, text: (f.form === 'stop' ? '' : t('form_no', { n: f.form }).replace(/ \(.*\)$/, '') + ': ') + t('form_title_' + f.form) }),
      ' (' + when(f.at) + ') — ' + t('form_view')))));
}

function view(d) {
  const due = d.appointment_at || d.due_at;
  return el('section', { 'aria-labelledby': 'st' },
    el('h2', { id: 'st' }, t('status') + ': ', el('span', { id: 'status-name', text: pick(d.status_name) })),
    el('dl', { class: 'receipt' },
      el('dt', { text: t('code') }), el('dd', { text: d.code }),
      el('dt', { text: t('procedure') }), el('dd', { text: d.procedure }),
      el('dt', { text: t('submitted_at') }), el('dd', { text: when(d.submitted_at) }),
      el('dt', { text: t('due_at') }), el('dd', { id: 'due', text: when(d.due_at) }),
      d.appointment_at ? [el('dt', { text: t('appointment_at') }), el('dd', { text: when(d.appointment_at) })] : null),
    due ? el('p', { class: d.overdue ? 'error' : 'ok', id: 'overdue', text: d.overdue ? t('overdue') : t('on_time') }) : null,
    d.apology ? el('div', { class: 'notice' }, el('h3', { text: t('apology') }), el('p', { text: pick(d.apology.reason) })) : null,
    d.payment ? el('div', { id: 'paid', class: 'notice' }, el('h3', { text: t('paid') }),
      el('p', { text: t('paid_line', { a: money(d.payment.amount), p: PROVIDERS[d.payment.provider] || d.payment.provider,
        n: d.payment.transaction_no, t: when(d.payment.paid_at) }) }),
      paySig ? el('p', { id: 'paid-sig', class: paySig.valid ? 'ok' : 'error',
        text: paySig.valid ? t('paid_sig_ok', { k: paySig.kid.slice(0, 12) + '…' }) : t('paid_sig_bad', { m: paySig.reason }) }) : null) : null,
    el('h2', { text: t('timeline') }),
    el('ol', { class: 'timeline', id: 'timeline' }, (d.history || []).map(h => el('li', {},
      el('time', { datetime: h.at, text: when(h.at) }), ' ',
      el('strong', { text: statusName(h.status) }),
      h.reason ? el('p', { text: pick(h.reason) }) : null,
      h.amount ? el('p', { text: h.type === 'payment' ? t('paid') + ': ' + money(h.amount) : t('pay_amount', { a: money(h.amount) }) }) : null,
      h.documents ? el('ul', {}, h.documents.map(x => el('li', { text: x.name + (x.note ? ': ' + x.note : '') }))) : null))),
    signedForms(d),
    el('h2', { text: t('actions') }), ...actions(d));
}

function render() {
  main.replaceChildren(...[el('h1', { text: t('lookup') }), askForm(),
    done ? el('p', { id: 'done', role: 'status', tabindex: '-1', class: 'ok', text: done }) : null,
    payNote ? el('p', { id: 'pay-note', role: 'status', tabindex: '-1', class: 'notice', text: payNote }) : null,
    error ? el('p', { role: 'alert', class: 'error', text: error }) : null,
    dossier ? view(dossier) : null].filter(Boolean));
}

frame(() => t('lookup'), render);
load().then(returned).catch(e => { error = t('load_failed') + ' (' + e.message + ')'; render(); });
