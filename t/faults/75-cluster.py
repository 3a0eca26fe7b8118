#!/usr/bin/env python3
"""Redis Cluster under submission load: three masters with a replica each
(Debian's redis-server, cluster-enabled, cluster-node-timeout 1 s, made by
redis-cli --cluster create --cluster-replicas 1), two nginx ("two hosts", 2
workers each) sharing it through dvc_redis_cluster with dvc_redis_wait 1, a
load process on each.  Under load, one after the other:

  1. a busy partition's slot moved to another master as redis-cli --cluster
     reshard moves it (IMPORTING, MIGRATING, MIGRATE key by key while
     submissions arrive, SETSLOT NODE): the gateways follow ASK, wait out
     TRYAGAIN, then MOVED;
  2. a master failed over to its replica (CLUSTER FAILOVER on the replica):
     the old master answers MOVED;
  3. a master killed (kill -9): the cluster promotes its replica after the
     node timeout, the gateways ask CLUSTER SLOTS again.

Afterwards, over every master: every 201 of both hosts is there (WAIT 1: no
acknowledged dossier lost), no code was given twice, every answer came
within 2 s beyond the faults, every answer that was not a 201 was a 503;
and the statistics report equals the one computed from the dossiers."""

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(__file__))
from faultlib import (REDIS, REPO, LoadProcess, Nginx, RedisClient,
                      RedisError, RedisServer, Tap, BAD_LOG, check_run,
                      exchange, report, s, wait_for)

WAIT_MS = 300
BOUND = 2.0
PARTS = 16


def crc16(b):
    c = 0
    for ch in b:
        c ^= ch << 8
        for _ in range(8):
            c = ((c << 1) ^ 0x1021) & 0xffff if c & 0x8000 else (c << 1) & 0xffff
    return c


def part(agency):
    return crc16(agency[:13].encode()) % PARTS


# the partitions' hash tags (core/dvc_cluster.c, docs/redis.md)
TAGS = ["00dd", "01dc", "02d", "03fc", "04c", "05ad", "06bd", "07bc", "08bb", "09c", "10c", "11aa", "12bd", "13bc", "14da", "15db"]


def tag_slot(p):
    return crc16(TAGS[p].encode()) % 16384


def free_cluster_port():
    """A port whose cluster bus (port + 10000) is free too, at most 55535."""
    for _ in range(500):
        p = random.randint(20000, 50000)
        socks = []
        try:
            for q in (p, p + 10000):
                so = socket.socket()
                so.bind(("127.0.0.1", q))
                socks.append(so)
            return p
        except OSError:
            continue
        finally:
            for so in socks:
                so.close()
    raise RuntimeError("no free port pair")


class Node(RedisServer):
    """A cluster node: the faults' redis-server settings (appendonly,
    appendfsync always, noeviction) plus cluster-enabled."""

    def start(self):
        self.conf_file = os.path.join(self.dir, "cluster.conf")
        with open(self.conf_file, "w") as f:
            f.write("cluster-enabled yes\ncluster-config-file nodes.conf\n"
                    "cluster-node-timeout 1000\n"
                    "cluster-replica-validity-factor 0\n")
        RedisServer.start(self)

    def myid(self):
        return s(self.cmd("CLUSTER", "MYID"))


def slots_map(nodes):
    """[(start, end, master port, [replica ports])] as a live node says."""
    for n in nodes:
        if n.pid is None:
            continue
        try:
            return [(r[0], r[1], r[2][1], [x[1] for x in r[3:]])
                    for r in n.cmd("CLUSTER", "SLOTS")]
        except (OSError, ConnectionError, RedisError):
            continue
    return []


def owner(nodes, slot):
    for a, b, port, _ in slots_map(nodes):
        if a <= slot <= b:
            return port
    return None


def by_port(nodes, port):
    return [n for n in nodes if n.port == port][0]


def cluster_ok(nodes):
    live = [n for n in nodes if n.pid is not None]
    try:
        return all(b"cluster_state:ok" in n.cmd("CLUSTER", "INFO")
                   for n in live)
    except (OSError, ConnectionError, RedisError):
        return False


def move_slot(nodes, slot, src, dst, tap):
    """As redis-cli --cluster reshard does, keys moved in small batches with
    pauses, so submissions arrive while the slot is half migrated."""
    dst.cmd("CLUSTER", "SETSLOT", slot, "IMPORTING", src.myid())
    src.cmd("CLUSTER", "SETSLOT", slot, "MIGRATING", dst.myid())
    moved = 0
    while True:
        keys = src.cmd("CLUSTER", "GETKEYSINSLOT", slot, 5)
        if not keys:
            break
        src.cmd("MIGRATE", "127.0.0.1", dst.port, "", 0, 5000, "KEYS", *keys)
        moved += len(keys)
        time.sleep(0.05)
    for n in nodes:
        if n.pid is not None:
            try:
                n.cmd("CLUSTER", "SETSLOT", slot, "NODE", dst.myid())
            except RedisError:
                pass        # a replica: it follows its master
    return moved


