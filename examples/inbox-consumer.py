#!/usr/bin/env python3
"""Example back-end consumer of the gateway's inbox stream `dvc:inbox`.

Python 3 standard library only: it speaks RESP to Redis over a socket.  See
docs/inbox.md for the protocol.  Each dossier is handed to a handler; only
when the handler succeeded is the entry acknowledged (XACK), so a crash at any
point means the entry is delivered again, never lost: the handler must be
idempotent, keyed by the dossier code.

The handler of this example writes the raw body to OUT/<code>.json (written
to a temporary name, then renamed: a file that exists is complete) and skips
codes already there.  Replace handle() with your own.

    inbox-consumer.py [--host H] [--port P] [--user U] [--password S] [--db N]
                      [--group G] [--consumer NAME] [--out DIR]
                      [--claim-idle MS] [--max-deliveries N] [--once] [--trim]
                      [--cluster]

--once   process what is there (own pending, stale entries of dead
         consumers, new entries) and exit, instead of blocking for more.
--trim   after a pass, drop entries every consumer group is done with.
--cluster  H:P is a node of the gateway's dvc_redis_cluster: the inbox is the
         16 streams dvc:inbox:{00dd} .. dvc:inbox:{15db} (docs/redis.md), each
         read on the master serving it (CLUSTER SLOTS, asked again on MOVED),
         dead letters in dvc:inbox:{NN}:dead; without --once the streams are
         polled (every 200 ms when all are empty) instead of one blocking read.
Exit status: 0 ok, 1 Redis error, 2 bad call.
"""

import argparse
import os
import socket
import sys
import time

import dvc_cluster                  # examples/dvc_cluster.py

STREAM = "dvc:inbox"
DEAD = "dvc:inbox:dead"


class RedisError(Exception):
    pass


class Redis:
    """The smallest RESP2 client that does the job: one command at a time."""

    def __init__(self, host, port, timeout=None):
        if host.startswith("unix:"):
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.connect(host[5:])
        else:
            self.sock = socket.create_connection((host, port))
        self.sock.settimeout(timeout)
        self.rfile = self.sock.makefile("rb")

    def __call__(self, *args):
        out = [b"*%d\r\n" % len(args)]
        for a in args:
            if not isinstance(a, bytes):
                a = str(a).encode()
            out.append(b"$%d\r\n%s\r\n" % (len(a), a))
        self.sock.sendall(b"".join(out))
        return self._reply()

    def _reply(self):
        line = self.rfile.readline()
        if not line.endswith(b"\r\n"):
            raise RedisError("connection closed by Redis")
        kind, rest = line[:1], line[1:-2]
        if kind == b"+":
            return rest
        if kind == b"-":
            raise RedisError(rest.decode(errors="replace"))
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            data = self.rfile.read(n + 2)
            return data[:-2]
        if kind == b"*":
            n = int(rest)
            if n < 0:
                return None
            return [self._reply() for _ in range(n)]
        raise RedisError("unexpected reply %r" % line)


def log(*words):
    print(" ".join(str(w) for w in words), flush=True)


def fields(flat):
    """XREADGROUP/XCLAIM give [k1, v1, k2, v2, ...]: a dict of str -> bytes."""
    return {flat[i].decode(): flat[i + 1] for i in range(0, len(flat), 2)}


def handle(out, entry_id, f):
    """Process one dossier; True when done (now or before), False to retry."""
    code = f["code"].decode()
    final = os.path.join(out, code + ".json")

    if os.path.exists(final):
        # delivered again after a crash between the handler and XACK
        log("skipped", code, entry_id, "(already processed)")
        return True

    tmp = final + ".tmp.%d" % os.getpid()
    with open(tmp, "wb") as w:
        w.write(f["body"])
        w.flush()
        os.fsync(w.fileno())
    os.rename(tmp, final)

    log("processed", code, entry_id, f["procedure"].decode(),
        f["submitted_at"].decode(), "%d bytes" % len(f["body"]))
    return True


class Source:
    """One stream of the inbox, its dead letters and the connection to the
    server that has it."""

    def __init__(self, r, stream, dead):
        self.r, self.stream, self.dead = r, stream, dead


def process(src, args, entries):
    """Handle then acknowledge each entry; returns how many were handled."""
    r, STREAM = src.r, src.stream
    n = 0
    for entry_id, flat in entries:
        if flat is None:
            # deleted from the stream while pending: nothing to process
            r("XACK", STREAM, args.group, entry_id)
            continue
        eid = entry_id.decode()
        f = fields(flat)
        try:
            ok = handle(args.out, eid, f)
        except OSError as e:
            log("failed", f.get("code", b"?").decode(), eid, e)
            ok = False
        if ok:
            # only now is the entry done for this group
            r("XACK", STREAM, args.group, entry_id)
            n += 1
    return n


def ensure_group(src, group):
    r, STREAM = src.r, src.stream
    try:
        # "0": a new group starts with every entry still in the stream
        r("XGROUP", "CREATE", STREAM, group, "0", "MKSTREAM")
        log("created group", group)
    except RedisError as e:
        if not str(e).startswith("BUSYGROUP"):
            raise


def read_own_pending(src, args):
    """Entries delivered to this consumer name before a restart, not acked."""
    r, STREAM = src.r, src.stream
    reply = r("XREADGROUP", "GROUP", args.group, args.consumer, "COUNT", 100,
              "STREAMS", STREAM, "0")
    if not reply:
        return 0
    return process(src, args, reply[0][1])


