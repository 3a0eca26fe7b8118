// The lookup: code + token (or the receipt's QR link), the status timeline,
// due and appointment times, overdue and apology, and the actions the status
// allows (withdraw 1/2/4/5/6, supplement 5, pay 6, rate 9/10).
import { API, t, pick, el, frame, when } from './common.js';

const main = document.getElementById('main');
const q = new URLSearchParams(location.search);
let code = q.get('code') || '';
let token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('dvc-token-' + code) || '';
let dossier = null, error = '', done = '';
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
  render();
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
  if (n === 6) out.push(el('p', { class: 'notice', id: 'pay', text: t('pay') + ': ' + t('pay_missing') }));
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
    el('h2', { text: t('timeline') }),
    el('ol', { class: 'timeline', id: 'timeline' }, (d.history || []).map(h => el('li', {},
      el('time', { datetime: h.at, text: when(h.at) }), ' ',
      el('strong', { text: statusName(h.status) }),
      h.reason ? el('p', { text: pick(h.reason) }) : null,
      h.documents ? el('ul', {}, h.documents.map(x => el('li', { text: x.name + (x.note ? ': ' + x.note : '') }))) : null))),
    el('h2', { text: t('actions') }), ...actions(d));
}

function render() {
  main.replaceChildren(...[el('h1', { text: t('lookup') }), askForm(),
    done ? el('p', { id: 'done', role: 'status', tabindex: '-1', class: 'ok', text: done }) : null,
    error ? el('p', { role: 'alert', class: 'error', text: error }) : null,
    dossier ? view(dossier) : null].filter(Boolean));
}

frame(() => t('lookup'), render);
load().catch(e => { error = t('load_failed') + ' (' + e.message + ')'; render(); });
