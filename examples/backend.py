#!/usr/bin/env python3
"""A small agency back-end: takes dossiers from the gateway's inbox and moves
each one through its lifecycle with signed events.

Debian packages only: python3 and python3-redis (HTTP with urllib).  It reads
`dvc:inbox` with a consumer group exactly as docs/inbox.md describes (and as
examples/inbox-consumer.py shows step by step), but instead of storing the
body it plays the agency: for every dossier a plan of events (docs/events.md)

    accept (procedures the desk accepts by hand) -> process
        -> [request_payment -> process] -> [delay] -> resolve -> return

(with --online-payment, request_payment asks for the procedure's fee, x-dvc
"fee", and the plan waits: the citizen pays through the provider, the
gateway moves the dossier 6 -> 4 and says so in the inbox, payment_received,
and that entry starts the rest: [delay] -> resolve -> return; a procedure
without a fee goes on as above, paid at the desk)

or, for a configurable share, a refusal at the desk, or a supplement request
(then the citizen's supplement, arriving in the inbox, starts a new round:
accept -> process -> resolve -> return).  A citizen's withdrawal request in
the inbox is confirmed, or (a configurable share) declined.  Reasons are
written for the citizen, in Vietnamese (with an English line).

Which dossier gets which plan is a function of its code and --seed, so a run
can be reproduced and a test can check what the gateway recorded.  Every
event has an id that is a function of the dossier's plan, and events carry no
time of their own: sending a step again (a retry, a restart, an entry
delivered twice) gives the gateway's stored first answer and applies nothing
twice.

    backend.py [--gateway URL] [--redis URL] [--key FILE] [--speed S] [--once]
               [--online-payment] [--cluster HOST:PORT]

--cluster: HOST:PORT is a node of the gateway's dvc_redis_cluster; the inbox
is then the 16 streams dvc:inbox:{00dd} .. dvc:inbox:{15db} (docs/redis.md),
each worked on the master serving it (CLUSTER SLOTS; examples/dvc_cluster.py)
with the dossiers' dvc:d:{NN}:CODE and dead letters dvc:inbox:{NN}:dead,
polled every 200 ms when all are empty.  A slot moved while it runs (MOVED)
stops it with status 1; a restart asks the cluster again.  The --redis URL
gives only the credentials then.

Logs one line per event: dossier code, event type, HTTP status, the
dossier's status after it (or the error code), the event id.  Never a name,
a reason or a body.  When the gateway cannot be reached or refuses the key,
a running back-end pauses those dossiers and tries again every 5 s; with
--once it stops.  Exit status: 0 ok, 1 gateway or Redis failure (entries left
pending for a later run), 2 bad call.
"""

import argparse
import hashlib
import hmac
import json
import os
import random
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import dvc_cluster                  # examples/dvc_cluster.py

try:
    import redis
except ImportError:                                  # pragma: no cover
    sys.exit("backend: needs python3-redis (apt-get install python3-redis)")

STREAM = "dvc:inbox"
DEAD = "dvc:inbox:dead"
VN = 7 * 3600                       # Vietnam is UTC+7 all year
RETRY_SECONDS = 5                   # a paused dossier, stale entries: again


def log(*words):
    print(" ".join(str(w) for w in words), flush=True)


# ---------------------------------------------------------------- reasons
# What an officer writes: for the citizen, specific, polite.  Keyed by
# procedure code; "*" for any other procedure.

DESK = "Bộ phận Tiếp nhận và Trả kết quả"
SPECIALIST = "Chuyên viên thụ lý hồ sơ"
LEADER = "Lãnh đạo phòng chuyên môn"

