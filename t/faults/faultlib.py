"""The fault tests' harness: a real nginx with the module, a real redis-server
(appendonly yes, appendfsync always), the load process (load.py), and the
checks every scenario makes on what the load recorded against what Redis
holds.  TAP on stdout, so `prove -e python3 t/faults/*.py` runs them.

See t/faults/README.md.
"""

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
NGINX = os.environ.get("TEST_NGINX_BINARY", "/usr/sbin/nginx")
REDIS = os.environ.get("TEST_NGINX_REDIS_BINARY", "redis-server")
MODULE = os.environ.get("TEST_NGINX_MODULE",
                        os.path.join(REPO, "build", "ngx_http_dvc_module.so"))
DVC = os.path.join(REPO, "build", "dvc")
# a library preloaded into nginx only (the ASan runtime, as in t/README.md)
PRELOAD = os.environ.get("TEST_NGINX_PRELOAD")

# dvc_redis_timeout of every scenario, and the margin an answer may take
# beyond it on a busy machine (FAULTS_MARGIN_MS to widen it).
REDIS_TIMEOUT_MS = 500
MARGIN_MS = int(os.environ.get("FAULTS_MARGIN_MS", "500"))

BAD_LOG = re.compile(r"\[alert\]|\[crit\]|\[emerg\]|exited on signal|"
                     r"AddressSanitizer|LeakSanitizer|runtime error:")


# ------------------------------------------------------------------ TAP

class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, details=None):
        self.n += 1
        print("%sok %d - %s" % ("" if cond else "not ", self.n, name),
              flush=True)
        if not cond:
            self.failed += 1
            for line in (details or []):
                self.diag(line)
        return cond

    def is_(self, got, want, name):
        return self.ok(got == want, name,
                       ["got:      %r" % (got,), "expected: %r" % (want,)])

    def diag(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line, file=sys.stderr, flush=True)

    def note(self, msg):
        for line in str(msg).splitlines() or [""]:
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        return 1 if self.failed else 0


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def wait_gone(pids, secs):
    deadline = time.time() + secs
    while time.time() < deadline:
        if not any(alive(p) for p in pids):
            return True
        time.sleep(0.02)
    return False


def children_of(ppid):
    kids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().split(") ", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == ppid and fields[0] != "Z":
            kids.append(int(d))
    return sorted(kids)


# ------------------------------------------------------------------ Redis

class RedisError(Exception):
    pass


class RedisClient:
    """A small RESP client: enough for checks and fault commands."""

    def __init__(self, port, timeout=10):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout)
        self.f = self.sock.makefile("rb")

    def close(self):
        try:
            self.f.close()
            self.sock.close()
        except OSError:
            pass

    @staticmethod
    def encode(args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        return b"".join(out)

    def read(self):
        line = self.f.readline()
        if not line:
            raise ConnectionError("redis closed the connection")
        t, rest = line[:1], line[1:-2]
        if t == b"+":
            return rest.decode()
        if t == b"-":
            return RedisError(rest.decode())
        if t == b":":
            return int(rest)
        if t == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.f.read(n + 2)
            return data[:-2]
        if t == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self.read() for _ in range(n)]
        raise ConnectionError("bad RESP line %r" % line)

    def pipeline(self, cmds):
        """Replies in order; error replies as RedisError values."""
        out = []
        for i in range(0, len(cmds), 1000):
            chunk = cmds[i:i + 1000]
            self.sock.sendall(b"".join(self.encode(c) for c in chunk))
            out.extend(self.read() for _ in chunk)
        return out

    def cmd(self, *args):
        r = self.pipeline([args])[0]
        if isinstance(r, RedisError):
            raise r
        return r


def s(v):
    return v.decode() if isinstance(v, bytes) else v


