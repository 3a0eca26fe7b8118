// The citizen's path through web/ in Debian's chromium (playwright-core, no
// browser download), against the nginx + Redis + module that t/120-portal.t
// started.  Prints TAP lines ("ok N - what"); the .t file counts them.
// Every step saves a screenshot in OUT; axe-core runs on every page.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const BASE = process.env.PORTAL_BASE;          // http://127.0.0.1:PORT/
const OUT = process.env.PORTAL_OUT;            // the test's output folder
const SHOTS = process.env.DVC_SHOTS_DIR || ''; // docs/screenshots for `make web-screenshots`
const EXAMPLE = JSON.parse(readFileSync(process.env.PORTAL_EXAMPLE, 'utf8'));
const AXE = require.resolve('axe-core/axe.min.js');
mkdirSync(OUT, { recursive: true });

let n = 0, failed = 0, step = 0;
const consoleErrors = [];
function ok(cond, what, detail) {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
  if (!cond && detail) console.log('# ' + String(detail).replace(/\n/g, '\n# '));
}
async function shot(page, name) {
  step++;
  const file = `${OUT}/${String(step).padStart(2, '0')}-${name}.png`;
  await page.screenshot({ path: file, fullPage: true });
}
async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  ok(bad.length === 0, `axe-core: no serious or critical violation on ${what}`,
     bad.map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(x => x.target.join(' ')).join(', ')})`).join('\n'));
}
const id = ptr => '[id="f' + ptr.replace(/\//g, '.') + '"]';
const errOf = ptr => '[id="ef' + ptr.replace(/\//g, '.') + '"]';

async function fill(page, ptr, v) {
  if (v && typeof v === 'object' && !Array.isArray(v)) { for (const k in v) await fill(page, ptr + '/' + k, v[k]); return; }
  const loc = page.locator(id(ptr));
  if (await loc.count() === 0) return;
  const tag = await loc.evaluate(e => e.tagName);
  if (!['INPUT', 'SELECT', 'TEXTAREA'].includes(tag)) return;
  if (tag === 'SELECT') await loc.selectOption(JSON.stringify(v));
  else await loc.fill(String(v));
}

const browser = await chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu'] });
try {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
  const page = await ctx.newPage();

  page.on('pageerror', e => consoleErrors.push(e.message));
  page.on('console', m => { if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) consoleErrors.push('console: ' + m.text() + ' ' + JSON.stringify(m.location())); });
  globalThis.portalPage = page;
  page.on('request', r => { if (!r.url().startsWith(BASE)) consoleErrors.push('request to another host: ' + r.url()); });

  // 1. the list, searched without diacritics
  await page.goto(BASE + 'index.html');
  await page.waitForSelector('.card', { timeout: 10000 });
  await page.fill('#q', 'dang ky khai sinh');
  const cards = await page.locator('.card h2').allTextContents();
  ok(cards.length === 1 && cards[0] === 'Đăng ký khai sinh', '"dang ky khai sinh" finds "Đăng ký khai sinh" alone', cards.join(' | '));
  await page.fill('#q', 'dang ky ho kinh doanh');
  const cards2 = await page.locator('.card h2').allTextContents();
  ok(cards2.length === 1 && cards2[0] === 'Đăng ký thành lập hộ kinh doanh', '"dang ky ho kinh doanh" finds "Đăng ký thành lập hộ kinh doanh"', cards2.join(' | '));
  const dl = await page.locator('.card dl').first().textContent();
  ok(/Mức độ4/.test(dl) && /100\.000 ₫/.test(dl) && /3 ngày làm việc/.test(dl) && /000\.20\.31\.H29/.test(dl), 'level, agency, fee and processing time shown', dl);
  await shot(page, 'list-search');
  await axe(page, 'the procedure list');
  await page.fill('#q', 'khai sinh');

  // keyboard only: Tab to the first "Apply" link and Enter
  await page.focus('#q');
  for (let i = 0; i < 8; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement.classList.contains('button'))) break;
  }
  await Promise.all([page.waitForURL(/form\.html\?p=1\.001193/), page.keyboard.press('Enter')]);
  ok(true, 'the form is reached with the keyboard alone');
  await page.waitForSelector('form fieldset');
  ok(await page.locator('h1').textContent() === 'Đăng ký khai sinh', 'the form is titled with the procedure');
  ok(await page.locator('label[for="f.applicant.citizen_id"]').count() === 1, 'every field has its label (citizen id)');
  await shot(page, 'form-empty');
  await axe(page, 'the form');

  // 2. mistakes, seen as the user types
  await fill(page, '', EXAMPLE);
  await page.fill(id('/applicant/citizen_id'), '12345');
  await page.fill(id('/applicant/full_name'), 'Nguyen 3');
  await page.locator(id('/applicant/full_name')).blur();
  const e1 = await page.locator(errOf('/applicant/citizen_id')).textContent();
  ok(/12 chữ số/.test(e1), 'a wrong citizen id is refused at its field as typed, with the schema\'s message', e1);
  const e2 = await page.locator(errOf('/applicant/full_name')).textContent();
  ok(/bằng chữ/.test(e2), 'a name with a digit is refused at its field', e2);
  ok(await page.locator(id('/applicant/citizen_id')).getAttribute('aria-invalid') === 'true', 'the wrong field is marked aria-invalid');
  await shot(page, 'form-typing-errors');

  // an English reader sees the same in English
  await page.click('#lang');
  await page.fill(id('/applicant/citizen_id'), '1234');
  const e3 = await page.locator(errOf('/applicant/citizen_id')).textContent();
  ok(/exactly 12 digits/.test(e3), 'the English switch: messages in English', e3);
  await page.click('#lang');

  // 3. documents: checked before sending, uploaded with a progress bar
  const pdf = `${OUT}/giay-chung-sinh.pdf`;
  writeFileSync(pdf, '%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n' + 'x'.repeat(20000));
  const txt = `${OUT}/note.txt`;
  writeFileSync(txt, 'not a scan');
  await page.setInputFiles('#doc-birth_commitment', txt);
  const e5 = await page.locator('#edoc-birth_commitment').textContent();
  ok(/Tệp phải là PDF, JPEG, PNG/.test(e5), 'a file of another type is refused before sending', e5);
  const up = page.waitForResponse(r => r.url().endsWith('/uploads'));
  await page.setInputFiles('#doc-birth_medical_certificate', pdf);
  const ur = await up;
  ok(ur.status() === 201, 'the document is uploaded: 201', ur.status());
  await page.waitForSelector('#edoc-birth_medical_certificate.ok');
  ok(await page.locator('#doc-birth_medical_certificate ~ progress').evaluate(e => e.value) === 100, 'its progress bar is full');
  await shot(page, 'form-uploaded');

  // the gateway's verdict: a fixed-line number with no such area code is
  // one only the gateway knows; its message lands at the phone field
  await page.fill(id('/applicant/citizen_id'), EXAMPLE.applicant.citizen_id);
  await page.fill(id('/applicant/full_name'), EXAMPLE.applicant.full_name);
  await page.fill(id('/applicant/phone'), '02001234567');
  const dry = page.waitForResponse(r => r.url().includes('/dossiers?dry_run=1'));
  await page.click('#submit');
  const dr = await dry;
  ok(dr.status() === 422, 'the dry run answers 422 for the phone only the gateway refuses', dr.status());
  await page.waitForSelector('#summary:not([hidden])');
  const e4 = await page.locator(errOf('/applicant/phone')).textContent();
  ok(/Số điện thoại Việt Nam/.test(e4), 'the gateway\'s violation is shown at the field its JSON Pointer names', e4);
  ok(/Số điện thoại/.test(await page.locator('#summary').textContent()), 'and in the summary, which links to the field');
  ok(await page.evaluate(() => document.activeElement.id) === 'summary', 'focus moves to the error summary');
  await shot(page, 'form-gateway-errors');
  await page.fill(id('/applicant/phone'), EXAMPLE.applicant.phone);

  // 4. submit: the dry run, then the real submission, then the receipt
  const real = page.waitForResponse(r => /\/dossiers$/.test(r.url()) && r.request().method() === 'POST');
  await page.click('#submit');
  const rr = await real;
  ok(rr.status() === 201, 'submitted: 201', rr.status());
  await page.waitForURL(/receipt\.html/);
  const u = new URL(page.url());
  const answer = { code: u.searchParams.get('code'), lookup_token: new URLSearchParams(u.hash.slice(1)).get('token') };
  ok(/^000\.05\.22\.H29-\d{6}-0001$/.test(answer.code) && /^[A-Za-z0-9_-]{22}$/.test(answer.lookup_token),
     'the receipt page is opened with the code, the token in the fragment (kept out of logs)', page.url());
  await page.waitForSelector('#signature');
  const sig = await page.locator('#signature').textContent();
  ok(/Chữ ký số hợp lệ/.test(sig), 'the receipt\'s JWS is verified in the browser against /dvc/v1/keys', sig);
  const rt = await page.locator('.form01').textContent();
  ok(rt.includes(answer.code) && rt.includes('Nguyễn Văn Hùng') && rt.includes('Giấy chứng sinh') && /Hẹn trả kết quả/.test(rt),
     'form 01: code, applicant, documents received, appointment', rt);
  await shot(page, 'receipt');
  await axe(page, 'the receipt');

  // 5. print: the PDF holds the code and a QR of the lookup link
  await page.emulateMedia({ media: 'print' });
  const pdfOut = `${OUT}/receipt.pdf`;
  await page.pdf({ path: pdfOut, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const text = execFileSync('pdftotext', ['-layout', pdfOut, '-']).toString();
  ok(text.includes(answer.code), 'the printed PDF holds the dossier code', text.slice(0, 400));
  ok(!/Thủ tục\s+Tra cứu hồ sơ\s+English/.test(text), 'the print has no navigation');
  const pages = execFileSync('pdfinfo', [pdfOut]).toString().match(/Pages:\s+(\d+)/)[1];
  ok(pages === '1', 'the receipt prints on one A4 page', pages);
  execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', pdfOut, `${OUT}/receipt-pdf`]);
  const qr = execFileSync('zbarimg', ['-q', '--raw', `${OUT}/receipt-pdf.png`]).toString().trim();
  const link = await page.locator('#lookup-link').getAttribute('href');
  ok(qr === link && qr.includes(answer.code) && qr.includes('#token=' + answer.lookup_token),
     'the QR code in the PDF decodes to the lookup link', `${qr}\nvs ${link}`);

  // 6. lookup by the QR link
  await page.goto(qr);
  await page.waitForSelector('#status-name');
  ok(await page.locator('#status-name').textContent() === 'Được tiếp nhận', 'the lookup shows the status in Vietnamese');
  ok(/\d\d:\d\d \d\d\/\d\d\/\d{4}/.test(await page.locator('#due').textContent()), 'and the appointment time');
  ok(await page.locator('#timeline li').count() === 2, 'the timeline has both entries');
  ok(await page.locator('#withdraw').count() === 1 && await page.locator('#rate').count() === 0, 'withdrawal offered, rating not yet');
  await shot(page, 'lookup-accepted');
  await axe(page, 'the lookup');

  // 7. the example back-end moves it to its result; the citizen rates it
  execFileSync('/usr/bin/python3', process.env.PORTAL_BACKEND.split(' '), { stdio: ['ignore', 'ignore', 'inherit'] });
  await page.reload();
  await page.waitForSelector('#status-name');
  const st = await page.locator('#status-name').textContent();
  ok(st === 'Đã xử lý xong' || st === 'Đã trả kết quả', 'after the back-end: resolved', st);
  await page.waitForSelector('#rate');
  await axe(page, 'the lookup with its rating form');
  await page.check('#r-very_satisfied');
  await page.fill('#comment', 'Cán bộ hướng dẫn tận tình.');
  const rating = page.waitForResponse(r => r.url().endsWith('/rating'));
  await page.click('#rate button[type=submit]');
  ok((await rating).status() === 201, 'rated: 201');
  await page.waitForSelector('#done');
  ok(/Cảm ơn/.test(await page.locator('#done').textContent()), 'the citizen is thanked');
  await shot(page, 'lookup-rated');

  // 8. the main pages at 360 px and 1280 px
  for (const w of [360, 1280]) {
    await page.setViewportSize({ width: w, height: w === 360 ? 740 : 900 });
    for (const [name, url] of [['list', 'index.html'], ['form', 'form.html?p=1.001193'], ['receipt', link.replace('lookup.html', 'receipt.html')], ['lookup', link]]) {
      await page.goto(new URL(url, BASE).href);
      await page.waitForSelector(name === 'list' ? '.card' : name === 'form' ? 'form fieldset' : name === 'receipt' ? '#signature' : '#status-name');
      const wide = await page.evaluate(() => document.documentElement.scrollWidth);
      ok(wide <= w, `${name} at ${w} px: no horizontal scrolling`, wide);
      await shot(page, `${name}-${w}`);
      if (SHOTS) { mkdirSync(SHOTS, { recursive: true }); await page.screenshot({ path: `${SHOTS}/${name}-${w}.png`, fullPage: w === 360 ? false : true }); }
    }
  }
  ok(consoleErrors.length === 0, 'no script error, nothing loaded from another host', consoleErrors.join('\n'));
} catch (e) {
  ok(false, 'the walk-through ran to its end', e.stack + '\n' + consoleErrors.join('\n')
     + '\n' + (globalThis.portalPage ? (await globalThis.portalPage.locator('main').innerHTML().catch(() => '')).slice(0, 3000) : ''));
  if (globalThis.portalPage) await globalThis.portalPage.screenshot({ path: `${OUT}/failed.png`, fullPage: true }).catch(() => {});
} finally {
  await browser.close();
}
console.log(`# ${n - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
