#!/usr/bin/env python3
"""Sends the citizens' notices the gateway writes to the stream `dvc:notify`.

The gateway appends one entry per change a citizen must hear of (accepted
with the appointment, supplement requested, refused, delayed with an
apology, payment required, payment received, stopped, resolved, returned)
in the same Redis call as the change, and sends nothing itself (docs/notifications.md).  This
consumer reads the stream with a consumer group, as docs/inbox.md describes
for dvc:inbox (XREADGROUP, XACK, XAUTOCLAIM of a crashed worker's entries,
dead-lettering to dvc:notify:dead), and hands each entry to its channels'
adapters:

  - e-mail, through SMTP (smtplib): the Vietnamese subject and text, then
    the English text, to the dossier's contact address;
  - SMS through a carrier's HTTP gateway (--sms-http URL): one form POST
    per message, the phone and a short Vietnamese text (the first line and
    the lookup link), fixed parameters and the credentials of the
    operator's contract; a 2xx answer means sent;
  - Zalo through ZNS, Zalo's template messages (--zalo-zns-templates FILE):
    one JSON POST per message with the template registered for the notice
    and its parameters taken from the entry; {"error": 0} means sent;
  - or, for either, a command of the operator's (--sms-cmd, --zalo-cmd) run
    with the phone number as its argument and the Vietnamese text on stdin;
    its exit status 0 means sent.
    (docs/notifications.md: what each sends, and what was not verified.)

An adapter that fails leaves the entry pending (it is delivered again, up to
--max-deliveries); one that succeeded is not run again for the same entry:
each sent channel is remembered under dvc:notify:sent:{code}:{event}, so an
entry delivered twice is not mailed twice (a crash between the send and that
mark can still send twice: at-least-once).

Debian packages only: python3, python3-redis.

    notifier.py [--redis URL] [--smtp HOST:PORT] [--from ADDR] [--once]
                [--cluster HOST:PORT]

--cluster: HOST:PORT is a node of the gateway's dvc_redis_cluster; the
notices are then the 16 streams dvc:notify:{00dd} .. dvc:notify:{15db}
(docs/redis.md), each read on the master serving it (CLUSTER SLOTS, asked
again on MOVED/ASK; examples/dvc_cluster.py), polled every 200 ms when all
are empty; the sent marks and dead letters carry the stream's tag
(dvc:notify:{NN}:sent:CODE:EVENT, dvc:notify:{NN}:dead).  The --redis URL
gives only the credentials then.

Logs one line per entry and channel: the dossier code, the template, the
channel, sent/failed/skipped, the entry id.  Never an address, a phone
number or a text.  Exit status: 0 ok, 1 Redis or a channel failed (entries
left pending), 2 bad call.
"""

import argparse
import base64
import json
import os
import smtplib
import socket
import subprocess
import sys
import time
import unicodedata
import urllib.error
import urllib.parse
import urllib.request
from email.header import Header
from email.mime.text import MIMEText
from email.utils import formatdate, make_msgid

import dvc_cluster                  # examples/dvc_cluster.py

try:
    import redis
except ImportError:                                  # pragma: no cover
    sys.exit("notifier: needs python3-redis (apt-get install python3-redis)")

STREAM = "dvc:notify"
DEAD = "dvc:notify:dead"
SENT_TTL = 30 * 86400               # remember sent channels for 30 days


def log(*words):
    print(" ".join(str(w) for w in words), flush=True)