SUPPLEMENT = {
    "1.001193": (
        {"vi": "Hồ sơ chưa có Giấy chứng sinh do cơ sở y tế cấp; đề nghị bổ sung bản chụp Giấy chứng sinh của cháu.",
         "en": "The birth certificate issued by the hospital is missing; please add a scan of it."},
        [{"name": "Giấy chứng sinh", "note": "bản chụp từ bản chính, rõ số và ngày cấp"}]),
    "1.001612": (
        {"vi": "Chưa có giấy tờ chứng minh quyền sử dụng địa điểm kinh doanh; đề nghị bổ sung hợp đồng thuê hoặc mượn địa điểm.",
         "en": "Proof of the right to use the business premises is missing; please add the lease or loan agreement."},
        [{"name": "Hợp đồng thuê địa điểm kinh doanh", "note": "bản sao có chứng thực"}]),
    "1.002820": (
        {"vi": "Giấy khám sức khỏe của người lái xe đã quá 6 tháng kể từ ngày khám; đề nghị nộp giấy khám sức khỏe mới.",
         "en": "The driver's health certificate is older than 6 months; please submit a new one."},
        [{"name": "Giấy khám sức khỏe của người lái xe", "note": "do cơ sở y tế đủ điều kiện cấp, trong 6 tháng gần nhất"}]),
    "1.009994": (
        {"vi": "Bản vẽ thiết kế còn thiếu mặt bằng móng và sơ đồ đấu nối hạ tầng kỹ thuật; đề nghị bổ sung.",
         "en": "The design drawings lack the foundation plan and the utility connection diagram; please add them."},
        [{"name": "Bản vẽ mặt bằng móng công trình", "note": "tỷ lệ 1/100 đến 1/200"},
         {"name": "Sơ đồ đấu nối hệ thống thoát nước, cấp điện, cấp nước"}]),
    "2.000488": (
        {"vi": "Ảnh chụp Căn cước công dân bị mờ, không đọc được số định danh cá nhân; đề nghị chụp lại rõ hai mặt.",
         "en": "The ID card scan is blurred and the personal number cannot be read; please scan both sides again."},
        [{"name": "Căn cước công dân", "note": "ảnh chụp rõ nét cả hai mặt"}]),
    "*": (
        {"vi": "Thành phần hồ sơ chưa đầy đủ theo quy định của thủ tục; đề nghị bổ sung giấy tờ còn thiếu.",
         "en": "The dossier lacks documents the procedure requires; please add them."},
        [{"name": "Giấy tờ còn thiếu theo thủ tục", "note": "xem hướng dẫn của thủ tục"}]),
}

REFUSE = {
    "1.001612": {"vi": "Tên hộ kinh doanh trùng với tên hộ kinh doanh đã đăng ký trên địa bàn cấp huyện; đề nghị chọn tên khác và nộp lại.",
                 "en": "The business name is already registered in the district; please choose another name and submit again."},
    "1.002820": {"vi": "Giấy phép lái xe đang trong thời hạn bị tước quyền sử dụng nên chưa đủ điều kiện cấp lại.",
                 "en": "The licence is currently suspended, so it cannot be reissued yet."},
    "1.009994": {"vi": "Thửa đất thuộc khu vực đã có quyết định thu hồi đất để thực hiện dự án nên không đủ điều kiện cấp giấy phép xây dựng.",
                 "en": "The plot lies in an area under a land recovery decision, so no building permit can be issued."},
    "2.000488": {"vi": "Người yêu cầu cư trú tại tỉnh khác; hồ sơ cần nộp tại Sở Tư pháp nơi thường trú hoặc Trung tâm Lý lịch tư pháp quốc gia.",
                 "en": "The applicant lives in another province; the request goes to that province's Department of Justice or the national centre."},
    "*": {"vi": "Hồ sơ không thuộc thẩm quyền giải quyết của cơ quan; đề nghị nộp tại cơ quan có thẩm quyền.",
          "en": "This agency has no authority over the request; please submit it to the competent agency."},
}

DELAY = [
    {"vi": "Hồ sơ cần xác minh thêm thông tin với cơ quan công an nơi cư trú nên chưa thể trả kết quả đúng hẹn. Cơ quan chân thành xin lỗi ông/bà và hẹn lại ngày trả kết quả.",
     "en": "The file needs a check with the residence police, so the result cannot be returned on time. We sincerely apologise and set a new date."},
    {"vi": "Hệ thống cơ sở dữ liệu chuyên ngành gặp sự cố kỹ thuật trong hai ngày làm việc. Cơ quan xin lỗi ông/bà vì sự chậm trễ và hẹn lại thời gian trả kết quả.",
     "en": "The sector database was down for two working days. We apologise for the delay and set a new time for the result."},
    {"vi": "Hồ sơ phải lấy ý kiến của cơ quan liên quan và chưa nhận được văn bản trả lời. Chúng tôi xin lỗi ông/bà và hẹn lại ngày trả kết quả.",
     "en": "The file needs another agency's opinion, which has not arrived yet. We apologise and set a new date."},
]

