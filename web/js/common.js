// Shared by every page: language (Vietnamese by default, English switch kept
// in localStorage), the API's base path, text folding for search, helpers.
export const API = '/dvc/v1';

const T = {
  portal: ['Cổng dịch vụ công', 'Public service portal'],
  skip: ['Bỏ qua, tới nội dung chính', 'Skip to main content'],
  lang_switch: ['English', 'Tiếng Việt'],
  lang_switch_label: ['Switch to English', 'Chuyển sang tiếng Việt'],
  nav_list: ['Thủ tục', 'Procedures'],
  nav_lookup: ['Tra cứu hồ sơ', 'Look up a dossier'],
  search: ['Tìm thủ tục', 'Find a procedure'],
  search_hint: ['Gõ có dấu hoặc không dấu, ví dụ: dang ky ho kinh doanh', 'With or without diacritics, e.g. dang ky ho kinh doanh'],
  found: ['Tìm thấy {n} thủ tục', '{n} procedure(s) found'],
  level: ['Mức độ', 'Level'],
  agency: ['Cơ quan', 'Agency'],
  fee: ['Lệ phí', 'Fee'],
  free: ['Miễn phí', 'Free'],
  time: ['Thời hạn giải quyết', 'Processing time'],
  hours: ['{n} giờ làm việc', '{n} working hour(s)'],
  days: ['{n} ngày làm việc', '{n} working day(s)'],
  apply: ['Nộp hồ sơ', 'Apply'],
  loading: ['Đang tải…', 'Loading…'],
  load_failed: ['Không tải được dữ liệu từ cổng. Vui lòng thử lại.', 'Could not load data from the gateway. Please try again.'],
  required_mark: ['(bắt buộc)', '(required)'],
  required_legend: ['Trường có dấu * là bắt buộc.', 'Fields marked * are required.'],
  choose: ['— Chọn —', '— Choose —'],
  applicant: ['Người nộp hồ sơ', 'Applicant'],
  form: ['Nội dung tờ khai', 'Declaration'],
  documents: ['Giấy tờ kèm theo', 'Documents'],
  delivery: ['Hình thức nhận kết quả', 'How the result is delivered'],
  check: ['Kiểm tra hồ sơ', 'Check the dossier'],
  submit: ['Nộp hồ sơ', 'Submit the dossier'],
  errors_title: ['Hồ sơ còn {n} lỗi. Vui lòng sửa các trường được đánh dấu.', 'The dossier has {n} error(s). Please correct the marked fields.'],
  checked_ok: ['Cổng đã kiểm tra: hồ sơ hợp lệ. Bạn có thể nộp.', 'Checked by the gateway: the dossier is valid. You may submit it.'],
  submitting: ['Đang nộp…', 'Submitting…'],
  add_item: ['Thêm', 'Add'],
  remove_item: ['Xóa', 'Remove'],
  upload: ['Tải lên', 'Upload'],
  upload_types: ['Định dạng: {t}; tối đa {s}', 'Types: {t}; at most {s}'],
  upload_done: ['Đã tải lên', 'Uploaded'],
  upload_bad_type: ['Tệp phải là {t}.', 'The file must be {t}.'],
  upload_too_big: ['Tệp quá lớn: tối đa {s}.', 'The file is too large: at most {s}.'],
  upload_failed: ['Tải lên không thành công: {m}', 'Upload failed: {m}'],
  receipt_title: ['Giấy tiếp nhận hồ sơ và hẹn trả kết quả', 'Receipt of the dossier and appointment'],
  form01: ['Mẫu số 01 (Thông tư 01/2018/TT-VPCP)', 'Form 01 (Circular 01/2018/TT-VPCP)'],
  code: ['Mã hồ sơ', 'Dossier code'],
  procedure: ['Thủ tục', 'Procedure'],
  applicant_name: ['Người nộp', 'Applicant'],
  phone: ['Điện thoại', 'Phone'],
  email: ['Thư điện tử', 'E-mail'],
  docs_received: ['Giấy tờ đã nhận', 'Documents received'],
  accepted_at: ['Thời điểm tiếp nhận', 'Accepted at'],
  due_at: ['Hẹn trả kết quả', 'Appointment for the result'],
  appointment_at: ['Hẹn mới', 'New appointment'],
  submitted_at: ['Thời điểm nộp', 'Submitted at'],
  token: ['Mã tra cứu', 'Lookup token'],
  token_keep: ['Hãy giữ mã tra cứu: cổng không thể cấp lại.', 'Keep the lookup token: the gateway cannot tell it again.'],
  qr_caption: ['Quét mã để tra cứu hồ sơ', 'Scan to look the dossier up'],
  print: ['In giấy tiếp nhận', 'Print the receipt'],
  sig_ok: ['Chữ ký số hợp lệ (khóa {k}).', 'Digital signature valid (key {k}).'],
  sig_bad: ['Chữ ký số KHÔNG hợp lệ: {m}', 'Digital signature NOT valid: {m}'],
  sig_checking: ['Đang kiểm tra chữ ký số…', 'Checking the digital signature…'],
  not_accepted: ['Hồ sơ đã được nộp và đang chờ cơ quan tiếp nhận. Giấy tiếp nhận sẽ có khi hồ sơ được tiếp nhận.', 'The dossier was submitted and awaits the agency\u2019s acceptance. The receipt is issued once it is accepted.'],
  lookup: ['Tra cứu hồ sơ', 'Look up a dossier'],
  lookup_go: ['Tra cứu', 'Look up'],
  not_found: ['Không tìm thấy hồ sơ với mã và mã tra cứu này.', 'No dossier with this code and token.'],
  status: ['Trạng thái', 'Status'],
  timeline: ['Quá trình xử lý', 'History'],
  overdue: ['Hồ sơ đã quá hạn giải quyết.', 'The dossier is overdue.'],
  on_time: ['Hồ sơ đang trong hạn.', 'The dossier is on time.'],
  apology: ['Thư xin lỗi của cơ quan', 'The agency\u2019s apology'],
  actions: ['Bạn có thể', 'You may'],
  withdraw: ['Xin rút hồ sơ', 'Ask to withdraw'],
  reason: ['Lý do', 'Reason'],
  supplement: ['Bổ sung hồ sơ', 'Send the supplement'],
  pay: ['Thanh toán', 'Pay'],
  pay_title: ['Thực hiện nghĩa vụ tài chính', 'Pay the fee'],
  pay_amount: ['Số tiền cơ quan yêu cầu: {a}', 'Amount the agency asks for: {a}'],
  pay_go: ['Thanh toán trực tuyến qua {p}', 'Pay online with {p}'],
  pay_going: ['Đang chuyển tới cổng thanh toán…', 'Opening the payment page…'],
  pay_desk: ['Khoản phí này nộp tại Bộ phận Một cửa.', 'This fee is paid at the one-stop desk.'],
  pay_disabled: ['Cổng này chưa nhận thanh toán trực tuyến: vui lòng nộp tại Bộ phận Một cửa.', 'This portal takes no online payment yet: please pay at the one-stop desk.'],
  pay_back_ok: ['Cổng thanh toán báo đã thanh toán. Đang chờ xác nhận…', 'The payment provider reports the payment. Waiting for its confirmation…'],
  pay_back_failed: ['Giao dịch chưa thành công (mã {c}): chưa có khoản nào được ghi nhận. Bạn có thể thanh toán lại.', 'The payment did not go through (code {c}): nothing was recorded. You may try again.'],
  paid: ['Đã thanh toán', 'Paid'],
  paid_line: ['{a} qua {p}, mã giao dịch {n}, lúc {t}', '{a} with {p}, transaction {n}, at {t}'],
  paid_sig_ok: ['Biên lai thanh toán có chữ ký số hợp lệ của cổng (khóa {k}).', 'The payment receipt carries the gateway\u2019s valid digital signature (key {k}).'],
  paid_sig_bad: ['Biên lai thanh toán: chữ ký số KHÔNG hợp lệ ({m}).', 'Payment receipt: digital signature NOT valid ({m}).'],
  rate: ['Đánh giá', 'Rate the service'],
  rating: ['Mức độ hài lòng', 'Satisfaction'],
  very_satisfied: ['Rất hài lòng', 'Very satisfied'],
  satisfied: ['Hài lòng', 'Satisfied'],
  dissatisfied: ['Không hài lòng', 'Dissatisfied'],
  comment: ['Góp ý', 'Comment'],
  send: ['Gửi', 'Send'],
  done_rating: ['Cảm ơn bạn đã đánh giá.', 'Thank you for your rating.'],
  done_withdraw: ['Đã gửi yêu cầu rút hồ sơ.', 'The withdrawal request was sent.'],
  missing_docs: ['Giấy tờ cần bổ sung', 'Documents to add'],
  view_receipt: ['Xem giấy tiếp nhận', 'View the receipt'],
  no_actions: ['Không có thao tác nào ở trạng thái này.', 'No action is possible in this status.'],
  forms: ['Văn bản có chữ ký số của cơ quan', 'Signed documents from the agency'],
  form_no: ['Mẫu số {n} (Thông tư 01/2018/TT-VPCP)', 'Form {n} (Circular 01/2018/TT-VPCP)'],
  form_stop_no: ['Thông báo của cơ quan giải quyết', 'Notice of the handling agency'],
  form_view: ['Xem và in', 'View and print'],
  form_actor: ['Người quyết định', 'Decided by'],
  form_at: ['Thời điểm', 'Time'],
  form_issued_at: ['Thời điểm ký', 'Signed at'],
  form_old_due: ['Hẹn trả kết quả trước đây', 'Earlier appointment'],
  form02_note: ['Thời hạn giải quyết được tính lại từ khi cơ quan nhận đủ hồ sơ.', 'The time for handling counts again from the complete dossier.'],
  form_missing: ['Không có văn bản này trong hồ sơ.', 'The dossier has no such document.'],
  print_form: ['In văn bản', 'Print the document'],
  form_title_02: ['Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ', 'Request to supplement and complete the dossier'],
  form_title_03: ['Phiếu từ chối tiếp nhận giải quyết hồ sơ', 'Refusal to accept the dossier'],
  form_title_04: ['Phiếu xin lỗi và hẹn lại ngày trả kết quả', 'Apology and new date for the result'],
  form_title_stop: ['Thông báo dừng xử lý hồ sơ', 'Notice that handling stopped'],
};