class EmailAdapter:
    """Mail through an SMTP relay (the agency's, or a local MTA)."""

    name = "email"

    def __init__(self, args):
        host, _, port = args.smtp.rpartition(":")
        self.host = host or "127.0.0.1"
        self.port = int(port or 25)
        self.sender = args.sender
        self.starttls = args.smtp_starttls
        self.user = args.smtp_user
        self.password = None
        if args.smtp_password_file:
            with open(args.smtp_password_file, encoding="utf-8") as f:
                self.password = f.read().rstrip("\n")

    def wants(self, e):
        return bool(e.get("email"))

    def send(self, e):
        body = e.get("text_vi", "")
        if e.get("text_en"):
            body += "\n\n-- English --\n" + e.get("subject_en", "") + "\n\n" \
                    + e["text_en"]
        # MIMEText and Header (RFC 2047 words that keep their spaces):
        # python 3.11's EmailMessage folds a long Vietnamese subject into
        # encoded words and loses the space at the fold
        msg = MIMEText(body + "\n", "plain", "utf-8")
        msg["From"] = self.sender
        msg["To"] = e["email"]
        msg["Subject"] = Header(e.get("subject_vi", ""), "utf-8")
        msg["Date"] = formatdate(localtime=False)
        msg["Message-ID"] = make_msgid(idstring=e.get("code", ""),
                                       domain=self.sender.rpartition("@")[2]
                                       or None)
        msg["Auto-Submitted"] = "auto-generated"
        with smtplib.SMTP(self.host, self.port, timeout=15) as s:
            if self.starttls:
                s.starttls()
            if self.user:
                s.login(self.user, self.password or "")
            s.send_message(msg)


class CommandAdapter:
    """SMS or Zalo: the operator's program, PHONE as its argument, the text
    on stdin; exit status 0 means sent."""

    def __init__(self, name, command):
        self.name = name
        self.command = command

    def wants(self, e):
        return bool(e.get("phone")) and self.name in \
            e.get("channels", "").split(",")

    def send(self, e):
        text = e.get("text_vi", "")
        p = subprocess.run([self.command, e["phone"]], input=text.encode(),
                           stdout=subprocess.DEVNULL, timeout=30)
        if p.returncode != 0:
            raise RuntimeError("exit status %d" % p.returncode)


def secret_file(path, what):
    """A credentials file's text; refused unless mode 0600 or stricter."""
    if os.stat(path).st_mode & 0o077:
        raise SystemExit("notifier: %s must be mode 0600" % what)
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def ascii_vi(text):
    """Vietnamese without diacritics (for gateways that take GSM 7-bit
    only): NFD, combining marks dropped, đ/Đ as d/D."""
    text = text.replace("đ", "d").replace("Đ", "D")
    return "".join(c for c in unicodedata.normalize("NFD", text)
                   if not unicodedata.combining(c))


def short_text(e):
    """An SMS: the text's first line (the code and what happened) and the
    lookup link."""
    first = e.get("text_vi", "").split("\n", 1)[0]
    return first + ("\n" + e["link"] if e.get("link") else "")


def http_post(url, data, headers, timeout=20):
    """POST; the status, and the body as text.  Raises OSError (urllib's
    errors are) when no answer came."""
    req = urllib.request.Request(url, data=data, headers=headers,
                                 method="POST")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as he:
        return he.code, he.read().decode("utf-8", "replace")


class HttpSmsAdapter:
    """SMS through a carrier's HTTP gateway (brandname SMS): a form POST of
    to=PHONE and text=TEXT (field names as --sms-http-to/-text), the fixed
    --sms-http-param NAME=VALUE (brandname, account...), the credentials of
    --sms-http-auth-file as Authorization ("Bearer TOKEN" as is,
    "user:password" as Basic).  2xx: sent; anything else: failed."""

    name = "sms"

    def __init__(self, args):
        self.url = args.sms_http
        self.to_field = args.sms_http_to
        self.text_field = args.sms_http_text
        self.params = []
        for p in args.sms_http_param or []:
            k, eq, v = p.partition("=")
            if not eq or not k:
                raise SystemExit("notifier: --sms-http-param NAME=VALUE")
            self.params.append((k, v))
        self.ascii = args.sms_ascii
        self.auth = None
        if args.sms_http_auth_file:
            cred = secret_file(args.sms_http_auth_file, "--sms-http-auth-file")
            if cred.lower().startswith("bearer "):
                self.auth = cred
            else:
                self.auth = "Basic " + base64.b64encode(
                    cred.encode()).decode()

    def wants(self, e):
        return bool(e.get("phone")) and "sms" in \
            e.get("channels", "").split(",")

    def send(self, e):
        text = short_text(e)
        if self.ascii:
            text = ascii_vi(text)
        form = [(self.to_field, e["phone"]), (self.text_field, text)] \
            + self.params
        headers = {"Content-Type":
                   "application/x-www-form-urlencoded; charset=utf-8"}
        if self.auth:
            headers["Authorization"] = self.auth
        status, _ = http_post(self.url,
                              urllib.parse.urlencode(form).encode(), headers)
        if not 200 <= status < 300:
            raise RuntimeError("HTTP %d" % status)