PAYMENT = {"vi": "Đề nghị nộp lệ phí theo quy định qua Cổng Dịch vụ công quốc gia (mục Thanh toán trực tuyến) hoặc tại quầy thu của Bộ phận Một cửa.",
           "en": "Please pay the fee through the National Public Service Portal (online payment) or at the one-stop desk."}

PAYMENT_ONLINE = {"vi": "Đề nghị nộp lệ phí theo quy định bằng hình thức thanh toán trực tuyến (nút Thanh toán trên trang tra cứu hồ sơ).",
                  "en": "Please pay the fee online (the Pay button on the dossier's lookup page)."}

# a note is one string (reasons may be {"vi", "en"})
RESOLVE_NOTE = "Kết quả đã được ký duyệt, đóng dấu và sẵn sàng trả theo hình thức công dân đã chọn."

CONFIRM_WITHDRAWAL = {"vi": "Đồng ý cho ông/bà rút hồ sơ theo đề nghị; cơ quan dừng giải quyết hồ sơ.",
                      "en": "Your withdrawal is accepted; the agency stops handling the dossier."}

DECLINE_WITHDRAWAL = {"vi": "Kết quả giải quyết hồ sơ đã được lãnh đạo ký trước khi nhận được đề nghị rút; cơ quan tiếp tục trả kết quả cho ông/bà.",
                      "en": "The result was signed before your withdrawal request arrived; the agency goes on to deliver it."}


# ---------------------------------------------------------------- plans