class RedisServer:
    """redis-server as docs/operations.md asks: appendonly yes, appendfsync
    always, noeviction; its files under ROOT/NAME, restartable on them."""

    def __init__(self, root, name="redis", port=None):
        self.dir = os.path.join(root, name)
        os.makedirs(self.dir, exist_ok=True)
        self.port = port or free_port()
        self.pid = None
        self.paused = False

    def start(self):
        pidfile = os.path.join(self.dir, "redis.pid")
        if os.path.exists(pidfile):
            os.unlink(pidfile)
        # a configuration file first, when a scenario writes one (cluster)
        conf = [self.conf_file] if getattr(self, "conf_file", None) else []
        subprocess.run([REDIS] + conf + ["--port", str(self.port), "--bind", "127.0.0.1",
                        "--dir", self.dir, "--save", "",
                        "--appendonly", "yes", "--appendfsync", "always",
                        "--maxmemory-policy", "noeviction",
                        "--enable-debug-command", "local",
                        "--daemonize", "yes", "--pidfile", pidfile,
                        "--logfile", os.path.join(self.dir, "redis.log")],
                       check=True)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                with open(pidfile) as f:
                    self.pid = int(f.read().strip())
                c = RedisClient(self.port, timeout=2)
                try:
                    # PING answers while an AOF still loads; writes do not
                    if c.cmd("PING") == "PONG" and \
                            b"loading:0" in c.cmd("INFO", "persistence"):
                        self.paused = False
                        return
                finally:
                    c.close()
            except (OSError, ValueError, ConnectionError, RedisError):
                pass
            time.sleep(0.02)
        raise RuntimeError("redis-server did not come up on port %d:\n%s"
                           % (self.port, self.log()))

    def log(self):
        try:
            with open(os.path.join(self.dir, "redis.log")) as f:
                return f.read()[-3000:]
        except OSError:
            return ""

    def kill9(self):
        os.kill(self.pid, signal.SIGKILL)
        if not wait_gone([self.pid], 5):
            raise RuntimeError("redis-server survived SIGKILL")
        self.pid = None
        self.paused = False

    def pause(self):
        os.kill(self.pid, signal.SIGSTOP)
        self.paused = True

    def resume(self):
        os.kill(self.pid, signal.SIGCONT)
        self.paused = False

    def stop(self):
        if self.pid is None or not alive(self.pid):
            self.pid = None
            return
        if self.paused:
            self.resume()
        os.kill(self.pid, signal.SIGTERM)
        if not wait_gone([self.pid], 10):
            os.kill(self.pid, signal.SIGKILL)
            wait_gone([self.pid], 3)
        self.pid = None

    def client(self):
        return RedisClient(self.port)

    def cmd(self, *args):
        c = self.client()
        try:
            return c.cmd(*args)
        finally:
            c.close()

    def info(self, section):
        text = s(self.cmd("INFO", section))
        return dict(line.split(":", 1) for line in text.splitlines()
                    if ":" in line and not line.startswith("#"))


# ------------------------------------------------------------------ nginx