class ZaloZnsAdapter:
    """Zalo ZNS: a template registered with Zalo in advance, sent with its
    parameters to the phone's Zalo account.  --zalo-zns-templates FILE maps
    each notice's template key to the ZNS template and its parameters:

        {"accepted": {"template_id": "123456",
                      "params": {"ma_ho_so": "code", "ngay": "at_vi",
                                 "tra_cuu": "link"}}, ...}

    a parameter's source is an entry field (code, status, template, link,
    subject_vi) or at_vi (the act's time, "09:10 08/12/2026").  A notice
    with no template in the file is not sent by Zalo (logged skipped).
    POST --zalo-zns-url with the header access_token (the OA's token, from
    --zalo-token-file) and {"phone": "84…", "template_id", "template_data",
    "tracking_id": "CODE:EVENT"}; the answer's "error" 0 means sent."""

    name = "zalo"

    def __init__(self, args):
        self.url = args.zalo_zns_url
        with open(args.zalo_zns_templates, encoding="utf-8") as f:
            self.templates = json.load(f)
        self.token = secret_file(args.zalo_token_file, "--zalo-token-file") \
            if args.zalo_token_file else ""

    def wants(self, e):
        return bool(e.get("phone")) and "zalo" in \
            e.get("channels", "").split(",")

    @staticmethod
    def phone84(phone):
        p = phone.strip().lstrip("+")
        return "84" + p[1:] if p.startswith("0") else p

    @staticmethod
    def value(e, source):
        if source == "at_vi":
            at = e.get("at", "")        # 2026-12-08T09:10:00+07:00
            return "%s %s/%s/%s" % (at[11:16], at[8:10], at[5:7], at[0:4]) \
                if len(at) >= 16 else ""
        return e.get(source, "")

    def send(self, e):
        t = self.templates.get(e.get("template", ""))
        if not t:
            return "skipped (no ZNS template)"
        body = {"phone": self.phone84(e["phone"]),
                "template_id": str(t["template_id"]),
                "template_data": {k: self.value(e, v)
                                  for k, v in t.get("params", {}).items()},
                "tracking_id": "%s:%s" % (e.get("code", ""),
                                          e.get("event", ""))}
        status, text = http_post(
            self.url, json.dumps(body, ensure_ascii=False).encode(),
            {"Content-Type": "application/json", "access_token": self.token})
        try:
            err = json.loads(text).get("error")
        except (ValueError, AttributeError):
            err = None
        if status != 200 or err != 0:
            raise RuntimeError("HTTP %d error %s" % (status, err))
        return None


