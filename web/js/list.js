// The procedure list: search that ignores Vietnamese diacritics.
import { t, pick, el, frame, fold, money, duration, getJSON } from './common.js';

const main = document.getElementById('main');
let procedures = null, query = new URLSearchParams(location.search).get('q') || '';

function card(p) {
  return el('li', { class: 'card' },
    el('h2', {}, el('a', { href: 'form.html?p=' + encodeURIComponent(p.code), text: p.name })),
    el('dl', {},
      el('dt', { text: t('procedure') }), el('dd', { text: p.code }),
      el('dt', { text: t('level') }), el('dd', { text: `${p.level} · ${pick(p.level_name)}` }),
      el('dt', { text: t('agency') }), el('dd', { text: p.agency }),
      el('dt', { text: t('fee') }), el('dd', { text: money(p.fee) }),
      el('dt', { text: t('time') }), el('dd', { text: duration(p.processing) })),
    el('a', { class: 'button', href: 'form.html?p=' + encodeURIComponent(p.code), 'aria-label': t('apply') + ': ' + p.name, text: t('apply') }));
}

function results() {
  const q = fold(query);
  const words = q.split(' ').filter(Boolean);
  const hits = procedures.filter(p => {
    const hay = fold(p.name + ' ' + p.code + ' ' + p.agency);
    return words.every(w => hay.includes(w));
  });
  document.getElementById('count').textContent = t('found', { n: hits.length });
  document.getElementById('results').replaceChildren(...hits.map(card));
}

function render() {
  if (!procedures) { main.replaceChildren(el('p', { text: t('loading') })); return; }
  const input = el('input', { id: 'q', type: 'search', value: query, 'aria-describedby': 'q-hint', autocomplete: 'off',
    oninput: e => { query = e.target.value; results(); } });
  main.replaceChildren(
    el('h1', { text: t('nav_list') }),
    el('form', { role: 'search', onsubmit: e => e.preventDefault() },
      el('label', { for: 'q', text: t('search') }), el('p', { class: 'hint', id: 'q-hint', text: t('search_hint') }), input),
    el('p', { id: 'count', role: 'status' }),
    el('ul', { id: 'results', class: 'cards' }));
  results();
}

frame(() => t('nav_list'), render);
getJSON('/procedures').then(r => {
  if (r.status !== 200) throw new Error(r.status);
  procedures = r.body.procedures;
  render();
}).catch(e => main.replaceChildren(el('p', { class: 'error', role: 'alert', text: t('load_failed') + ' (' + e.message + ')' })));
