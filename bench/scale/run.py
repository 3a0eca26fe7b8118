#!/usr/bin/env python3
"""bench/scale: submissions and lookups through three Redis topologies side
by side, in interleaved rounds of one run (issue 16):

  single    one redis-server                          dvc_redis
  sentinel  a master, a replica, a Sentinel           dvc_redis_sentinel + dvc_redis_wait 1 100ms
  cluster   three masters (cluster-enabled, no        dvc_redis_cluster
            replicas: the shards, not their copies)

Each topology has its own nginx (1 worker) and its own Redis processes, no
persistence (--save '' --appendonly no).  wrk (1 thread, C connections)
POSTs the five example dossiers in turn (five agencies: five partitions on
the cluster's three masters), then GETs lookups of dossiers it recorded.
Per round and topology: req/s, p99, and CPU per request (the nginx worker's
and every Redis process's user+system time over the measurement, from
/proc, divided by the requests).  Medians over the rounds are printed as a
Markdown table.

    bench/scale/run.py        env: REPS=3 D=8s C=32 PORT_BASE=24600 RUN=/tmp/dvcbench-scale
"""

import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
REPS = int(os.environ.get("REPS", "3"))
D = os.environ.get("D", "8s")
C = int(os.environ.get("C", "32"))
BASE = int(os.environ.get("PORT_BASE", "24600"))
RUN = os.environ.get("RUN", "/tmp/dvcbench-scale")
MODULE = os.path.join(ROOT, "build", "ngx_http_dvc_module.so")
PROCS = ["1.001612", "1.002820", "1.001193", "1.009994", "2.000488"]
TICK = os.sysconf("SC_CLK_TCK")


def sh(*args, **kw):
    return subprocess.run(list(args), check=True, **kw)


def cli(port, *args):
    return subprocess.run(["redis-cli", "-p", str(port)] + [str(a) for a in args],
                          check=True, capture_output=True, text=True).stdout


def wait_port(port, secs=10):
    end = time.time() + secs
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise RuntimeError("nothing listens on %d" % port)


def redis(name, port, *extra):
    d = os.path.join(RUN, name)
    os.makedirs(d, exist_ok=True)
    sh("redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
       "--appendonly", "no", "--daemonize", "yes", "--dir", d,
       "--pidfile", os.path.join(d, "redis.pid"),
       "--logfile", os.path.join(d, "redis.log"), *extra)
    wait_port(port)
    return pid_of(os.path.join(d, "redis.pid"))


def pid_of(f):
    for _ in range(250):
        try:
            with open(f) as h:
                return int(h.read().strip())
        except (OSError, ValueError):
            time.sleep(0.02)
    raise RuntimeError("no " + f)


def ticks(pids):
    t = 0
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            t += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return t