class Notifier:
    """One notice stream: dvc:notify, or a cluster partition's
    dvc:notify:{NN} on its master, whose dead letters and sent marks carry
    the same tag (one slot)."""

    def __init__(self, r, args, adapters, tag=None):
        self.r = r
        self.args = args
        self.adapters = adapters
        if tag is None:
            self.stream, self.dead = STREAM, DEAD
            self.sent = "dvc:notify:sent:%s:%s"
        else:
            self.stream = "%s:{%s}" % (STREAM, tag)
            self.dead = "%s:{%s}:dead" % (STREAM, tag)
            self.sent = "dvc:notify:{%s}:sent:%%s:%%s" % tag

    def ensure_group(self):
        try:
            self.r.xgroup_create(self.stream, self.args.group, id="0", mkstream=True)
            log("created group", self.args.group)
        except redis.ResponseError as e:
            if "BUSYGROUP" not in str(e):
                raise

    def handle(self, eid, e):
        """True when every channel the entry allows is done."""
        code = e.get("code", "?")
        template = e.get("template", "?")
        mark = self.sent % (code, e.get("event", eid))
        done = True
        wanted = [a for a in self.adapters if a.wants(e)]
        if not wanted:
            log(code, template, "-", "skipped (no channel)", eid)
        for a in wanted:
            if self.r.hexists(mark, a.name):
                log(code, template, a.name, "skipped (already sent)", eid)
                continue
            try:
                skipped = a.send(e)
            except (OSError, smtplib.SMTPException, RuntimeError,
                    subprocess.SubprocessError) as why:
                # the exception's class only: its text may quote an address
                log(code, template, a.name, "failed", type(why).__name__, eid)
                done = False
                continue
            if skipped:                 # nothing to send on this channel
                log(code, template, a.name, skipped, eid)
                continue
            self.r.hset(mark, a.name, int(time.time()))
            self.r.expire(mark, SENT_TTL)
            log(code, template, a.name, "sent", eid)
        return done

    def work(self, entries):
        failed = False
        for eid, fields in entries:
            if fields is None:              # trimmed away meanwhile
                self.r.xack(self.stream, self.args.group, eid)
                continue
            if self.handle(eid, fields):
                self.r.xack(self.stream, self.args.group, eid)
            else:
                failed = True
        return failed

    def claim(self):
        """Entries of crashed consumers, and our own too often delivered."""
        failed = False
        start = "0-0"
        while True:
            reply = self.r.xautoclaim(self.stream, self.args.group,
                                      self.args.consumer,
                                      self.args.claim_idle, start, count=100)
            start, entries = reply[0], reply[1]
            if entries:
                failed |= self.work(self.dead_letter(entries))
            if start in ("0-0", b"0-0"):
                return failed

    def dead_letter(self, entries):
        keep = []
        ids = [eid for eid, _ in entries]
        counts = {}
        if ids:
            for p in self.r.xpending_range(self.stream, self.args.group,
                                           min=ids[0], max=ids[-1],
                                           count=len(ids) + 100):
                counts[p["message_id"]] = p["times_delivered"]
        for eid, fields in entries:
            if counts.get(eid, 0) > self.args.max_deliveries and fields:
                self.r.xadd(self.dead, dict(fields, notify_id=eid))
                self.r.xack(self.stream, self.args.group, eid)
                log(fields.get("code", "?"), fields.get("template", "?"), "-",
                    "dead-lettered", eid)
                continue
            keep.append((eid, fields))
        return keep

    def start(self):
        """The group, then our own pending entries (a restart)."""
        self.ensure_group()
        failed = False
        own = self.r.xreadgroup(self.args.group, self.args.consumer,
                                {self.stream: "0"}, count=100)
        for _, entries in own:
            failed |= self.work(self.dead_letter(entries))
        return failed

    def drain(self):
        """Stale entries, then every new one, without blocking: (failed,
        how many entries were read)."""
        failed = self.claim()
        n = 0
        while True:
            reply = self.r.xreadgroup(self.args.group, self.args.consumer,
                                      {self.stream: ">"}, count=100)
            if not reply:
                return failed, n
            for _, entries in reply:
                n += len(entries)
                failed |= self.work(entries)

    def run(self):
        failed = self.start()
        while True:
            failed |= self.claim()
            reply = self.r.xreadgroup(self.args.group, self.args.consumer,
                                      {self.stream: ">"}, count=100,
                                      block=None if self.args.once else 5000)
            if not reply:
                if self.args.once:
                    return 1 if failed else 0
                continue
            for _, entries in reply:
                failed |= self.work(entries)


def cluster_streams(args, adapters, kw):
    """A Notifier per partition, on the master serving it (one connection
    per master)."""
    host, _, port = args.cluster.rpartition(":")
    host = host or "127.0.0.1"
    seed = redis.Redis(host=host, port=int(port), **kw)
    conns, out = {}, []
    try:
        slots = seed.execute_command("CLUSTER", "SLOTS")
    finally:
        seed.close()
    for tag, h, p in dvc_cluster.masters(slots, host):
        if (h, p) not in conns:
            conns[(h, p)] = redis.Redis(host=h, port=p, **kw)
        out.append(Notifier(conns[(h, p)], args, adapters, tag))
    return out


def run_cluster(args, adapters, kw):
    """Every partition's stream, polled (every 200 ms when all are empty);
    the map asked again when a slot moved (MOVED/ASK)."""
    failed = False
    started = False
    while True:
        try:
            if not started:
                streams = cluster_streams(args, adapters, kw)
                for n in streams:
                    failed |= n.start()
                started = True
            got = 0
            for n in streams:
                f, k = n.drain()
                failed |= f
                got += k
        except redis.ResponseError as e:
            if not str(e).startswith(("MOVED", "ASK")):
                raise
            log("notifier: cluster changed, asking for the map again")
            started = False
            continue
        if args.once:
            return 1 if failed else 0
        if got == 0:
            time.sleep(0.2)