class Nginx:
    def __init__(self, root, redis_port, workers=2,
                 redis_timeout_ms=REDIS_TIMEOUT_MS, event_key=None,
                 redis_conf=None):
        self.root = root
        # the lines in place of "dvc_redis 127.0.0.1:PORT;" (Sentinel...)
        self.redis_conf = redis_conf
        self.event_key = event_key      # dvc_event_key's file, or None
        self.port = free_port()
        self.redis_port = redis_port
        self.workers = workers
        self.redis_timeout_ms = redis_timeout_ms
        self.pid = None
        for d in ("conf", "logs", "tmp", "keys"):
            os.makedirs(os.path.join(root, d), exist_ok=True)
        self.key = os.path.join(root, "keys", "signing.pem")
        if not os.path.exists(self.key):
            subprocess.run([DVC, "keygen", "--out", self.key], check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        self.conf = os.path.join(root, "conf", "nginx.conf")
        self.error_log = os.path.join(root, "logs", "error.log")
        self.write_conf()

    def write_conf(self):
        tmp = os.path.join(self.root, "tmp")
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(self.conf, "w") as f:
            f.write("""%(user)sdaemon on;
master_process on;
worker_processes %(workers)d;
pid %(root)s/logs/nginx.pid;
error_log %(root)s/logs/error.log notice;
load_module %(module)s;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path %(tmp)s/body;
    proxy_temp_path %(tmp)s/proxy;
    fastcgi_temp_path %(tmp)s/fastcgi;
    uwsgi_temp_path %(tmp)s/uwsgi;
    scgi_temp_path %(tmp)s/scgi;
%(redis)s
    dvc_redis_timeout %(timeout)dms;
    dvc_schemas %(repo)s/schemas;
    dvc_calendar %(repo)s/calendar/vn-2025-2027.cal;
    dvc_signing_key %(key)s;
%(event_key)s    server {
        listen 127.0.0.1:%(port)d;
        location /dvc/ { dvc_api; }
    }
}
""" % dict(user=user, workers=self.workers, root=self.root, module=MODULE,
           tmp=tmp, redis=(self.redis_conf or "    dvc_redis 127.0.0.1:%d;"
                           % self.redis_port),
           timeout=self.redis_timeout_ms, repo=REPO, key=self.key,
           event_key=("    dvc_event_key %s name=faults;\n" % self.event_key
                      if self.event_key else ""),
           port=self.port))

    def start(self):
        env = dict(os.environ)
        if PRELOAD:
            env["LD_PRELOAD"] = PRELOAD
            env.setdefault("ASAN_OPTIONS", "detect_leaks=0")
        r = subprocess.run([NGINX, "-p", self.root + "/", "-c", self.conf,
                            "-e", self.error_log], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode != 0:
            raise RuntimeError("nginx did not start:\n" + r.stdout.decode())
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                with open(os.path.join(self.root, "logs", "nginx.pid")) as f:
                    self.pid = int(f.read().strip())
                if len(self.worker_pids()) >= self.workers:
                    return
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        raise RuntimeError("nginx workers did not start")

    def worker_pids(self):
        return children_of(self.pid) if self.pid else []

    def reload(self):
        """SIGHUP; returns once new workers replaced all the old ones."""
        old = set(self.worker_pids())
        os.kill(self.pid, signal.SIGHUP)
        deadline = time.time() + 20
        while time.time() < deadline:
            new = [p for p in self.worker_pids() if p not in old]
            if len(new) >= self.workers and not any(alive(p) for p in old):
                return new
            time.sleep(0.02)
        raise RuntimeError("new workers did not take over within 20 s")

    def stop(self):
        if not self.pid or not alive(self.pid):
            return True
        workers = self.worker_pids()
        os.kill(self.pid, signal.SIGQUIT)
        if wait_gone([self.pid] + workers, 15):
            return True
        os.kill(self.pid, signal.SIGTERM)
        wait_gone([self.pid] + workers, 5)
        return False

    def log(self):
        try:
            with open(self.error_log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""


# ------------------------------------------------------------------ load

class LoadProcess:
    """load.py as a process of its own."""

    def __init__(self, port, out, **opts):
        self.out = out
        cmd = [sys.executable, os.path.join(HERE, "load.py"),
               "--port", str(port), "--out", out,
               "--examples", os.path.join(REPO, "examples", "dossiers")]
        for k, v in opts.items():
            cmd += ["--" + k.replace("_", "-"), str(v)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line.strip() != b"ready":
            raise RuntimeError("load.py did not start: %r" % line)
        self.summary = None

    def stop(self, timeout=120):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        out, _ = self.proc.communicate(timeout=timeout)
        self.summary = json.loads(out.decode().strip().splitlines()[-1])
        return self.attempts()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def attempts(self):
        with open(self.out) as f:
            return [json.loads(line) for line in f]


# ------------------------------------------------------------------ gateway

class Gateway:
    """One scenario's servers: ROOT = build/faults/NAME (kept when a check
    failed or FAULTS_KEEP=1)."""

    def __init__(self, name, tap, workers=2, proxy=False, redis_up=True,
                 events=False):
        self.tap = tap
        self.events = events    # a dvc_event_key: self.event_secret
        self.redis_up = redis_up
        self.use_proxy = proxy
        self.proxy = None
        self.root = os.path.join(REPO, "build", "faults", name)
        shutil.rmtree(self.root, ignore_errors=True)
        os.makedirs(self.root)
        self.redis = RedisServer(self.root)
        self.nginx = None
        self.workers = workers
        self.loads = []
        self.extra = []         # other servers to stop at the end

    def __enter__(self):
        if self.redis_up:
            self.redis.start()
        port = self.redis.port
        if self.use_proxy:
            self.proxy = RedisProxy(self.redis.port)
            port = self.proxy.port
        key = None
        if self.events:
            # as docs/events.md makes one: 64 hex characters, mode 0600
            key = os.path.join(self.root, "event.key")
            self.event_secret = os.urandom(32).hex().encode()
            fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, self.event_secret + b"\n")
            os.close(fd)
        self.nginx = Nginx(self.root, port, self.workers, event_key=key)
        self.nginx.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        for l in self.loads:
            l.kill()
        if self.nginx:
            self.nginx.stop()
        if self.proxy:
            self.proxy.shutdown()
        for srv in self.extra:
            srv.stop()
        self.redis.stop()
        if exc_type is None and not self.tap.failed \
                and not os.environ.get("FAULTS_KEEP"):
            shutil.rmtree(self.root, ignore_errors=True)
        else:
            self.tap.diag("servers' files kept in %s" % self.root)
        return False

    def load(self, **opts):
        l = LoadProcess(self.nginx.port,
                        os.path.join(self.root, "load-%d.jsonl"
                                     % len(self.loads)), **opts)
        self.loads.append(l)
        return l

    def check_log(self, offset=0):
        text = self.nginx.log()[offset:]
        bad = [l for l in text.splitlines() if BAD_LOG.search(l)]
        self.tap.ok(not bad, "error log: no [alert], [crit], crash or "
                    "sanitizer report", bad[:10])
        return text


# ------------------------------------------------------------------ checks

def redis_state(redis):
    """Dossiers, inbox entries and index of the gateway, read back."""
    c = redis.client()
    try:
        keys, cursor = [], b"0"
        while True:
            cursor, batch = c.cmd("SCAN", cursor, "MATCH", "dvc:d:*",
                                  "COUNT", 1000)
            keys += batch
            if cursor == b"0":
                break
        rows = c.pipeline([("HMGET", k, "code", "body_sha256", "procedure",
                            "status") for k in keys])
        dossiers = {}
        for k, row in zip(keys, rows):
            dossiers[s(k)[len("dvc:d:"):]] = {
                "code": s(row[0]), "sha": s(row[1]), "procedure": s(row[2]),
                "status": s(row[3])}
        inbox = []
        for entry_id, fields in c.cmd("XRANGE", "dvc:inbox", "-", "+"):
            f = dict(zip(fields[::2], fields[1::2]))
            inbox.append({"id": s(entry_id), "code": s(f.get(b"code")),
                          "sha": hashlib.sha256(f.get(b"body", b""))
                          .hexdigest()})
        index = {s(x) for x in c.cmd("ZRANGE", "dvc:idx:submitted", 0, -1)}
        return {"dossiers": dossiers, "inbox": inbox, "index": index}
    finally:
        c.close()


def forget(state, code):
    """Leave a dossier the test made itself (not the load) out of STATE."""
    state["dossiers"].pop(code)
    state["inbox"] = [e for e in state["inbox"] if e["code"] != code]
    state["index"].discard(code)
    return state


def _examples(items, n=8):
    items = list(items)
    return ["%d case(s), e.g.:" % len(items)] + \
        [json.dumps(x, sort_keys=True)[:400] for x in items[:n]]


def check_run(tap, attempts, state, windows=(), recorded_503_allowed=False,
              statuses=(201, 503), latency_bound=None, log=""):
    """The invariants of every scenario.  WINDOWS: (label, from, to) wall
    times of faults; attempts started inside are counted apart.  Returns
    the counts for the report."""
    bound = latency_bound or (REDIS_TIMEOUT_MS + MARGIN_MS) / 1000.0
    by_lid = {}
    for a in attempts:
        by_lid.setdefault(a["lid"], []).append(a)
    for lst in by_lid.values():
        lst.sort(key=lambda a: a["n"])

    # 1. every attempt answered once, promptly, in JSON
    tap.ok(attempts, "the load sent requests (%d attempts)" % len(attempts))
    no_answer = [a for a in attempts if a["err"]]
    tap.ok(not no_answer, "every request got an answer: none hung (client "
           "timeout), none cut off", _examples(no_answer))
    twice = [a for a in attempts if a.get("extra")]
    tap.ok(not twice, "no request was answered twice (no bytes after the "
           "answer)", _examples(twice))
    allowed = set(statuses)
    odd = [a for a in attempts if a["status"] is not None
           and a["status"] not in allowed
           and not (a["status"] == 409 and a["key"]
                    and a.get("error") == "idempotency_key_in_use")]
    tap.ok(not odd, "every answer is one of %s (or 409 "
           "idempotency_key_in_use to a retry)" % sorted(allowed),
           _examples(odd))
    not_json = [a for a in attempts if a["status"] is not None and
                (not a.get("json") or not a.get("ctype", "")
                 .startswith("application/json"))]
    tap.ok(not not_json, "every answer is JSON", _examples(not_json))
    bad503 = [a for a in attempts if a["status"] == 503 and
              (a.get("error") != "unavailable" or a.get("retry_after") != "1")]
    tap.ok(not bad503, "every 503 is {\"error\":\"unavailable\"} with "
           "Retry-After: 1", _examples(bad503))
    bad201 = [a for a in attempts if a["status"] == 201 and
              (not a.get("code") or not (a.get("location") or "")
               .endswith("/" + a["code"]))]
    tap.ok(not bad201, "every 201 has its code and Location", 
           _examples(bad201))
    slow = [a for a in attempts if a["lat"] > bound]
    max_lat = max((a["lat"] for a in attempts), default=0)
    tap.ok(not slow, "every answer within dvc_redis_timeout + %d ms = %.2f s"
           " (max %.3f s)" % (MARGIN_MS, bound, max_lat), _examples(slow))

    # 2. idempotent clients: one code per logical request, all settled
    codes_of = {}
    for lid, lst in by_lid.items():
        codes_of[lid] = {a["code"] for a in lst if a["status"] == 201}
    split = [by_lid[l] for l, c in codes_of.items() if len(c) > 1]
    tap.ok(not split, "every request that got several 201s (retries) got "
           "the same code each time", _examples(split))
    unsettled = [lst[-1] for l, lst in by_lid.items()
                 if lst[0]["key"] and not codes_of[l]]
    tap.ok(not unsettled, "every client retrying with its Idempotency-Key "
           "ended with a 201", _examples(unsettled))

    # 3. Redis against the answers
    dossiers, inbox, index = state["dossiers"], state["inbox"], state["index"]
    sha_of = {l: lst[0]["sha"] for l, lst in by_lid.items()}
    lid_of_sha = {v: k for k, v in sha_of.items()}
    acked, shared = {}, []                      # code -> lid
    for l, c in codes_of.items():
        for code in c:
            if code in acked:
                shared.append({"code": code, "lids": [acked[code], l]})
            acked[code] = l
    tap.ok(not shared, "no code was given to two requests (codes never "
           "repeat, also across the restart)", _examples(shared))
    lost = [{"code": c, "lid": l} for c, l in acked.items()
            if c not in dossiers]
    tap.ok(not lost, "every 201's dossier hash is in Redis (%d codes)"
           % len(acked), _examples(lost))
    wrong = [{"code": c, "lid": l} for c, l in acked.items()
             if c in dossiers and dossiers[c]["sha"] != sha_of[l]]
    tap.ok(not wrong, "every 201's dossier holds the body its client sent "
           "(body_sha256)", _examples(wrong))
    inbox_by_code = {}
    for e in inbox:
        inbox_by_code.setdefault(e["code"], []).append(e)
    no_inbox = [{"code": c} for c, l in acked.items()
                if [e["sha"] for e in inbox_by_code.get(c, [])]
                != [sha_of[l]]]
    tap.ok(not no_inbox, "every 201 has exactly one inbox entry, with the "
           "body its client sent", _examples(no_inbox))
    no_index = [c for c in acked if c not in index]
    tap.ok(not no_index, "every 201 is in dvc:idx:submitted",
           _examples(no_index))

    phantom = [d for d in dossiers.values() if d["sha"] not in lid_of_sha]
    tap.ok(not phantom, "every dossier in Redis is one the load sent",
           _examples(phantom))
    per_body = {}
    for code, d in dossiers.items():
        per_body.setdefault(d["sha"], []).append(code)
    dup = [v for v in per_body.values() if len(v) > 1]
    tap.ok(not dup, "no body was recorded twice (one dossier per request, "
           "retries included)", _examples(dup))
    half = [c for c in dossiers if c not in inbox_by_code or c not in index] \
        + [e["code"] for e in inbox if e["code"] not in dossiers]
    tap.ok(not half, "nothing half written: every dossier has its inbox "
           "entry and index, every inbox entry its dossier", _examples(half))
    tap.ok(len(inbox) == len(dossiers) == len(index),
           "as many inbox entries (%d) and index entries (%d) as dossiers "
           "(%d)" % (len(inbox), len(index), len(dossiers)))

    unacked = [d for c, d in dossiers.items() if c not in acked]
    unacked_lids = [lid_of_sha.get(d["sha"]) for d in unacked]
    if recorded_503_allowed:
        # only a request whose transaction was sent, then lost its answer
        # (timeout, connection lost) may have been recorded after all
        unknown = set(re.findall(r'answered 503, outcome unknown: the '
                                 r'transaction of dossier "([^"]+)"', log))
        bad = [dict(by_lid[l][-1], dossier=d["code"])
               for d, l in zip(unacked, unacked_lids)
               if l is None or by_lid[l][-1]["status"] != 503
               or d["code"] not in unknown]
        tap.ok(not bad, "the %d dossier(s) recorded without a 201 belong to "
               "clients answered 503 without an Idempotency-Key, each logged "
               "as 'outcome unknown' (the transaction was sent, its answer "
               "lost)" % len(unacked), _examples(bad))
    else:
        tap.ok(not unacked, "no dossier without a 201: the count of dossiers "
               "(%d) equals the count of 201 codes (%d)"
               % (len(dossiers), len(acked)), _examples(unacked))

    stats = {
        "logical": len(by_lid), "attempts": len(attempts),
        "keyed": sum(1 for l in by_lid.values() if l[0]["key"]),
        "201": sum(1 for a in attempts if a["status"] == 201),
        "201_codes": len(acked),
        "503": sum(1 for a in attempts if a["status"] == 503),
        "409": sum(1 for a in attempts if a["status"] == 409),
        "retried": sum(1 for l in by_lid.values() if len(l) > 1),
        "dossiers": len(dossiers), "inbox": len(inbox),
        "recorded_without_201": len(unacked),
        "max_latency": max_lat,
    }
    for label, t_from, t_to in windows:
        w = [a for a in attempts if t_from <= a["t0"] < t_to]
        stats[label] = {
            "attempts": len(w),
            "201": sum(1 for a in w if a["status"] == 201),
            "503": sum(1 for a in w if a["status"] == 503),
            "409": sum(1 for a in w if a["status"] == 409),
            "max_latency": max((a["lat"] for a in w), default=0),
            "seconds": round(t_to - t_from, 2),
        }
    return stats


def report(tap, name, stats):
    """The counts: in full on stdout (prove -v), in short on stderr (shown by
    a plain `prove` too), and appended to build/faults/results.jsonl."""
    tap.note("%s: %s" % (name, json.dumps(stats, sort_keys=True)))
    if "attempts" in stats:
        short = ("%d requests (%d attempts): %d x 201 (%d dossiers "
                 "acknowledged), %d x 503, %d x 409; Redis: %d dossiers, %d "
                 "without a 201; max latency %.3f s"
                 % (stats["logical"], stats["attempts"], stats["201"],
                    stats["201_codes"], stats["503"], stats["409"],
                    stats["dossiers"], stats["recorded_without_201"],
                    stats["max_latency"]))
        for k, w in sorted(stats.items()):
            if isinstance(w, dict) and "seconds" in w:
                short += ("; %s %.1f s: %d attempts, %d x 503, %d x 201, "
                          "%d x 409, max latency %.3f s"
                          % (k, w["seconds"], w["attempts"], w["503"],
                             w["201"], w["409"], w["max_latency"]))
    else:
        short = ", ".join("%s: %s" % kv for kv in sorted(stats.items()))
    print("# %s: %s" % (name, short), file=sys.stderr, flush=True)
    path = os.path.join(REPO, "build", "faults", "results.jsonl")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "a") as f:
        f.write(json.dumps({"scenario": name, "at": time.strftime(
            "%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **stats}) + "\n")


def wait_for(pred, secs, step=0.02):
    deadline = time.time() + secs
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(step)
    return pred()


# ------------------------------------------------------------------ one request

def exchange(port, req, timeout=5.0):
    """Sends one raw request on a new connection (Connection: close) and
    returns every byte of the answer, read until nginx closes."""
    with socket.create_connection(("127.0.0.1", port), timeout) as c:
        c.settimeout(timeout)
        c.sendall(req)
        raw = b""
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            raw += chunk
    return raw


def _attempt(port, req, timeout, fill):
    """Sends req and records the attempt as load.py does: status, body,
    times, or what went wrong; fill(rec, headers) adds what the caller reads
    from an answer."""
    from load import parse_response
    t0 = time.monotonic()
    rec = {"status": None, "err": None, "t0": time.time()}
    try:
        parsed = parse_response(exchange(port, req, timeout))
        if parsed is None:
            rec["err"] = "no answer"
        else:
            rec["status"], headers, rec["body"], rec["extra"] = parsed
            fill(rec, headers)
    except socket.timeout:
        rec["err"] = "timeout"
    except OSError as e:
        rec["err"] = str(e)
    rec["t1"] = time.time()
    rec["lat"] = time.monotonic() - t0
    return rec


def submit(port, body, key=None, timeout=5.0):
    """One POST /dvc/v1/dossiers; the answer as load.py records it."""
    req = (b"POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\n"
           b"Content-Type: application/json\r\nConnection: close\r\n"
           + (b"Idempotency-Key: %s\r\n" % key.encode() if key else b"")
           + b"Content-Length: %d\r\n\r\n" % len(body) + body)

    def fill(rec, headers):
        rec["ctype"] = headers.get("content-type", [""])[0]
        try:
            doc = json.loads(rec["body"])
        except ValueError:
            doc = {}
        rec["error"] = doc.get("error")
        rec["code"] = doc.get("code")

    return _attempt(port, req, timeout, fill)


def lookup(port, code, token, timeout=5.0):
    """GET /dvc/v1/dossiers/CODE with its token: (status, JSON body)."""
    from load import parse_response
    req = ("GET /dvc/v1/dossiers/%s HTTP/1.1\r\nHost: localhost\r\n"
           "X-DVC-Lookup-Token: %s\r\nConnection: close\r\n\r\n"
           % (code, token)).encode()
    parsed = parse_response(exchange(port, req, timeout))
    if parsed is None:
        return None, None
    try:
        return parsed[0], json.loads(parsed[2])
    except ValueError:
        return parsed[0], None


def send_event(port, secret, code, body, timeout=5.0):
    """One signed POST /dvc/v1/dossiers/CODE/events (docs/events.md), signed
    now: the answer as submit() records it."""
    import hmac
    target = "/dvc/v1/dossiers/%s/events" % code
    ts = str(int(time.time()))
    sig = hmac.new(secret, ("%s\nPOST\n%s\n" % (ts, target)).encode() + body,
                   hashlib.sha256).hexdigest()
    req = ("POST %s HTTP/1.1\r\nHost: localhost\r\n"
           "Content-Type: application/json\r\nConnection: close\r\n"
           "X-DVC-Timestamp: %s\r\nX-DVC-Signature: v1=%s\r\n"
           "Content-Length: %d\r\n\r\n" % (target, ts, sig, len(body))
           ).encode() + body

    def fill(rec, headers):
        rec["retry_after"] = headers.get("retry-after", [None])[0]
        try:
            rec["error"] = json.loads(rec["body"]).get("error")
        except ValueError:
            rec["error"] = "not JSON"

    return _attempt(port, req, timeout, fill)


# a dossier's plan at the desk, as the example back-end's: event id, body
EVENT_PLAN = [
    ("b.1.accept", {"type": "accept",
                    "actor": "Bộ phận Một cửa UBND phường Hồng Gai"}),
    ("b.2.process", {"type": "process", "actor": "Phòng Tư pháp"}),
    ("b.3.resolve", {"type": "resolve", "actor": "Phòng Tư pháp",
                     "note": "Trả kết quả qua dịch vụ bưu chính"}),
    ("b.4.return", {"type": "return", "actor": "Bộ phận Một cửa"})]


class EventBackend:
    """THREADS back-end workers: each takes a dossier of CODES and sends the
    events of EVENT_PLAN, each retried with the same body on 503 or a lost
    answer until it is answered 200 (docs/events.md), PACE s apart.
    `attempts`: every try (send_event's record, plus code and id)."""

    def __init__(self, port, secret, codes, threads=8, pace=0.04):
        import queue
        self.port, self.secret, self.pace = port, secret, pace
        self.todo = queue.Queue()
        for c in codes:
            self.todo.put(c)
        self.attempts = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        import queue
        while True:
            try:
                code = self.todo.get_nowait()
            except queue.Empty:
                return
            for eid, fields in EVENT_PLAN:
                body = json.dumps(dict(id=eid, **fields),
                                  ensure_ascii=False).encode()
                delay, deadline = 0.05, time.time() + 30
                while True:
                    rec = send_event(self.port, self.secret, code, body)
                    rec.update(code=code, id=eid)
                    with self.lock:
                        self.attempts.append(rec)
                    if rec["status"] not in (503, None) \
                            or time.time() > deadline:
                        break                   # 200, or a refusal
                    time.sleep(delay)
                    delay = min(delay * 2, 0.4)
                time.sleep(self.pace)
                if rec["status"] != 200:
                    break

    def join(self, secs=120):
        for t in self.threads:
            t.join(secs)
        return not any(t.is_alive() for t in self.threads)


def check_events(tap, redis, codes, attempts):
    """What every event scenario checks against REDIS: each event of the
    plan ended 200; every try was 200 or a JSON 503 with Retry-After: 1,
    within dvc_redis_timeout + the margin; each dossier is in status 10 with
    ver 4, each event once in its history and each stored answer the one its
    200 carried.  Returns the 200s by (code, id)."""
    final = {(a["code"], a["id"]): a for a in attempts if a["status"] == 200}
    n = len(codes) * len(EVENT_PLAN)
    tap.is_(len(final), n, "every event of every dossier ended answered "
            "200 (%d events)" % n)
    odd = [a for a in attempts
           if a["status"] not in (200, 503) or a["err"] or a.get("extra")]
    tap.ok(not odd, "every try was answered 200 or 503, once, no bytes "
           "after the answer", [str(a)[:300] for a in odd[:5]])
    bad = [a for a in attempts if a["status"] == 503
           and (a["error"] != "unavailable" or a["retry_after"] != "1")]
    tap.ok(not bad, "every 503 is JSON unavailable with Retry-After: 1",
           [str(a)[:300] for a in bad[:5]])
    limit = (REDIS_TIMEOUT_MS + MARGIN_MS) / 1000.0
    slow = [a for a in attempts if a["lat"] > limit]
    tap.ok(not slow, "every answer within dvc_redis_timeout + %d ms"
           % MARGIN_MS, [str(a)[:300] for a in slow[:5]])
    want = [eid for eid, _ in EVENT_PLAN]
    wrong = []
    for code in codes:
        h = redis.cmd("HMGET", "dvc:d:" + code, "status", "ver", "history",
                      *["e:" + e for e in want])
        status, ver, history = (x.decode() if x else None for x in h[:3])
        ids = [e.get("event") for e in json.loads(history or "[]")
               if "event" in e]
        stored = [x.decode().split(" ", 1)[1] if x else None for x in h[3:]]
        answers = [final.get((code, e), {}).get("body", b"").decode()
                   for e in want]
        if (status, ver, ids) != ("10", "4", want) or stored != answers:
            wrong.append("%s: status %s ver %s history %s"
                         % (code, status, ver, ids))
    tap.ok(not wrong, "every dossier: status 10, ver 4, each event once in "
           "its history, each stored answer the one its 200 carried",
           wrong[:5])
    return final


def check_event_stats(tap, port, n, received=None):
    """The day's statistics report counts each of the N dossiers received
    (accepted) once and resolved once (RECEIVED: when others were accepted
    too)."""
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 7 * 3600))
    out = subprocess.run(["curl", "-sf", "http://127.0.0.1:%d/dvc/v1/stats?"
                          "from=%s&to=%s" % (port, today, today)],
                         capture_output=True, text=True).stdout
    st = json.loads(out or "{}")
    tap.ok(st.get("received_new") == (received or n)
           and st.get("resolved") == n,
           "statistics: received_new %s and resolved %s, each dossier once"
           % (st.get("received_new"), st.get("resolved")))


def script_calls(redis):
    """(EVALSHA calls, of which NOSCRIPT, EVAL calls) since Redis started or
    its statistics were reset."""
    cs = redis.info("commandstats")

    def calls(name):
        f = dict(kv.split("=") for kv in
                 cs.get("cmdstat_" + name, "calls=0").split(","))
        return int(f.get("calls", 0)), int(f.get("failed_calls", 0))
    (evalsha, noscript), (evals, _) = calls("evalsha"), calls("eval")
    return evalsha, noscript, evals


def example(name, vary=None):
    """A shipped dossier; VARY (hex) replaces its first document's sha256 so
    that the body, and its dossier, are this test's own."""
    with open(os.path.join(REPO, "examples", "dossiers", name + ".json"),
              "rb") as f:
        body = f.read()
    if vary:
        m = re.search(rb'"sha256"\s*:\s*"([0-9a-f]{64})"', body)
        h = hashlib.sha256(vary.encode()).hexdigest().encode()
        body = body[:m.start(1)] + h + body[m.end(1):]
    return body


# ------------------------------------------------------------------ proxy

EXEC = b"*1\r\n$4\r\nEXEC\r\n"


class RedisProxy:
    """A TCP relay between nginx and redis-server that can, once armed, act
    on the next chunk nginx sends with an EXEC in it:

      lose_reply   forward it, then swallow everything Redis sends back on
                   that connection: the transaction runs, its answer is lost
      drop         never forward it: the transaction does not run
      before(fn)   call fn() (e.g. SIGSTOP redis), then forward it
      around(fn, after)  call fn(), forward it, and call after() when Redis
                   answers, before nginx gets the answer

    MATCH (bytes) picks another chunk than the one with EXEC.  `fired` is set
    once it acted.  Everything else passes through."""

    def __init__(self, upstream_port):
        self.upstream = upstream_port
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(128)
        self.port = self.lsock.getsockname()[1]
        self.lock = threading.Lock()
        self.action = None
        self.hook = None
        self.match = EXEC
        self.after = None
        self.fired = threading.Event()
        self.conns = []
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def set_upstream(self, port):
        """Where new connections go (a failover behind a virtual address)."""
        self.upstream = port

    def arm(self, action, hook=None, match=EXEC, after=None):
        with self.lock:
            self.action, self.hook = action, hook
            self.match, self.after = match, after
            self.fired.clear()

    def close_all(self):
        with self.lock:
            conns, self.conns = self.conns, []
        for c in conns:
            for sk in c:
                try:
                    sk.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sk.close()

    def shutdown(self):
        self.closed = True
        self.lsock.close()
        self.close_all()

    def _accept(self):
        while not self.closed:
            try:
                down, _ = self.lsock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(("127.0.0.1", self.upstream), 2)
            except OSError:
                down.close()
                continue
            state = {"mute": False}
            with self.lock:
                self.conns.append((down, up))
            threading.Thread(target=self._pump, args=(down, up, state, True),
                             daemon=True).start()
            threading.Thread(target=self._pump, args=(up, down, state, False),
                             daemon=True).start()

    def _pump(self, src, dst, state, from_nginx):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if from_nginx and self.action and self.match in data:
                    with self.lock:
                        action, hook = self.action, self.hook
                        self.action = None
                    if action == "drop":
                        self.fired.set()
                        continue
                    if action in ("before", "around"):
                        hook()
                    if action == "around":
                        state["after"] = self.after
                    if action == "lose_reply":
                        state["mute"] = True
                    dst.sendall(data)
                    if action:
                        self.fired.set()
                    continue
                if not from_nginx and state["mute"]:
                    continue
                if not from_nginx and state.get("after"):
                    state.pop("after")()
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sk in (src, dst):
                try:
                    sk.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
