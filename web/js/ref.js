// Shared by the printable pages (receipt.html, notice.html): the dossier
// they show (code in the query, token in the fragment or this tab's
// sessionStorage), its lookup link, and a QR code of that link.
import { t, el } from './common.js';

export function dossierRef() {
  const code = new URLSearchParams(location.search).get('code') || '';
  const token = new URLSearchParams(location.hash.slice(1)).get('token') || sessionStorage.getItem('dvc-token-' + code) || '';
  const lookupLink = new URL('lookup.html?code=' + encodeURIComponent(code) + '#token=' + encodeURIComponent(token), location.href).href;
  return { code, token, lookupLink };
}

export function qrFigure(link) {
  /* global qrcode: vendor/qrcode.js (npm qrcode-generator, copied by make web-vendor) */
  const q = qrcode(0, 'M');
  q.addData(link);
  q.make();
  const box = el('div', { class: 'qr', role: 'img', 'aria-label': t('qr_caption') });
  box.innerHTML = q.createSvgTag({ cellSize: 4, margin: 4, scalable: true });
  return el('figure', { class: 'qr-fig' }, box, el('figcaption', { text: t('qr_caption') }));
}