export function lang() {
  const l = localStorage.getItem('dvc-lang');
  return l === 'en' ? 'en' : 'vi';
}

export function t(key, vars) {
  const e = T[key];
  let s = e ? e[lang() === 'en' ? 1 : 0] : key;
  if (vars) for (const k in vars) s = s.replaceAll('{' + k + '}', vars[k]);
  return s;
}

// {vi, en} objects from the gateway
export function pick(m) {
  if (m == null) return '';
  if (typeof m === 'string') return m;
  return m[lang()] ?? m.vi ?? m.en ?? '';
}

// "Đăng ký hộ kinh doanh" -> "dang ky ho kinh doanh"
export function fold(s) {
  return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd').replace(/Đ/g, 'D').toLowerCase().replace(/\s+/g, ' ').trim();
}

export function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids.flat()) if (c != null) e.append(c);
  return e;
}

export function money(n) {
  return n ? new Intl.NumberFormat('vi-VN').format(n) + ' ₫' : t('free');
}

export function duration(p) {
  if (!p) return '';
  return p.hours ? t('hours', { n: p.hours }) : t('days', { n: p.days });
}

// "2026-11-23T09:30:00+07:00" or "2026-11-23T09:30" (Vietnam time) -> "09:30 23/11/2026"
export function when(s) {
  if (!s) return '—';
  const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d)/.exec(s);
  return m ? `${m[4]}:${m[5]} ${m[3]}/${m[2]}/${m[1]}` : s;
}