def nginx(name, port, redis_conf):
    d = os.path.join(RUN, name + "-nginx")
    for sub in ("conf", "logs", "tmp"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    key = os.path.join(d, "signing.pem")
    if not os.path.exists(key):
        sh(os.path.join(ROOT, "build", "dvc"), "keygen", "--out", key,
           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conf = os.path.join(d, "conf", "nginx.conf")
    with open(conf, "w") as f:
        f.write("""daemon on;
master_process on;
worker_processes 1;
pid %(d)s/logs/nginx.pid;
error_log %(d)s/logs/error.log warn;
load_module %(module)s;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_requests 1000000;
    client_body_temp_path %(d)s/tmp;
%(redis)s
    dvc_schemas %(root)s/schemas;
    dvc_calendar %(root)s/calendar/vn-2025-2027.cal;
    dvc_signing_key %(key)s;
    server {
        listen 127.0.0.1:%(port)d;
        location /dvc/ { dvc_api; }
    }
}
""" % {"d": d, "module": MODULE, "redis": redis_conf, "root": ROOT,
       "key": key, "port": port})
    sh("nginx", "-p", d + "/", "-c", conf, "-e", os.path.join(d, "logs", "error.log"))
    wait_port(port)
    master = pid_of(os.path.join(d, "logs", "nginx.pid"))
    time.sleep(0.3)
    workers = [int(p) for p in subprocess.run(
        ["pgrep", "-P", str(master)], capture_output=True, text=True).stdout.split()]
    return {"dir": d, "conf": conf, "master": master, "workers": workers}


def post(port, path, body=b"", method="POST"):
    with socket.create_connection(("127.0.0.1", port), 5) as s:
        s.sendall(b"%s %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                  b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                  % (method.encode(), path.encode(), len(body)) + body)
        raw = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            raw += chunk
    head, _, body = raw.partition(b"\r\n\r\n")
    return int(head.split()[1]), body


def reset_sequences(ports):
    """Every agency-day sequence back to 100 (the seeded lookups are codes
    0001-0040): a round's submissions stay under the 9,999 a day the legal
    code allows, overwriting only the previous rounds' dossiers."""
    for port in ports:
        keys = subprocess.run(["redis-cli", "-p", str(port), "--scan",
                               "--pattern", "dvc:seq:*"], check=True,
                              capture_output=True, text=True).stdout.split()
        for k in keys:
            cli(port, "SET", k, 100, "KEEPTTL")


def wrk(port, script, env):
    out = subprocess.run(["wrk", "-t1", "-c%d" % C, "-d" + D, "-s", script,
                          "http://127.0.0.1:%d" % port],
                         capture_output=True, text=True, env=dict(os.environ, **env)).stdout
    m = re.search(r"RESULT rps=([\d.]+) p50_ms=([\d.]+) p99_ms=([\d.]+) "
                  r"non2xx=(\d+) sock_err=(\d+) requests=(\d+)", out)
    if not m:
        raise RuntimeError("wrk said:\n" + out)
    return {"rps": float(m.group(1)), "p99": float(m.group(3)),
            "non2xx": int(m.group(4)), "err": int(m.group(5)),
            "requests": int(m.group(6))}


def main():
    shutil.rmtree(RUN, ignore_errors=True)
    os.makedirs(RUN)
    bodies = os.path.join(RUN, "bodies")
    os.makedirs(bodies)
    for i, p in enumerate(PROCS, 1):
        shutil.copy(os.path.join(ROOT, "examples", "dossiers", p + ".json"),
                    os.path.join(bodies, "%d.json" % i))
    started = []          # (kind, pid or pidfile) to stop at the end
    topo = {}
    try:
        # single
        r1 = redis("single", BASE + 379)
        topo["single"] = {"redis": [r1], "masters": [BASE + 379], "conf": "    dvc_redis 127.0.0.1:%d;" % (BASE + 379)}
        # sentinel: master, replica, Sentinel
        m, rp = BASE + 479, BASE + 480
        pm = redis("s-master", m)
        pr = redis("s-replica", rp, "--replicaof", "127.0.0.1", str(m))
        sd = os.path.join(RUN, "sentinel")
        os.makedirs(sd)
        with open(os.path.join(sd, "s.conf"), "w") as f:
            f.write("port %d\nbind 127.0.0.1\ndaemonize yes\npidfile %s/s.pid\n"
                    "logfile %s/s.log\ndir %s\nsentinel monitor m 127.0.0.1 %d 1\n"
                    "sentinel down-after-milliseconds m 30000\n"
                    % (BASE + 481, sd, sd, sd, m))
        sh("redis-server", os.path.join(sd, "s.conf"), "--sentinel")
        ps = pid_of(os.path.join(sd, "s.pid"))
        for _ in range(250):
            if "master_link_status:up" in cli(rp, "INFO", "replication"):
                break
            time.sleep(0.02)
        topo["sentinel"] = {"redis": [pm, pr, ps], "masters": [m], "conf":
                            "    dvc_redis_sentinel 127.0.0.1:%d master=m;\n"
                            "    dvc_redis_wait 1 100ms;" % (BASE + 481)}
        # cluster: three masters
        cports = [BASE + 501 + i for i in range(3)]
        cp = [redis("c-%d" % p, p, "--cluster-enabled", "yes",
                    "--cluster-config-file", "nodes.conf") for p in cports]
        sh("redis-cli", "--cluster", "create", *["127.0.0.1:%d" % p for p in cports],
           "--cluster-yes", stdout=subprocess.DEVNULL)
        for _ in range(500):
            if all("cluster_state:ok" in cli(p, "CLUSTER", "INFO") for p in cports):
                break
            time.sleep(0.02)
        topo["cluster"] = {"redis": cp, "masters": cports, "conf": "    dvc_redis_cluster %s;"
                           % " ".join("127.0.0.1:%d" % p for p in cports)}

        for i, (name, t) in enumerate(topo.items()):
            t["port"] = BASE + 83 + i
            t["nginx"] = nginx(name, t["port"], t["conf"])
        time.sleep(0.5)

        # dossiers to look up: 200 per topology, recorded through it
        for name, t in topo.items():
            paths = []
            for k in range(200):
                st, body = post(t["port"], "/dvc/v1/dossiers", open(os.path.join(
                    bodies, "%d.json" % (k % len(PROCS) + 1)), "rb").read())
                if st != 201:
                    raise RuntimeError("%s: seeding answered %d %s" % (name, st, body[:200]))
                d = json.loads(body)
                paths.append("/dvc/v1/dossiers/%s?token=%s" % (d["code"], d["lookup_token"]))
            t["paths"] = os.path.join(RUN, name + "-paths.txt")
            with open(t["paths"], "w") as f:
                f.write("\n".join(paths) + "\n")

        results = {(n, w): [] for n in topo for w in ("submit", "lookup")}
        for rnd in range(REPS):
            for what, script in (("submit", os.path.join(HERE, "post.lua")),
                                 ("lookup", os.path.join(HERE, "get.lua"))):
                for name, t in topo.items():
                    if what == "submit":
                        reset_sequences(t["masters"])
                    pids_n, pids_r = t["nginx"]["workers"], t["redis"]
                    n0, r0 = ticks(pids_n), ticks(pids_r)
                    res = wrk(t["port"], script, {"BODIES": bodies,
                                                  "NBODIES": str(len(PROCS)),
                                                  "PATHS": t["paths"]})
                    n1, r1_ = ticks(pids_n), ticks(pids_r)
                    res["nginx_us"] = (n1 - n0) * 1e6 / TICK / max(res["requests"], 1)
                    res["redis_us"] = (r1_ - r0) * 1e6 / TICK / max(res["requests"], 1)
                    results[(name, what)].append(res)
                    print("round %d %-8s %-6s %s" % (rnd + 1, name, what,
                                                      json.dumps(res)), flush=True)

        print()
        print("| topology | what | req/s | p99 ms | nginx CPU µs/req | Redis CPU µs/req | non-2xx |")
        print("|---|---|---|---|---|---|---|")
        for (name, what), rs in results.items():
            med = lambda k: statistics.median(r[k] for r in rs)
            print("| %s | %s | %.0f | %.2f | %.0f | %.0f | %d |"
                  % (name, what, med("rps"), med("p99"), med("nginx_us"),
                     med("redis_us"), sum(r["non2xx"] for r in rs)))
    finally:
        for t in topo.values():
            if "nginx" in t:
                subprocess.run(["nginx", "-p", t["nginx"]["dir"] + "/", "-c",
                                t["nginx"]["conf"], "-s", "stop"],
                               stderr=subprocess.DEVNULL)
            for p in t["redis"]:
                try:
                    os.kill(p, 15)
                except OSError:
                    pass


if __name__ == "__main__":
    sys.exit(main())