def rng_for(seed, code, what):
    """The same choices for the same dossier, run after run."""
    digest = hashlib.sha256(("%s|%s|%s" % (seed, code, what)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def step(kind, actor, **fields):
    body = {"type": kind, "actor": actor}
    body.update(fields)
    return body


def plan_submission(args, code, procedure, manual, fee=0):
    """The agency's handling of a new dossier, as a list of event bodies
    (without ids).  `delay` carries no new_due_at yet: it is computed when
    the step is sent, from the dossier's appointment.  fee > 0: the fee is
    asked for online (--online-payment) and the plan stops there."""
    rng = rng_for(args.seed, code, "submission")
    roll = rng.random()
    steps = []
    if manual:
        if roll < args.refuse:
            return [step("refuse", DESK, reason=REFUSE.get(procedure, REFUSE["*"]))]
        steps.append(step("accept", DESK))
    steps.append(step("process", SPECIALIST))
    if roll >= 1 - args.supplement:
        reason, documents = SUPPLEMENT.get(procedure, SUPPLEMENT["*"])
        steps.append(step("request_supplement", SPECIALIST, reason=reason,
                          documents=documents))
        return steps                 # the citizen's move: the inbox tells
    return steps + plan_rest(args, rng, procedure, fee)


def plan_after_supplement(args, code, procedure, entry_id, fee=0):
    """The citizen sent the missing documents: the desk accepts again."""
    rng = rng_for(args.seed, code, "supplement " + entry_id)
    return [step("accept", DESK), step("process", SPECIALIST)] \
        + plan_rest(args, rng, procedure, fee)


def plan_after_payment(args, code, entry_id):
    """The citizen paid online (the gateway already moved 6 -> 4)."""
    rng = rng_for(args.seed, code, "payment " + entry_id)
    return plan_end(args, rng)


def plan_rest(args, rng, procedure, fee=0):
    steps = []
    if rng.random() < args.payment:
        if fee > 0:
            # the citizen's move: payment_received in the inbox goes on
            return [step("request_payment", SPECIALIST, reason=PAYMENT_ONLINE,
                         amount=fee)]
        steps.append(step("request_payment", SPECIALIST, reason=PAYMENT))
        steps.append(step("process", SPECIALIST))
    return steps + plan_end(args, rng)


def plan_end(args, rng):
    steps = []
    if rng.random() < args.delay:
        steps.append(step("delay", LEADER, reason=rng.choice(DELAY)))
    steps.append(step("resolve", LEADER, note=RESOLVE_NOTE))
    steps.append(step("return", DESK))
    return steps


def plan_withdrawal(args, code, entry_id):
    rng = rng_for(args.seed, code, "withdrawal " + entry_id)
    if rng.random() < args.decline:
        return [step("decline_withdrawal", LEADER, reason=DECLINE_WITHDRAWAL)]
    return [step("confirm_withdrawal", LEADER, reason=CONFIRM_WITHDRAWAL)]


# the status each event type leads to (decline: back to where it was)
TARGET = {"accept": 2, "refuse": 3, "request_supplement": 5, "process": 4,
          "request_payment": 6, "stop": 8, "confirm_withdrawal": 8,
          "resolve": 9, "return": 10}


def vn_time(ts):
    return time.strftime("%Y-%m-%dT%H:%M:%S+07:00", time.gmtime(ts + VN))


def new_appointment(due_ts, now, working_days=2):
    """The delay's new appointment: `working_days` weekdays after the
    original due day (or today, if that is already past), at 16:30 Vietnam
    time.  A function of the due time only while the dossier is not late,
    so a re-sent delay has the same body."""
    base = max(due_ts, now)
    day = (base + VN) // 86400
    left = working_days
    while left:
        day += 1
        if time.gmtime(day * 86400).tm_wday < 5:
            left -= 1
    return vn_time(day * 86400 + 16 * 3600 + 30 * 60 - VN)


# ---------------------------------------------------------------- the gateway

class GatewayError(Exception):
    """The gateway cannot be reached or keeps failing: retry later."""


class Gateway:
    def __init__(self, base, key, timeout=10):
        self.base = base.rstrip("/")
        self.path = urllib.parse.urlsplit(self.base).path
        self.key = key
        self.timeout = timeout
        self.xdvc = {}

    def _call(self, method, path, body=None, headers=None):
        req = urllib.request.Request(self.base + path, data=body, method=method,
                                     headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return resp.status, resp.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def procedure(self, procedure):
        """The procedure's x-dvc (GET /procedures/{code}), kept."""
        if procedure not in self.xdvc:
            try:
                status, raw = self._call("GET", "/procedures/" + procedure)
            except OSError as e:            # urllib's URLError is one
                raise GatewayError("procedure %s: %s" % (procedure, e))
            if status != 200:
                raise GatewayError("procedure %s: HTTP %d" % (procedure, status))
            self.xdvc[procedure] = json.loads(raw).get("x-dvc", {})
        return self.xdvc[procedure]

    def accepts_by_hand(self, procedure):
        """True when the desk accepts this procedure's dossiers by hand
        (its schema says "accept": "manual" in x-dvc)."""
        return self.procedure(procedure).get("accept", "manual") != "auto"

    def fee(self, procedure):
        """The procedure's fee in VND (x-dvc "fee"), 0 when none."""
        fee = self.procedure(procedure).get("fee", 0)
        return fee if isinstance(fee, int) and fee > 0 else 0

    def sign(self, ts, method, target, body):
        msg = b"%d\n%s\n%s\n" % (ts, method.encode(), target.encode()) + body
        return "v1=" + hmac.new(self.key, msg, hashlib.sha256).hexdigest()

    def event(self, code, body, tries=5):
        """POST one event; the same bytes on every try (only the timestamp
        and signature change), so a retry of an applied event gets the
        gateway's stored answer.  Returns (HTTP status, answer)."""
        path = "/dossiers/%s/events" % code
        target = self.path + path
        wait = 0.5
        for attempt in range(tries):
            ts = int(time.time())
            headers = {"Content-Type": "application/json",
                       "X-DVC-Timestamp": str(ts),
                       "X-DVC-Signature": self.sign(ts, "POST", target, body)}
            try:
                status, raw = self._call("POST", path, body, headers)
            except (urllib.error.URLError, OSError) as e:
                status, raw = None, str(e).encode()
            try:
                answer = json.loads(raw) if raw else {}
            except ValueError:
                answer = {}
            # 409 conflict: another writer changed the dossier at the same
            # moment; 429: a rate limit; 5xx/503: Redis or nginx trouble.
            # All pass.
            retry = status is None or status >= 500 or status == 429 or (
                status == 409 and answer.get("error") == "conflict")
            if not retry:
                return status, answer
            if attempt + 1 < tries:
                time.sleep(wait)
                wait *= 2
        raise GatewayError("event for %s: %s" % (code, status or raw.decode(errors="replace")))


# ---------------------------------------------------------------- jobs

class Source:
    """One inbox stream and the connection to the server that has it:
    dvc:inbox, or with --cluster a partition's dvc:inbox:{NN} on its
    master, whose dossiers (dvc:d:{NN}:CODE) and dead letters are there
    too."""

    def __init__(self, r, tag=None):
        self.r = r
        if tag is None:
            self.stream, self.dead, self.dprefix = STREAM, DEAD, "dvc:d:"
        else:
            self.stream = "%s:{%s}" % (STREAM, tag)
            self.dead = "%s:{%s}:dead" % (STREAM, tag)
            self.dprefix = "dvc:d:{%s}:" % tag

    def dossier(self, code):
        return self.dprefix + code


class Job:
    """One inbox entry being worked: the plan's events, one per tick."""

    def __init__(self, src, entry_id, code, kind, steps, round_tag):
        self.src = src
        self.entry_id = entry_id
        self.code = code
        self.kind = kind
        self.steps = steps
        self.round = round_tag
        self.next = 0
        self.due = 0.0

    def event_id(self, i):
        # unique per dossier, the same every time this plan is run
        return "%s.%d.%s" % (self.round, i + 1, self.steps[i]["type"])


def channel_of(f):
    """A dossier the desk itself entered (counter, postal: a signed intake)
    was accepted when it was recorded; the citizen's own are "online"."""
    try:
        body = json.loads(f.get("body") or "{}")
    except ValueError:
        return "online"
    ch = body.get("channel") if isinstance(body, dict) else None
    return ch if ch in ("counter", "postal") else "online"


MORE, DONE, KEEP = "more", "done", "keep"


def step_on(job):
    job.next += 1
    return MORE if job.next < len(job.steps) else DONE


def error_code(answer):
    e = answer.get("error")
    if isinstance(e, dict):
        return e.get("code", "?")
    return e or "?"


class Backend:
    def __init__(self, args, sources, gw):
        self.args = args
        self.sources = sources
        self.gw = gw
        self.jobs = []
        self.waiting = {}            # code -> Job stopped by a withdrawal request
        self.events = 0
        self.failed = False
        self.reread = False          # own pending entries to read again

    # ---- the inbox (docs/inbox.md)

    def ensure_group(self, src):
        try:
            src.r.xgroup_create(src.stream, self.args.group, id="0", mkstream=True)
            log("created group", self.args.group)
        except redis.ResponseError as e:
            if not str(e).startswith("BUSYGROUP"):
                raise

    def take(self, src, entries):
        n = 0
        for entry_id, f in entries:
            if self.job_for(src, entry_id):
                continue                    # already being worked
            if not f:
                # deleted from the stream while pending: nothing to do
                src.r.xack(src.stream, self.args.group, entry_id)
                continue
            try:
                n += self.start(src, entry_id, f)
            except GatewayError as e:
                if self.args.once:
                    raise
                # left pending for this consumer: read again later
                log(f.get("code", "?"), "paused:", e)
                self.reread = True
        return n

    def job_for(self, src, entry_id):
        return any(j.src is src and j.entry_id == entry_id for j in self.jobs)

    def read_own_pending(self, src):
        """What this consumer name was given before a restart and never
        acknowledged: its plans are run again (replays are harmless)."""
        got = src.r.xreadgroup(self.args.group, self.args.consumer,
                               {src.stream: "0"}, count=100)
        return self.take(src, got[0][1]) if got else 0

    def claim_stale(self, src):
        """Entries another consumer took and left (it crashed): XAUTOCLAIM
        takes those idle longer than --claim-idle; one that keeps coming
        back goes to the dead-letter stream for a human."""
        n, start = 0, "0-0"
        while True:
            reply = src.r.xautoclaim(src.stream, self.args.group, self.args.consumer,
                                      self.args.claim_idle, start, count=100)
            start, entries = reply[0], reply[1]
            live = []
            for entry_id, f in entries:
                if self.job_for(src, entry_id):
                    continue             # ours, being worked (a slow --speed)
                info = src.r.xpending_range(src.stream, self.args.group,
                                             min=entry_id, max=entry_id, count=1)
                deliveries = info[0]["times_delivered"] if info else 0
                if deliveries > self.args.max_deliveries:
                    if f:
                        src.r.xadd(src.dead, dict(f, id=entry_id))
                    src.r.xack(src.stream, self.args.group, entry_id)
                    log("dead-lettered", entry_id, "after", deliveries, "deliveries")
                    continue
                log("claimed", entry_id, "delivered", deliveries, "times")
                live.append((entry_id, f))
            n += self.take(src, live)
            if start in ("0-0", b"0-0"):
                return n

    def read_new(self, src, block_ms):
        got = src.r.xreadgroup(self.args.group, self.args.consumer,
                               {src.stream: ">"}, count=100, block=block_ms)
        return self.take(src, got[0][1]) if got else 0

    def done(self, job):
        job.src.r.xack(job.src.stream, self.args.group, job.entry_id)
        self.jobs.remove(job)

    def online_fee(self, procedure):
        """The fee to ask for online, or 0 (not --online-payment, no fee)."""
        return self.gw.fee(procedure) if self.args.online_payment else 0

    # ---- plans

    def start(self, src, entry_id, f):
        code = f.get("code", "")
        kind = f.get("type", "submission")
        if kind in ("submission", "submitted"):
            procedure = f.get("procedure", "")
            steps = plan_submission(self.args, code, procedure,
                                    self.gw.accepts_by_hand(procedure)
                                    and channel_of(f) == "online",
                                    self.online_fee(procedure))
            job = Job(src, entry_id, code, kind, steps, "b")
        elif kind == "supplement":
            procedure = f.get("procedure", "")
            if not procedure:
                procedure = src.r.hget(src.dossier(code), "procedure") or ""
            self.waiting.pop(code, None)
            steps = plan_after_supplement(self.args, code, procedure, entry_id,
                                          self.online_fee(procedure))
            job = Job(src, entry_id, code, kind, steps, "s" + entry_id)
        elif kind == "payment_received" and self.args.online_payment:
            log(code, "paid online:", f.get("amount", "?"), "VND,",
                f.get("provider", "?"), "transaction", f.get("transaction_no", "?"))
            steps = plan_after_payment(self.args, code, entry_id)
            job = Job(src, entry_id, code, kind, steps, "p" + entry_id)
        elif kind == "withdrawal_requested":
            steps = plan_withdrawal(self.args, code, entry_id)
            job = Job(src, entry_id, code, kind, steps, "w" + entry_id)
        else:
            log(code or "?", kind, "ignored: unknown entry type", entry_id)
            src.r.xack(src.stream, self.args.group, entry_id)
            return 0
        job.due = time.monotonic() + self.args.speed
        self.jobs.append(job)
        return 1

    def resume(self, src, code, entry_id, status):
        """A declined withdrawal: the stopped plan goes on where it was.
        Returns True when a new job took over the withdrawal's inbox entry.

        After a restart that plan is not in memory any more: the dossier's
        first plan is taken up again after the step that led to its current
        status (a step sent again is answered from the gateway's memory and
        applies nothing).  A dossier back in 5 waits for the citizen."""
        job = self.waiting.pop(code, None)
        if job is not None:
            job.due = time.monotonic() + self.args.speed
            self.jobs.append(job)
            return False
        if status == 5:
            return False
        procedure = src.r.hget(src.dossier(code), "procedure") or ""
        steps = plan_submission(self.args, code, procedure,
                                self.gw.accepts_by_hand(procedure),
                                self.online_fee(procedure))
        job = Job(src, entry_id, code, "submission", steps, "b")
        for i, st in enumerate(steps):
            if TARGET.get(st["type"]) == status:
                job.next = i + 1
                break
        if job.next >= len(steps):
            return False
        job.due = time.monotonic() + self.args.speed
        self.jobs.append(job)
        return True

    def body(self, job, i):
        ev = dict(job.steps[i], id=job.event_id(i))
        if ev["type"] == "delay":
            due = job.src.r.hget(job.src.dossier(job.code), "due_ts")
            if due is None:
                return None
            ev["new_due_at"] = new_appointment(int(due), int(time.time()))
        # key order fixed, no time of our own: the same bytes every run
        return json.dumps(ev, ensure_ascii=False, separators=(",", ":")).encode()

    def advance(self, job):
        """Send the job's next event.  Returns MORE (steps left), DONE (the
        plan is over or waits for the citizen: acknowledge the entry) or
        KEEP (stop working it but leave the entry pending)."""
        i = job.next
        ev = job.steps[i]
        body = self.body(job, i)
        if body is None:
            log(job.code, ev["type"], "skipped: no appointment to delay")
            return step_on(job)
        # keep the entry ours while we work it (XAUTOCLAIM elsewhere goes by
        # idle time): claiming it again resets its idle clock
        job.src.r.xclaim(job.src.stream, self.args.group, self.args.consumer,
                         0, [job.entry_id], justid=True)
        status, answer = self.gw.event(job.code, body)
        self.events += 1
        eid = job.event_id(i)
        if status == 200:
            log(job.code, ev["type"], 200, "status=%s" % answer.get("status"), eid)
            if ev["type"] == "confirm_withdrawal":
                self.waiting.pop(job.code, None)   # stopped for good
            if ev["type"] == "decline_withdrawal" \
                    and self.resume(job.src, job.code, job.entry_id, answer.get("status")):
                return KEEP                  # the resumed plan acknowledges it
            return step_on(job)

        code = error_code(answer)
        now = answer.get("status")
        now = now.get("number") if isinstance(now, dict) else None
        extra = []
        if answer.get("field"):
            extra.append("field=%s" % answer["field"])
        if now is not None:
            extra.append("status=%s" % now)
        log(job.code, ev["type"], status, code, *extra, eid)
        if status == 409 and code == "illegal_transition":
            if now == TARGET.get(ev["type"]):
                return step_on(job)      # already there (accepted at once, ...)
            if now == 7:
                # the citizen asked to withdraw: the withdrawal entry decides
                self.waiting[job.code] = job
            return DONE
        if status == 409 and code == "event_id_reused":
            # applied before with other bytes (a delay re-sent after its
            # appointment moved): it happened, go on
            return step_on(job)
        if status in (401, 403):
            raise GatewayError("events refused (%s): check --key and dvc_event_key" % code)
        # 404 (no such dossier), 400/422 (a plan the gateway rejects): stop
        # this dossier and leave the entry pending for a human
        self.failed = True
        return KEEP

    def tick(self):
        """Run every job whose step is due; returns seconds to the next."""
        now = time.monotonic()
        for job in list(self.jobs):
            if job.due > now:
                continue
            try:
                what = self.advance(job)
            except GatewayError as e:
                if self.args.once:
                    raise
                # down, restarting, or a key being rotated: wait, the plan
                # keeps its place and the entry stays ours
                log(job.code, "paused:", e)
                job.due = time.monotonic() + RETRY_SECONDS
                continue
            if what == MORE:
                job.due = time.monotonic() + self.args.speed
            elif what == KEEP:
                self.jobs.remove(job)          # not acknowledged
            else:
                self.done(job)
        if not self.jobs:
            return None
        return max(0.0, min(j.due for j in self.jobs) - time.monotonic())

    def run(self):
        for src in self.sources:
            self.ensure_group(src)
            self.read_own_pending(src)
        last_claim = 0.0
        polled = len(self.sources) > 1       # a cluster's 16 streams
        while True:
            if time.monotonic() - last_claim >= RETRY_SECONDS:
                reread, self.reread = self.reread, False
                for src in self.sources:
                    if reread:
                        self.read_own_pending(src)
                    self.claim_stale(src)
                last_claim = time.monotonic()
            wait = self.tick()
            if self.args.once or polled:
                got = sum(self.read_new(src, None) for src in self.sources)
                if self.args.once and not got and not self.jobs:
                    return
                if not got:
                    # polled: every 200 ms when all are empty
                    time.sleep(wait if wait is not None and
                               (self.args.once or wait < 0.2) else 0.2)
            else:
                block = 5000 if wait is None else max(1, int(wait * 1000))
                self.read_new(self.sources[0], block)


def cluster_sources(args):
    """A Source per partition, on the master serving it (one connection
    per master); the --redis URL's credentials, if any, for every node."""
    ck = redis.Redis.from_url(args.redis).connection_pool.connection_kwargs
    kw = {k: ck[k] for k in ("username", "password") if ck.get(k)}
    host, _, port = args.cluster.rpartition(":")
    host = host or "127.0.0.1"
    seed = redis.Redis(host=host, port=int(port), decode_responses=True, **kw)
    try:
        slots = seed.execute_command("CLUSTER", "SLOTS")
    finally:
        seed.close()
    conns, out = {}, []
    for tag, h, p in dvc_cluster.masters(slots, host):
        if (h, p) not in conns:
            conns[(h, p)] = redis.Redis(host=h, port=p,
                                        decode_responses=True, **kw)
        out.append(Source(conns[(h, p)], tag))
    return out


def read_key(path):
    st = os.stat(path)
    if st.st_mode & 0o077:
        raise SystemExit("backend: %s is readable by others; chmod 600 it" % path)
    with open(path, "rb") as f:
        key = f.read().rstrip()
    if len(key) < 32:
        raise SystemExit("backend: %s: the key must be at least 32 bytes" % path)
    return key


def share(s):
    v = float(s)
    if not 0 <= v <= 1:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return v


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gateway", default="http://127.0.0.1:8080/dvc/v1",
                   help="the API's base URL (default %(default)s)")
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0",
                   help="Redis URL, e.g. redis://:PASSWORD@host:6379/0 or "
                        "unix:///run/redis/redis.sock (default %(default)s)")
    p.add_argument("--key", default="event.key",
                   help="the event key file, as dvc_event_key (mode 0600)")
    p.add_argument("--speed", type=float, default=2.0,
                   help="seconds between two steps of a dossier (default 2)")
    p.add_argument("--once", action="store_true",
                   help="work what the inbox holds to its end, then exit")
    p.add_argument("--cluster", metavar="HOST:PORT",
                   help="a node of the gateway's dvc_redis_cluster: work "
                        "the 16 streams dvc:inbox:{NN} on their masters")
    p.add_argument("--group", default="backend")
    p.add_argument("--consumer", default="%s-backend" % socket.gethostname(),
                   help="stable per worker, so a restart finds its own "
                        "pending entries (default HOST-backend)")
    p.add_argument("--claim-idle", type=int, default=60000,
                   help="ms before another consumer's pending entry is "
                        "taken over (default 60000)")
    p.add_argument("--max-deliveries", type=int, default=5)
    p.add_argument("--seed", default="dvc", help="varies the plans (default dvc)")
    p.add_argument("--refuse", type=share, default=0.1,
                   help="share of hand-accepted dossiers refused at the desk")
    p.add_argument("--supplement", type=share, default=0.15,
                   help="share of dossiers the specialist asks to supplement")
    p.add_argument("--payment", type=share, default=0.1,
                   help="share of dossiers that wait for a fee")
    p.add_argument("--online-payment", action="store_true",
                   help="ask for the procedure's fee (x-dvc fee) to be paid "
                        "online and wait for the payment_received entry "
                        "(docs/payment.md); without it the fee is paid at "
                        "the desk")
    p.add_argument("--delay", type=share, default=0.2,
                   help="share of dossiers late with an apology (form 04)")
    p.add_argument("--decline", type=share, default=0.2,
                   help="share of withdrawal requests declined")
    args = p.parse_args()
    if args.refuse + args.supplement > 1:
        p.error("--refuse and --supplement add up to more than 1")

    key = read_key(args.key)
    try:
        if args.cluster:
            sources = cluster_sources(args)
        else:
            sources = [Source(redis.Redis.from_url(args.redis,
                                                   decode_responses=True))]
        backend = Backend(args, sources, Gateway(args.gateway, key))
        backend.run()
    except (redis.RedisError, GatewayError, LookupError) as e:
        print("backend: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    log("done:", backend.events, "events sent")
    return 1 if backend.failed else 0


if __name__ == "__main__":
    sys.exit(main())