export function bytes(n) {
  return n >= 1048576 ? (n / 1048576).toFixed(n % 1048576 ? 1 : 0) + ' MB' : Math.ceil(n / 1024) + ' KB';
}

export async function getJSON(path, headers) {
  const r = await fetch(API + path, { headers: headers || {} });
  let body = null;
  try { body = await r.json(); } catch (_) { /* not JSON */ }
  return { status: r.status, body };
}

// the page frame: skip link, header with navigation and the language switch
export function frame(title, render) {
  document.documentElement.lang = lang();
  document.title = title() + ' — ' + t('portal');
  const header = document.querySelector('header');
  header.replaceChildren(
    el('a', { class: 'skip', href: '#main', text: t('skip') }),
    el('a', { class: 'brand', href: 'index.html', text: t('portal') }),
    el('nav', { 'aria-label': t('portal') },
      el('a', { href: 'index.html', text: t('nav_list') }),
      el('a', { href: 'lookup.html', text: t('nav_lookup') }),
      el('button', {
        type: 'button', class: 'lang', id: 'lang', lang: lang() === 'vi' ? 'en' : 'vi',
        'aria-label': t('lang_switch_label'), text: t('lang_switch'),
        onclick: () => { localStorage.setItem('dvc-lang', lang() === 'vi' ? 'en' : 'vi'); frame(title, render); },
      })));
  render();
}