def claim_stale(src, args):
    """Take over entries another consumer got and never acknowledged."""
    r, STREAM, DEAD = src.r, src.stream, src.dead
    n = 0
    pending = r("XPENDING", STREAM, args.group, "IDLE", args.claim_idle,
                "-", "+", 100)
    for entry_id, owner, idle_ms, deliveries in pending or []:
        if owner.decode() == args.consumer:
            continue
        if deliveries >= args.max_deliveries:
            # a poison entry: park it for a human, do not loop on it forever
            got = r("XRANGE", STREAM, entry_id, entry_id)
            if got:
                r("XADD", DEAD, "*", "id", entry_id, *got[0][1])
            r("XACK", STREAM, args.group, entry_id)
            log("dead-lettered", entry_id.decode(), "after", deliveries,
                "deliveries")
            continue
        claimed = r("XCLAIM", STREAM, args.group, args.consumer,
                    args.claim_idle, entry_id)
        if claimed:
            log("claimed", entry_id.decode(), "from", owner.decode(),
                "idle", idle_ms, "ms")
            n += process(src, args, claimed)
    return n


def read_new(src, args, block_ms):
    r, STREAM = src.r, src.stream
    cmd = ["XREADGROUP", "GROUP", args.group, args.consumer, "COUNT", 100]
    if block_ms is not None:
        cmd += ["BLOCK", block_ms]
    reply = r(*cmd, "STREAMS", STREAM, ">")
    if not reply:
        return 0
    return process(src, args, reply[0][1])


def trim(src):
    """Drop entries that no group still needs: older than every group's
    last-delivered id and oldest pending entry.  Never before XACK."""
    r, STREAM = src.r, src.stream
    floor = None
    for g in r("XINFO", "GROUPS", STREAM):
        g = fields(g)
        # everything up to last-delivered-id is acknowledged unless pending
        ms, seq = (int(x) for x in g["last-delivered-id"].split(b"-"))
        candidates = [(ms, seq + 1)]
        summary = r("XPENDING", STREAM, g["name"])
        if summary[0]:
            ms, seq = (int(x) for x in summary[1].split(b"-"))
            candidates.append((ms, seq))
        for c in candidates:
            if floor is None or c < floor:
                floor = c
    if floor is None:
        return 0
    # MINID keeps the entries whose id is >= floor: the oldest one a group
    # still needs, and everything not yet delivered
    return r("XTRIM", STREAM, "MINID", "%d-%d" % floor)


def login(args, host, port):
    r = Redis(host, port)
    if args.user:
        r("AUTH", args.user, args.password)
    elif args.password:
        r("AUTH", args.password)
    if args.db:
        r("SELECT", args.db)
    return r


def connect(args):
    """The inbox's streams: one, or the 16 of a cluster on their masters."""
    if not args.cluster:
        return [Source(login(args, args.host, args.port), STREAM, DEAD)]
    seed = login(args, args.host, args.port)
    conns, sources = {}, []
    for tag, host, port in dvc_cluster.masters(seed("CLUSTER", "SLOTS"),
                                               args.host):
        if (host, port) not in conns:
            conns[(host, port)] = login(args, host, port)
        sources.append(Source(conns[(host, port)], "dvc:inbox:{%s}" % tag,
                              "dvc:inbox:{%s}:dead" % tag))
    return sources


def one_pass(sources, args):
    """Stale entries, then new ones, of every stream; returns how many."""
    n = 0
    for src in sources:
        n += claim_stale(src, args)
        if args.once or args.cluster:
            while True:
                got = read_new(src, args, None)
                n += got
                if got == 0:
                    break
        else:
            n += read_new(src, args, 5000)
        if args.trim:
            dropped = trim(src)
            if dropped:
                log("trimmed", dropped, "entries")
    return n


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=6379)
    p.add_argument("--user", help="a Redis 6+ ACL user (needs --password)")
    p.add_argument("--password")
    p.add_argument("--db", type=int, default=0)
    p.add_argument("--group", default="backend")
    p.add_argument("--consumer",
                   default="%s-%d" % (socket.gethostname(), os.getpid()),
                   help="a stable name per worker lets a restarted worker "
                        "find its own pending entries")
    p.add_argument("--out", default="inbox-out")
    p.add_argument("--claim-idle", type=int, default=60000,
                   help="ms an entry may stay unacknowledged by another "
                        "consumer before it is taken over (default 60000)")
    p.add_argument("--max-deliveries", type=int, default=5)
    p.add_argument("--once", action="store_true")
    p.add_argument("--trim", action="store_true")
    p.add_argument("--cluster", action="store_true")
    args = p.parse_args()
    if args.user and not args.password:
        p.error("--user needs --password")

    os.makedirs(args.out, exist_ok=True)

    try:
        n = 0
        sources = connect(args)
        for src in sources:
            ensure_group(src, args.group)
            n += read_own_pending(src, args)

        while True:
            try:
                got = one_pass(sources, args)
            except RedisError as e:
                if not args.cluster or not str(e).startswith(("MOVED",
                                                              "ASK")):
                    raise
                # a slot moved: ask the cluster where the streams are now
                log("cluster changed:", e)
                sources = connect(args)
                for src in sources:
                    ensure_group(src, args.group)
                continue
            n += got
            if args.once:
                break
            if args.cluster and got == 0:
                time.sleep(0.2)

    except (OSError, RedisError, LookupError) as e:
        print("inbox-consumer: %s" % e, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0

    log("done:", n, "entries handled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