def cluster_state(nodes):
    """Dossiers, inbox entries and index over every master (tagged names,
    docs/redis.md)."""
    masters = sorted({port for _, _, port, _ in slots_map(nodes)})
    dossiers, inbox, index = {}, [], set()
    import hashlib
    for port in masters:
        c = RedisClient(port)
        try:
            keys, cursor = [], b"0"
            while True:
                cursor, batch = c.cmd("SCAN", cursor, "MATCH", "dvc:d:*",
                                      "COUNT", 1000)
                keys += batch
                if cursor == b"0":
                    break
            rows = c.pipeline([("HMGET", k, "code", "body_sha256",
                                "procedure", "status") for k in keys])
            for k, row in zip(keys, rows):
                code = s(k).split("}:", 1)[1]
                dossiers[code] = {"code": s(row[0]), "sha": s(row[1]),
                                  "procedure": s(row[2]),
                                  "status": s(row[3])}
            for p in range(PARTS):
                if owner(nodes, tag_slot(p)) != port:
                    continue
                for eid, f in c.cmd("XRANGE", "dvc:inbox:{%s}" % TAGS[p],
                                    "-", "+"):
                    f = dict(zip(f[::2], f[1::2]))
                    inbox.append({"id": s(eid), "code": s(f.get(b"code")),
                                  "sha": hashlib.sha256(f.get(b"body", b""))
                                  .hexdigest()})
                index |= {s(x) for x in c.cmd(
                    "ZRANGE", "dvc:idx:{%s}:submitted" % TAGS[p], 0, -1)}
        finally:
            c.close()
    return {"dossiers": dossiers, "inbox": inbox, "index": index}