def make_adapters(args):
    adapters = []
    if not args.no_email:
        adapters.append(EmailAdapter(args))
    if args.sms_cmd and args.sms_http or args.zalo_cmd and \
            args.zalo_zns_templates:
        log("notifier: one adapter per channel (a command or HTTP)")
        return None
    if args.sms_cmd:
        adapters.append(CommandAdapter("sms", args.sms_cmd))
    if args.sms_http:
        adapters.append(HttpSmsAdapter(args))
    if args.zalo_cmd:
        adapters.append(CommandAdapter("zalo", args.zalo_cmd))
    if args.zalo_zns_templates:
        adapters.append(ZaloZnsAdapter(args))

    return adapters


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    ap.add_argument("--cluster", metavar="HOST:PORT",
                    help="a node of the gateway's dvc_redis_cluster: read "
                    "the 16 streams dvc:notify:{NN} on their masters")
    ap.add_argument("--group", default="notifier")
    ap.add_argument("--consumer", default=socket.gethostname() + "-notifier")
    ap.add_argument("--smtp", default="127.0.0.1:25", help="HOST:PORT")
    ap.add_argument("--smtp-starttls", action="store_true")
    ap.add_argument("--smtp-user")
    ap.add_argument("--smtp-password-file")
    ap.add_argument("--from", dest="sender",
                    default="khong-tra-loi@dichvucong.example.vn")
    ap.add_argument("--no-email", action="store_true")
    ap.add_argument("--sms-cmd", help="program: PHONE as argument, text on "
                    "stdin")
    ap.add_argument("--zalo-cmd", help="the same for Zalo")
    ap.add_argument("--sms-http", metavar="URL",
                    help="the carrier's HTTP SMS gateway (form POST)")
    ap.add_argument("--sms-http-to", default="to", metavar="FIELD")
    ap.add_argument("--sms-http-text", default="text", metavar="FIELD")
    ap.add_argument("--sms-http-param", action="append",
                    metavar="NAME=VALUE", help="a fixed form field (repeat)")
    ap.add_argument("--sms-http-auth-file", metavar="FILE",
                    help="'Bearer TOKEN' or 'user:password', mode 0600")
    ap.add_argument("--sms-ascii", action="store_true",
                    help="SMS without diacritics")
    ap.add_argument("--zalo-zns-templates", metavar="FILE",
                    help="JSON: notice template -> ZNS template, params")
    ap.add_argument("--zalo-zns-url",
                    default="https://business.openapi.zalo.me/message/template")
    ap.add_argument("--zalo-token-file", metavar="FILE",
                    help="the OA's access token, mode 0600")
    ap.add_argument("--claim-idle", type=int, default=60000)
    ap.add_argument("--max-deliveries", type=int, default=5)
    ap.add_argument("--once", action="store_true")
    args = ap.parse_args()

    if args.smtp_password_file and os.stat(args.smtp_password_file).st_mode \
            & 0o077:
        log("notifier: the SMTP password file must be mode 0600")
        return 2

    try:
        adapters = make_adapters(args)
    except (SystemExit, OSError, ValueError) as why:
        log(str(why) if isinstance(why, SystemExit)
            else "notifier: %s" % type(why).__name__)
        return 2
    if adapters is None:
        return 2

    try:
        if args.cluster:
            # the --redis URL's credentials, if any, for every node
            ck = redis.Redis.from_url(args.redis).connection_pool \
                .connection_kwargs
            kw = {k: ck[k] for k in ("username", "password") if ck.get(k)}
            return run_cluster(args, adapters, dict(kw, decode_responses=True))
        r = redis.Redis.from_url(args.redis, decode_responses=True)
        return Notifier(r, args, adapters).run()
    except LookupError as e:
        log("notifier: cluster:", e)
        return 1
    except redis.RedisError as e:
        log("notifier: redis:", type(e).__name__)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
