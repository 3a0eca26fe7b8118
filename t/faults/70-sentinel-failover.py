#!/usr/bin/env python3
"""kill -9 of the Redis master under submission load, with Sentinel and
dvc_redis_wait 1: a master with two replicas, three Sentinels (Debian's
redis-server --sentinel, quorum 2, down-after 1 s), two nginx ("two hosts",
2 workers each) sharing them through dvc_redis_sentinel, a load process on
each.  Sentinel promotes a replica; the gateways follow +switch-master.
Afterwards, on the new master: every 201 of both hosts is there (WAIT 1:
no acknowledged dossier lost), no code was given twice, every answer came
within 2 s, and every answer that was not a 201 was a 503."""

import os
import subprocess
import sys
import time

sys.dont_write_bytecode = True     # no __pycache__ in the source tree
sys.path.insert(0, __import__("os").path.dirname(__file__))
from faultlib import (REDIS, REPO, LoadProcess, Nginx, RedisClient,
                      RedisServer, Tap, BAD_LOG, check_run, free_port,
                      redis_state, report, wait_for)
import shutil

NAME = "m"
WAIT_MS = 300
BOUND = 2.0             # "no request over 2 s"
# FAULTS_NO_WAIT=1: the control run, without dvc_redis_wait
NO_WAIT = bool(os.environ.get("FAULTS_NO_WAIT"))


class Sentinel:
    def __init__(self, root, i, master_port):
        self.dir = os.path.join(root, "sentinel-%d" % i)
        os.makedirs(self.dir, exist_ok=True)
        self.port = free_port()
        self.pid = None
        self.conf = os.path.join(self.dir, "sentinel.conf")
        with open(self.conf, "w") as f:
            f.write("""port %d
bind 127.0.0.1
daemonize yes
pidfile %s/sentinel.pid
logfile %s/sentinel.log
dir %s
sentinel monitor %s 127.0.0.1 %d 2
sentinel down-after-milliseconds %s 1000
sentinel failover-timeout %s 10000
sentinel parallel-syncs %s 1
""" % (self.port, self.dir, self.dir, self.dir, NAME, master_port, NAME,
                NAME, NAME))

    def start(self):
        subprocess.run([REDIS, self.conf, "--sentinel"], check=True)
        assert wait_for(lambda: os.path.exists(
            os.path.join(self.dir, "sentinel.pid")), 10)
        with open(os.path.join(self.dir, "sentinel.pid")) as f:
            self.pid = int(f.read().strip())

    def cmd(self, *args):
        c = RedisClient(self.port, timeout=2)
        try:
            return c.cmd(*args)
        finally:
            c.close()

    def master(self):
        r = self.cmd("SENTINEL", "master", NAME)
        return {r[i].decode(): r[i + 1].decode() for i in range(0, len(r), 2)}

    def stop(self):
        if self.pid:
            try:
                os.kill(self.pid, 15)
            except ProcessLookupError:
                pass


def master_port(sentinels):
    for s in sentinels:
        try:
            return int(s.cmd("SENTINEL", "get-master-addr-by-name", NAME)[1])
        except (OSError, ConnectionError, TypeError):
            continue
    return None


tap = Tap()
root = os.path.join(REPO, "build", "faults", "70-sentinel-failover")
shutil.rmtree(root, ignore_errors=True)
os.makedirs(root)
servers, sentinels, gateways, loads = [], [], [], []
try:
    master = RedisServer(root, "master")
    master.start()
    servers.append(master)
    replicas = []
    for i in (1, 2):
        r = RedisServer(root, "replica-%d" % i)
        r.start()
        servers.append(r)
        r.cmd("REPLICAOF", "127.0.0.1", master.port)
        replicas.append(r)
    tap.ok(all(wait_for(lambda r=r: r.info("replication")
                        .get("master_link_status") == "up", 20)
               for r in replicas), "two replicas follow the master")
    for i in range(3):
        s = Sentinel(root, i, master.port)
        s.start()
        sentinels.append(s)
    tap.ok(wait_for(lambda: all(s.master().get("num-other-sentinels") == "2"
                                and s.master().get("num-slaves") == "2"
                                for s in sentinels), 30),
           "three Sentinels know each other and both replicas")

    conf = ("    dvc_redis_sentinel %s master=%s;"
            % (" ".join("127.0.0.1:%d" % s.port for s in sentinels), NAME))
    if not NO_WAIT:
        conf += "\n    dvc_redis_wait 1 %dms;" % WAIT_MS
    for host in ("host-a", "host-b"):
        ngx = Nginx(os.path.join(root, host), None, 2, redis_conf=conf)
        ngx.start()
        gateways.append(ngx)
    time.sleep(0.5)
    for i, ngx in enumerate(gateways):
        loads.append(LoadProcess(ngx.port, os.path.join(
            root, "load-%d.jsonl" % i), rate=40, seed=i + 1))
    time.sleep(3)

    old = master.port
    t_kill = time.time()
    master.kill9()
    tap.ok(wait_for(lambda: master_port(sentinels) not in (None, old), 30),
           "Sentinel promoted a replica")
    t_switch = time.time()
    new_port = master_port(sentinels)
    new = [r for r in replicas if r.port == new_port][0]
    time.sleep(4)

    attempts = []
    for i, l in enumerate(loads):
        for a in l.stop():
            a["lid"] = "%d-%s" % (i, a["lid"])
            attempts.append(a)
        tap.note("load %d: %s" % (i, l.summary))

    log = "".join(g.log() for g in gateways)
    first = {}
    for a in attempts:
        if a["status"] == 201 and a["t0"] >= t_kill:
            h = a["lid"][0]
            first[h] = min(first.get(h, a["t1"]), a["t1"])
    tap.ok(len(first) == 2 and all(t - t_kill < (t_switch - t_kill) + 2.0
                                   for t in first.values()),
           "both hosts answer 201 again within 2 s of the switch (%s)"
           % ", ".join("host %s: %.2f s after the kill" % (h, t - t_kill)
                       for h, t in sorted(first.items())))
    tap.ok("+switch-master %s -> 127.0.0.1:%d" % (NAME, new_port) in log,
           "the gateways heard +switch-master")
    bad = [l for l in log.splitlines() if BAD_LOG.search(l)]
    tap.ok(not bad, "error logs: no [alert], [crit], crash or sanitizer "
           "report", bad[:10])
    state = redis_state(new)
    stats = check_run(tap, attempts, state, log=log,
                      windows=[("failover", t_kill, t_switch)],
                      recorded_503_allowed=True, latency_bound=BOUND)
    waits = log.count("dvc: redis WAIT: ")
    stats["failover_seconds"] = round(t_switch - t_kill, 2)
    stats["first_201_after_kill"] = {h: round(t - t_kill, 2)
                                     for h, t in first.items()}
    stats["wait_refused"] = waits
    report(tap, "sentinel failover, kill -9 of the master, %s"
           % ("no WAIT" if NO_WAIT else "WAIT 1"), stats)
finally:
    for l in loads:
        l.kill()
    for g in gateways:
        g.stop()
    for s in sentinels:
        s.stop()
    for srv in servers:
        srv.stop()
    if not tap.failed and not os.environ.get("FAULTS_KEEP"):
        shutil.rmtree(root, ignore_errors=True)
    else:
        tap.diag("servers' files kept in %s" % root)

sys.exit(tap.done())