tap = Tap()
root = os.path.join(REPO, "build", "faults", "75-cluster")
shutil.rmtree(root, ignore_errors=True)
os.makedirs(root)
nodes, gateways, loads = [], [], []
try:
    for i in range(6):
        n = Node(root, "node-%d" % i, port=free_cluster_port())
        n.start()
        nodes.append(n)
    out = subprocess.run(["redis-cli", "--cluster", "create"]
                         + ["127.0.0.1:%d" % n.port for n in nodes]
                         + ["--cluster-replicas", "1", "--cluster-yes"],
                         capture_output=True, text=True)
    tap.ok(out.returncode == 0 and wait_for(lambda: cluster_ok(nodes), 30),
           "a cluster of 3 masters and 3 replicas", [out.stdout[-800:]])
    tap.ok(wait_for(lambda: len(slots_map(nodes)) == 3 and all(
        len(r[3]) == 1 for r in slots_map(nodes)), 30),
        "each master has its replica")

    conf = ("    dvc_redis_cluster %s;\n    dvc_redis_wait 1 %dms;"
            % (" ".join("127.0.0.1:%d" % n.port for n in nodes[:2]),
               WAIT_MS))
    for host in ("host-a", "host-b"):
        ngx = Nginx(os.path.join(root, host), None, 2, redis_conf=conf)
        # the redirections are logged at info
        with open(ngx.conf) as f:
            text = f.read().replace("error.log notice;", "error.log info;")
        with open(ngx.conf, "w") as f:
            f.write(text)
        ngx.start()
        gateways.append(ngx)
    time.sleep(0.5)
    for i, ngx in enumerate(gateways):
        loads.append(LoadProcess(ngx.port, os.path.join(
            root, "load-%d.jsonl" % i), rate=40, seed=i + 1))
    time.sleep(3)
    windows = []

    # 1. the slot of 1.001612's agency (000.20.31.H29) to another master
    slot = tag_slot(part("000.20.31.H29"))
    src = by_port(nodes, owner(nodes, slot))
    dst = by_port(nodes, [p for _, _, p, _ in slots_map(nodes)
                          if p != src.port][0])
    t0 = time.time()
    moved = move_slot(nodes, slot, src, dst, tap)
    t1 = time.time()
    windows.append(("slot moved", t0, t1 + 1))
    tap.ok(owner(nodes, slot) == dst.port,
           "slot %d moved (%d keys in %.2f s, under load)"
           % (slot, moved, t1 - t0))
    time.sleep(3)

    # 2. a master failed over to its replica (the old one: MOVED)
    target = [r for r in slots_map(nodes) if r[2] != dst.port][0]
    old, rep = by_port(nodes, target[2]), by_port(nodes, target[3][0])
    t0 = time.time()
    rep.cmd("CLUSTER", "FAILOVER")
    tap.ok(wait_for(lambda: owner(nodes, target[0]) == rep.port, 30),
           "CLUSTER FAILOVER: %d serves what %d served"
           % (rep.port, old.port))
    t1 = time.time()
    windows.append(("failover", t0, t1 + 1))
    time.sleep(3)

    # 3. a master killed: its replica promoted after the node timeout
    victim_row = [r for r in slots_map(nodes) if r[2] == dst.port][0]
    victim = by_port(nodes, victim_row[2])
    heir = victim_row[3][0]
    t_kill = time.time()
    victim.kill9()
    tap.ok(wait_for(lambda: owner(nodes, victim_row[0]) == heir
                    and cluster_ok(nodes), 30),
           "kill -9 of master %d: replica %d promoted"
           % (victim.port, heir))
    t_promoted = time.time()
    windows.append(("kill -9", t_kill, t_promoted + 1))
    # until the killed node is back (as the new master's replica), WAIT 1
    # cannot be satisfied there: its partitions' submissions are 503
    time.sleep(2)
    victim.start()
    tap.ok(wait_for(lambda: any(r[2] == heir and len(r[3]) == 1
                                for r in slots_map(nodes)), 30),
           "the killed node back, a replica of %d" % heir)
    t_back = time.time()
    windows.append(("no replica", t_promoted, t_back + 1))
    # the keyed clients' retries settle (a reservation lasts 10 s)
    time.sleep(12)

    attempts = []
    for i, l in enumerate(loads):
        for a in l.stop():
            a["lid"] = "%d-%s" % (i, a["lid"])
            attempts.append(a)
        tap.note("load %d: %s" % (i, l.summary))

    log = "".join(g.log() for g in gateways)
    tap.ok("dvc: redis cluster: slot %d asked of" % slot in log,
           "ASK followed during the migration")
    tap.ok("dvc: redis cluster: slot %d moved to" % slot in log,
           "MOVED followed after it")
    tap.ok("moved to \"127.0.0.1:%d\"" % rep.port in log,
           "MOVED followed after the failover")
    bad = [l for l in log.splitlines() if BAD_LOG.search(l)]
    tap.ok(not bad, "error logs: no [alert], [crit], crash or sanitizer "
           "report", bad[:10])
    first = [a["t1"] for a in attempts
             if a["status"] == 201 and a["t0"] >= t_kill]
    tap.ok(first and min(first) - t_kill < (t_promoted - t_kill) + 2.0,
           "201 again within 2 s of the promotion (%.2f s after the kill, "
           "promoted after %.2f s)" % ((min(first) - t_kill) if first else -1,
                                       t_promoted - t_kill))

    state = cluster_state(nodes)
    stats = check_run(tap, attempts, state, log=log, windows=windows,
                      recorded_503_allowed=True, latency_bound=BOUND)

    # the report of both hosts equals the one computed from the dossiers
    def report_of(port):
        raw = exchange(port, b"GET /dvc/v1/stats?from=2026-01-01&to="
                       b"2027-12-31 HTTP/1.1\r\nHost: x\r\n"
                       b"Connection: close\r\n\r\n")
        head, _, body = raw.partition(b"\r\n\r\n")
        return json.loads(body) if b" 200 " in head.split(b"\r\n")[0] \
            else {"status line": s(head.split(b"\r\n")[0])}

    rep_a, rep_b = report_of(gateways[0].port), report_of(gateways[1].port)
    want = {"awaiting_acceptance": sum(1 for d in state["dossiers"].values()
                                       if d["status"] == "1"),
            "received_new": sum(1 for d in state["dossiers"].values()
                                if d["status"] == "2")}
    got = {k: rep_a.get(k) for k in want}
    tap.is_(got, want, "the report (16 partitions, 3 masters) equals the "
            "count of the dossiers by status")
    tap.is_(rep_b, rep_a, "both hosts report the same")
    stats["slot_moved_keys"] = moved
    stats["failover_kill_seconds"] = round(t_promoted - t_kill, 2)
    stats["wait_refused"] = log.count("dvc: redis WAIT: ")
    stats["asked"] = log.count(" asked of ")
    stats["moved"] = log.count(" moved to ")
    report(tap, "redis cluster: slot moved, CLUSTER FAILOVER, kill -9, "
           "WAIT 1", stats)
finally:
    for l in loads:
        l.kill()
    for g in gateways:
        g.stop()
    for n in nodes:
        n.stop()
    if not tap.failed and not os.environ.get("FAULTS_KEEP"):
        shutil.rmtree(root, ignore_errors=True)
    else:
        tap.diag("servers' files kept in %s" % root)

sys.exit(tap.done())
