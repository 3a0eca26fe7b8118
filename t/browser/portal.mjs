// The citizen's path through web/ in Debian's chromium (playwright-core, no
// browser download), against the nginx + Redis + module that t/120-portal.t
// started.  Prints TAP lines ("ok N - what"); the .t file counts them.
// Every step saves a screenshot in OUT; axe-core runs on every page.
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';

const require = createRequire(import.meta.url);
const BASE = process.env.PORTAL_BASE;          // http://127.0.0.1:PORT/
const OUT = process.env.PORTAL_OUT;            // the test's output folder
const SHOTS = process.env.DVC_SHOTS_DIR || ''; // docs/screenshots for `make web-screenshots`
const EXAMPLE = JSON.parse(readFileSync(process.env.PORTAL_EXAMPLE, 'utf8'));
const AXE = require.resolve('axe-core/axe.min.js');
const SIM = process.env.PORTAL_SIM;            // the VNPAY simulator, http://127.0.0.1:PORT/
const KEY = readFileSync(process.env.PORTAL_KEY, 'utf8').trimEnd();  // the back-end's event key

// a signed event, as the back-end sends it (docs/events.md)
async function event(code, body) {
  const target = '/dvc/v1/dossiers/' + code + '/events';
  const raw = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  const mac = createHmac('sha256', KEY).update(`${ts}\nPOST\n${target}\n${raw}`).digest('hex');
  const r = await fetch(new URL(target, BASE), { method: 'POST', body: raw, headers: {
    'Content-Type': 'application/json', 'X-DVC-Timestamp': String(ts), 'X-DVC-Signature': 'v1=' + mac } });
  return { status: r.status, body: await r.json() };
}
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
// a page for docs/screenshots at 360 and 1280 px (`make web-screenshots`)
async function docShot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  for (const w of [360, 1280]) {
    await page.setViewportSize({ width: w, height: w === 360 ? 740 : 900 });
    await page.screenshot({ path: `${SHOTS}/${name}-${w}.png`, fullPage: true });
  }
}
async function axe(page, what) {
  await page.addScriptTag({ path: AXE });
  const r = await page.evaluate(async () => await window.axe.run(document, { resultTypes: ['violations'] }));
  const bad = r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical');
  ok(bad.length === 0, `axe-core: no serious or critical violation on ${what}`,
     bad.map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(x => x.target.join(' ')).join(', ')})`).join('\n'));
}
// a signed form (02, 03, 04, stop) opened from the lookup's list: its
// signature verified in the browser, its title and number, what it says;
// printed, on one A4 page with the code, its QR the lookup link
async function signedForm(page, code, token, no, title, what) {
  const item = page.locator('#forms a', { hasText: title });
  ok(await item.count() === 1, `the lookup lists the signed form ${no}: ${title}`, await page.locator('main').textContent());
  await Promise.all([page.waitForURL(/notice\.html\?code=/), item.click()]);
  await page.waitForSelector('#signature');
  const sig = await page.locator('#signature').textContent();
  ok(/Chữ ký số hợp lệ/.test(sig), `form ${no}: its JWS verifies in the browser against /dvc/v1/keys`, sig);
  ok(await page.locator('#form-title').textContent() === title, `form ${no}: the signed title`, await page.locator('#form-title').textContent());
  ok((await page.locator('#form-no').textContent()).includes(no === 'stop' ? 'Thông báo' : `Mẫu số ${no}`), `form ${no}: its number`);
  const body = await page.locator('#signed-form').textContent();
  ok(body.includes(code) && what.every(w => body.includes(w)), `form ${no}: the code and what the agency wrote`, body);
  await axe(page, `the signed form ${no}`);
  await shot(page, `form-${no}`);
  await page.emulateMedia({ media: 'print' });
  const pdfOut = `${OUT}/form-${no}.pdf`;
  await page.pdf({ path: pdfOut, format: 'A4', printBackground: true });
  await page.emulateMedia({ media: 'screen' });
  const text = execFileSync('pdftotext', ['-layout', pdfOut, '-']).toString();
  const pages = execFileSync('pdfinfo', [pdfOut]).toString().match(/Pages:\s+(\d+)/)[1];
  ok(text.includes(code) && text.replace(/\s+/g, ' ').includes(title.toUpperCase()) && pages === '1' && !/In văn bản/.test(text),
     `form ${no}: printed on one A4 page with its code and title, no buttons`, `${pages} page(s)\n${text.slice(0, 600)}`);
  execFileSync('pdftoppm', ['-r', '150', '-png', '-singlefile', pdfOut, `${OUT}/form-${no}-pdf`]);
  const qr = execFileSync('zbarimg', ['-q', '--raw', `${OUT}/form-${no}-pdf.png`]).toString().trim();
  ok(qr.includes('lookup.html?code=' + code) && qr.includes('#token=' + token), `form ${no}: the printed QR is the lookup link`, qr);
}

const id = ptr => '[id="f' + ptr.replace(/\//g, '.') + '"]';
const errOf = ptr => '[id="ef' + ptr.replace(/\//g, '.') + '"]';

async function fill(page, ptr, v) {
  if (ptr === '/documents') return;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      if (await page.locator(id(ptr + '/' + i)).count() === 0) await page.locator(id(ptr) + ' > button').click();
      await fill(page, ptr + '/' + i, v[i]);
    }
    return;
  }
  if (v && typeof v === 'object') { for (const k in v) await fill(page, ptr + '/' + k, v[k]); return; }
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
  // nothing from another host, but the payment provider's page the gateway sends the citizen to
  page.on('request', r => { if (!r.url().startsWith(BASE) && !(SIM && r.url().startsWith(SIM + 'paymentv2/vpcpay.html?')))
    consoleErrors.push('request to another host: ' + r.url()); });

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
  // keyboard only: Tab from the top of the page reaches every control of the form, in order
  {
    const controls = await page.locator('main form :is(input, select, textarea, button):visible').evaluateAll(es => es.map(e => e.id || e.name || e.textContent));
    await page.evaluate(() => { document.activeElement.blur(); window.scrollTo(0, 0); });
    const seen = [];
    for (let i = 0; i < controls.length + 40; i++) {
      await page.keyboard.press('Tab');
      const a = await page.evaluate(() => { const e = document.activeElement; return e.closest('main form') ? (e.id || e.name || e.textContent) : null; });
      if (a != null && !seen.includes(a)) seen.push(a);
      if (seen.length === controls.length) break;
    }
    const missed = controls.filter(c => !seen.includes(c));
    ok(missed.length === 0 && controls.length > 10, `the keyboard reaches all ${controls.length} controls of the form with Tab`, missed.join(', '));
  }

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
  let uploadsSent = 0;
  const countUploads = r => { if (r.url().endsWith('/uploads')) uploadsSent++; };
  page.on('request', countUploads);
  await page.setInputFiles('#doc-birth_commitment', txt);
  const e5 = await page.locator('#edoc-birth_commitment').textContent();
  ok(/Tệp phải là PDF, JPEG, PNG/.test(e5), 'a file of another type is refused before sending', e5);
  const hint = await page.locator('#hdoc-birth_medical_certificate').textContent();
  const big = `${OUT}/too-big.pdf`;
  writeFileSync(big, Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(10 * 1048576 - 8, 120)]));
  await page.setInputFiles('#doc-birth_medical_certificate', big);
  const e6 = await page.locator('#edoc-birth_medical_certificate').textContent();
  ok(/Tệp quá lớn: tối đa 10 MB/.test(e6) && /tối đa 10 MB/.test(hint), 'a file over the kind\'s size is refused before sending, the limit shown beforehand', `${e6} / ${hint}`);
  await page.waitForTimeout(200);
  ok(uploadsSent === 0, 'neither refused file was sent to the gateway', uploadsSent);
  page.off('request', countUploads);
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

  // 7b. another dossier the desk asks to supplement: the lookup offers the
  // form again, which sends the corrected dossier (status 5 -> 1)
  {
    const file = readFileSync(pdf);
    const u = await fetch(BASE + 'dvc/v1/uploads', { method: 'POST', body: file, headers: {
      'Content-Type': 'application/pdf', 'X-DVC-Procedure': '1.001193', 'X-DVC-Document-Kind': 'birth_medical_certificate' } });
    const ub = await u.json();
    const d2 = { ...EXAMPLE, documents: [{ kind: 'birth_medical_certificate', file_name: 'giay-chung-sinh.pdf',
      media_type: 'application/pdf', size: ub.size, sha256: ub.sha256 }] };
    const s2 = await fetch(BASE + 'dvc/v1/dossiers', { method: 'POST', body: JSON.stringify(d2), headers: { 'Content-Type': 'application/json' } });
    const a2 = await s2.json();
    ok(s2.status === 201, 'a second dossier submitted', JSON.stringify(a2));
    execFileSync('/usr/bin/python3', process.env.PORTAL_BACKEND.replace('--supplement 0', '--supplement 1').split(' '),
      { stdio: ['ignore', 'ignore', 'inherit'] });
    await page.goto(BASE + 'lookup.html?code=' + a2.code + '#token=' + a2.lookup_token);
    await page.waitForSelector('#status-name');
    ok(await page.locator('#status-name').textContent() === 'Yêu cầu bổ sung giấy tờ', 'the lookup shows the supplement request');
    ok(await page.locator('#pay').count() === 0 && await page.locator('#withdraw').count() === 1, 'withdrawal offered with it');
    await shot(page, 'lookup-supplement-requested');
    const sup02 = (await (await fetch(BASE + 'dvc/v1/dossiers/' + a2.code, { headers: { 'X-DVC-Lookup-Token': a2.lookup_token } })).json()).forms;
    const p02 = JSON.parse(Buffer.from(sup02[0].jws.split('.')[1], 'base64url').toString());
    await signedForm(page, a2.code, a2.lookup_token, '02', 'Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ',
                     [p02.reason.vi, ...(p02.documents || []).map(d => d.name), 'được tính lại']);
    await page.goto(BASE + 'lookup.html?code=' + a2.code + '#token=' + a2.lookup_token);
    await page.waitForSelector('#status-name');
    await Promise.all([page.waitForURL(/form\.html\?p=1\.001193&supplement=/), page.click('#supplement')]);
    await page.waitForSelector('form fieldset');
    ok(/^Bổ sung hồ sơ/.test(await page.locator('h1').textContent()), 'the form opens as a supplement');
    await fill(page, '', EXAMPLE);
    const up2 = page.waitForResponse(r => r.url().endsWith('/uploads'));
    await page.setInputFiles('#doc-birth_medical_certificate', pdf);
    await up2;
    await page.waitForSelector('#edoc-birth_medical_certificate.ok');
    const sup = page.waitForResponse(r => r.url().endsWith('/supplement'));
    await page.click('#submit');
    const sr = await sup;
    ok(sr.status() === 200, 'the supplement is sent: 200', sr.status());
    await page.waitForURL(/lookup\.html/);
    await page.waitForSelector('#status-name');
    ok(await page.locator('#status-name').textContent() === 'Mới đăng ký', 'the dossier is back at the desk (status 1)');
    await shot(page, 'lookup-supplemented');
    // the citizen asks to withdraw it
    await page.fill('#wreason', 'Tôi đã nộp nhầm thủ tục');
    const wd = page.waitForResponse(r => r.url().endsWith('/withdrawal'));
    await page.click('#withdraw button[type=submit]');
    ok((await wd).status() === 200, 'the withdrawal is sent: 200');
    await page.waitForSelector('#done');
    ok(/Đã gửi yêu cầu rút hồ sơ/.test(await page.locator('#done').textContent())
       && await page.locator('#status-name').textContent() === 'Công dân yêu cầu rút hồ sơ',
       'said so; the status is 7, withdrawal requested', await page.locator('#status-name').textContent());
    ok(await page.locator('#withdraw').count() === 0, 'and it is not offered again');
    await shot(page, 'lookup-withdrawal-requested');
  }

  // 7c. a third dossier the back-end asks to pay 50,000 VND online: the
  // lookup offers VNPAY; a cancelled attempt changes nothing; the second
  // attempt pays, the provider's IPN reaches the gateway before the citizen
  // is back, and the lookup shows the payment with its signed receipt
  {
    const file = readFileSync(pdf);
    const u = await fetch(BASE + 'dvc/v1/uploads', { method: 'POST', body: file, headers: { 'Content-Type': 'application/pdf' } });
    const ub = await u.json();
    const d3 = { ...EXAMPLE, documents: [{ kind: 'birth_medical_certificate', file_name: 'giay-chung-sinh.pdf',
      media_type: 'application/pdf', size: ub.size, sha256: ub.sha256 }] };
    const s3 = await fetch(BASE + 'dvc/v1/dossiers', { method: 'POST', body: JSON.stringify(d3), headers: { 'Content-Type': 'application/json' } });
    const a3 = await s3.json();
    ok(s3.status === 201 && u.status === 201, 'a third dossier submitted, its paper uploaded again (a dossier holds it): 201', `${u.status} ${s3.status}`);
    const ev = await event(a3.code, { id: 'portal-pay-1', type: 'request_payment', amount: 50000,
      reason: { vi: 'Nộp lệ phí đăng ký khai sinh', en: 'Pay the birth registration fee' } });
    ok(ev.status === 200 && ev.body.status === 6, 'the back-end asks for 50,000 VND (status 6)', JSON.stringify(ev));
    await page.goto(BASE + 'lookup.html?code=' + a3.code + '#token=' + a3.lookup_token);
    await page.waitForSelector('#pay');
    ok(await page.locator('#status-name').textContent() === 'Yêu cầu thực hiện nghĩa vụ tài chính', 'the lookup shows status 6 in Vietnamese');
    ok(/50\.000 ₫/.test(await page.locator('#pay-amount').textContent()), 'the pay action shows the amount the back-end asked for');
    await shot(page, 'lookup-payment-required');
    await docShot(page, 'pay');
    await axe(page, 'the lookup with its pay action');

    // the citizen cancels at the provider
    await fetch(SIM + 'sim/outcome?code=24');
    let payReq = page.waitForRequest(r => r.url().endsWith('/payment') && r.method() === 'POST');
    await Promise.all([page.waitForURL(/lookup\.html\?code=/, { waitUntil: 'load' }), page.click('#pay-go')]);
    ok((await payReq).postData() == null, 'the payment request carries no body: no amount from the page');
    await page.waitForSelector('#pay-note');
    ok(/chưa thành công \(mã 24\)/.test(await page.locator('#pay-note').textContent()), 'back from a cancelled payment: said so, with the provider\'s code');
    ok(await page.locator('#status-name').textContent() === 'Yêu cầu thực hiện nghĩa vụ tài chính' && await page.locator('#pay-go').count() === 1,
       'still status 6, the pay action offered again');
    ok(!page.url().includes('vnp_'), 'the provider\'s parameters are dropped from the address', page.url());
    await shot(page, 'lookup-payment-cancelled');

    // and pays
    await fetch(SIM + 'sim/outcome?code=00');
    const provider = page.waitForRequest(r => r.url().startsWith(SIM + 'paymentv2/vpcpay.html?'));
    await Promise.all([page.waitForURL(/lookup\.html\?code=/, { waitUntil: 'load' }), page.click('#pay-go')]);
    const purl = new URL((await provider).url());
    ok(purl.searchParams.get('vnp_Amount') === '5000000' && purl.searchParams.get('vnp_TxnRef').startsWith(a3.code + '-'),
       'the citizen was sent to the provider\'s URL the gateway answered: 50,000 VND, the dossier\'s reference', purl.search.slice(0, 200));
    const last = await (await fetch(SIM + 'sim/last')).json();
    ok(last.answer && last.answer.RspCode === '00', 'the provider\'s IPN was answered 00', JSON.stringify(last.answer));
    await page.waitForSelector('#paid');
    ok(await page.locator('#status-name').textContent() === 'Đang xử lý', 'after the payment: status 4, processing');
    const paid = await page.locator('#paid').textContent();
    ok(paid.includes('50.000 ₫') && paid.includes('VNPAY') && paid.includes(last.ipn.vnp_TransactionNo),
       'the lookup shows it paid: amount, provider, transaction number', paid);
    await page.waitForSelector('#paid-sig');
    ok(/chữ ký số hợp lệ/.test(await page.locator('#paid-sig').textContent()), 'the payment receipt\'s JWS verifies in the browser against /dvc/v1/keys');
    ok(await page.locator('#pay-go').count() === 0 && await page.locator('#pay-note').count() === 0, 'nothing left to pay, no waiting note');
    ok(/Đã thanh toán: 50\.000 ₫/.test(await page.locator('#timeline').textContent()), 'the timeline has the payment');
    await shot(page, 'lookup-paid');
    await docShot(page, 'paid');

    // the agency is late: its delay (form 04) with an apology and a new
    // appointment, shown as such; then, once the original due time has
    // passed (set in Redis as time would), the lookup says it is overdue
    const vn = t => new Date(t + 7 * 3600e3).toISOString().slice(0, 19) + '+07:00';
    const newDue = vn(Date.now() + 5 * 86400e3);
    const dl = await event(a3.code, { id: 'portal-delay-1', type: 'delay', new_due_at: newDue,
      reason: { vi: 'Hồ sơ cần xác minh thêm với công an nơi cư trú. Cơ quan chân thành xin lỗi ông/bà.', en: 'We need a check with the police; we apologise.' } });
    ok(dl.status === 200, 'the back-end delays it with an apology', JSON.stringify(dl));
    execFileSync('redis-cli', ['-p', process.env.PORTAL_REDIS_PORT, 'HSET', 'dvc:d:' + a3.code, 'due_ts', String(Math.floor(Date.now() / 1000) - 3600)]);
    await page.reload();
    await page.waitForSelector('#overdue');
    const main = await page.locator('main').textContent();
    ok(/Thư xin lỗi của cơ quan/.test(main) && /chân thành xin lỗi/.test(main), 'the apology is shown', main.slice(0, 600));
    ok(main.includes('Hẹn mới') && main.includes(newDue.slice(11, 16) + ' ' + newDue.slice(8, 10) + '/' + newDue.slice(5, 7) + '/' + newDue.slice(0, 4)),
       'with the new appointment', newDue);
    ok(/quá hạn/.test(await page.locator('#overdue').textContent()) && await page.locator('#overdue.error').count() === 1,
       'and, past the original due time, that it is overdue', await page.locator('#overdue').textContent());
    await shot(page, 'lookup-delayed-overdue');
    await axe(page, 'the lookup of a late dossier');
    await signedForm(page, a3.code, a3.lookup_token, '04', 'Phiếu xin lỗi và hẹn lại ngày trả kết quả',
                     ['chân thành xin lỗi', newDue.slice(11, 16) + ' ' + newDue.slice(8, 10) + '/' + newDue.slice(5, 7) + '/' + newDue.slice(0, 4)]);
    await page.goto(BASE + 'lookup.html?code=' + a3.code + '#token=' + a3.lookup_token);
    await page.waitForSelector('#status-name');
    await axe(page, 'the lookup after the payment');
  }

  // 7d. two more dossiers: one refused (form 03), one accepted and stopped
  // (the stop notice); then the stop notice's payload changed in Redis is
  // shown as not valid
  {
    // an example dossier, each paper it lists uploaded first (a PDF or a JPEG)
    const mk = async proc => {
      const d = JSON.parse(readFileSync(process.env.PORTAL_EXAMPLES + '/' + proc + '.json', 'utf8'));
      for (const [i, doc] of (d.documents || []).entries()) {
        const body = doc.media_type === 'application/pdf' ? Buffer.from(`%PDF-1.7\n% ${proc} ${i}\ntrailer\n<< >>\n%%EOF\n`)
          : Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]), Buffer.from(`JFIF ${proc} ${i}`), Buffer.from([0xff, 0xd9])]);
        const u = await fetch(BASE + 'dvc/v1/uploads', { method: 'POST', body, headers: { 'Content-Type': doc.media_type } });
        const ub = await u.json();
        Object.assign(doc, { sha256: ub.sha256, size: ub.size });
      }
      const s = await fetch(BASE + 'dvc/v1/dossiers', { method: 'POST', body: JSON.stringify(d), headers: { 'Content-Type': 'application/json' } });
      return s.json();
    };
    const a4 = await mk('1.001612');                // left at the desk: status 1
    const rf = await event(a4.code, { id: 'portal-refuse-1', type: 'refuse',
      reason: { vi: 'Hồ sơ không thuộc thẩm quyền giải quyết của UBND phường', en: 'Not for the ward' } });
    ok(rf.status === 200 && rf.body.form && rf.body.form.form === '03', 'the back-end refuses a fourth dossier: form 03', JSON.stringify(rf));
    await page.goto(BASE + 'lookup.html?code=' + a4.code + '#token=' + a4.lookup_token);
    await page.waitForSelector('#forms');
    await signedForm(page, a4.code, a4.lookup_token, '03', 'Phiếu từ chối tiếp nhận giải quyết hồ sơ',
                     ['không thuộc thẩm quyền giải quyết của UBND phường']);
    const a5 = await mk('1.001193');                // accepted at once: status 2
    const st5 = await event(a5.code, { id: 'portal-stop-5', type: 'stop', reason: 'Cơ quan dừng xử lý theo yêu cầu của cơ quan điều tra' });
    ok(st5.status === 200 && st5.body.form && st5.body.form.form === 'stop', 'a fifth dossier, accepted, is stopped: the stop notice', JSON.stringify(st5));
    await page.goto(BASE + 'lookup.html?code=' + a5.code + '#token=' + a5.lookup_token);
    await page.waitForSelector('#forms');
    await signedForm(page, a5.code, a5.lookup_token, 'stop', 'Thông báo dừng xử lý hồ sơ', ['theo yêu cầu của cơ quan điều tra']);
    // the same notice with its payload changed (another reason), as if Redis
    // had been written by someone else: the page says the signature fails
    const key = 'dvc:d:' + a5.code;
    const forms = JSON.parse(execFileSync('redis-cli', ['-p', process.env.PORTAL_REDIS_PORT, '--raw', 'HGET', key, 'forms']).toString());
    const [h, pl, sg] = forms[0].jws.split('.');
    const changed = JSON.parse(Buffer.from(pl, 'base64url').toString());
    changed.reason = { vi: 'Hồ sơ đã được giải quyết xong' };
    forms[0].jws = [h, Buffer.from(JSON.stringify(changed)).toString('base64url'), sg].join('.');
    execFileSync('redis-cli', ['-p', process.env.PORTAL_REDIS_PORT, 'HSET', key, 'forms', JSON.stringify(forms)]);
    await page.reload();
    await page.waitForSelector('#signature');
    ok(await page.locator('#signature.error').count() === 1 && /KHÔNG hợp lệ/.test(await page.locator('#signature').textContent()),
       'a stop notice whose payload was changed: its signature is shown as NOT valid', await page.locator('#signature').textContent());
  }

  // 8. every procedure's form takes its example dossier: the browser's
  // checks agree with the gateway's on valid data (only the documents,
  // not uploaded here, are missing)
  for (const f of readdirSync(process.env.PORTAL_EXAMPLES).filter(x => x.endsWith('.json')).sort()) {
    const ex = JSON.parse(readFileSync(process.env.PORTAL_EXAMPLES + '/' + f, 'utf8'));
    await page.goto(BASE + 'form.html?p=' + ex.procedure);
    await page.waitForSelector('form fieldset');
    await fill(page, '', ex);
    await page.click('#submit');
    await page.waitForSelector('#summary:not([hidden])');
    const links = await page.locator('#summary a').evaluateAll(as => as.map(a => a.getAttribute('href') + ' ' + a.textContent));
    ok(links.length > 0 && links.every(l => l.startsWith('#doc-') || l.startsWith('#f.documents')),
       `${ex.procedure}: the form takes its example dossier, only the documents left to upload`, links.join('\n'));
    if (ex.procedure === '2.000488') await axe(page, `the form of ${ex.procedure} with its error summary`);
  }

  // 8b. page weight: each page loaded in a fresh browser context (empty
  // cache), everything it fetched, compressed as nginx sent it (gzip on, as
  // the README's snippet) against the raw bytes; the form page with its
  // libraries and the largest procedure schema must stay under 150 KB
  {
    const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const wp = await fresh.newPage();
    const weights = {};
    for (const [name, url, ready] of [['list', 'index.html', '.card'], ['form', 'form.html?p=1.001193', 'form fieldset'],
                                      ['receipt', link.replace('lookup.html', 'receipt.html'), '#signature'], ['lookup', link, '#status-name']]) {
      await wp.goto(new URL(url, BASE).href);
      await wp.waitForSelector(ready);
      await wp.waitForLoadState('networkidle');
      weights[name] = await wp.evaluate(() => {
        const all = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')];
        return { n: all.length, enc: all.reduce((a, e) => a + e.encodedBodySize, 0), dec: all.reduce((a, e) => a + e.decodedBodySize, 0),
                 gzip: all.filter(e => e.encodedBodySize < e.decodedBodySize).length };
      });
      const w = weights[name];
      console.log(`weight ${name}: ${w.n} files, ${(w.enc / 1024).toFixed(1)} KB compressed, ${(w.dec / 1024).toFixed(1)} KB raw`);
    }
    ok(weights.form.gzip > 0 && weights.form.enc < weights.form.dec, 'the pages come compressed', JSON.stringify(weights.form));
    ok(weights.form.enc < 150 * 1024, `the form page weighs ${(weights.form.enc / 1024).toFixed(1)} KB compressed with its libraries and schema (< 150 KB)`, JSON.stringify(weights));
    ok(Object.values(weights).every(w => w.enc < 150 * 1024), 'every page under 150 KB compressed', JSON.stringify(weights));
    await fresh.close();
  }

  // 9. the main pages at 360 px and 1280 px
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
