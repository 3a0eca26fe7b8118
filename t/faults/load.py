#!/usr/bin/env python3
"""Steady submission load for the fault tests: a process of its own.

Opens a new connection per attempt (Connection: close) and POSTs real
dossiers from examples/dossiers/, each made unique (the first document's
sha256 is replaced by random hex: still valid, and its body's SHA-256 then
names the request among the dossiers in Redis).  Logical requests start at a
fixed rate (open loop, so a stalled gateway does not slow the offered load
down), at most --inflight at a time.

A share of them (--keyed) carries an Idempotency-Key and behaves as
docs/api.md tells a client to: on 503, on 409 idempotency_key_in_use and on a
network error it retries the same body with the same key, with capped
exponential backoff, until it gets an answer that is not one of those (or
--give-up seconds passed).  The others send once.

Every attempt is one JSON line in --out, written as it ends: the logical id,
attempt number, key, body SHA-256, wall-clock start and end, status, the
error code of a JSON error body, the dossier code of a 201, the bytes seen
after the end of the response (a second answer), and client-side failures
(timeout: the gateway hung; reset/refused/eof: no answer).

SIGTERM (or SIGINT) stops new logical requests; retries in progress go on
until they are settled, then the process exits 0 and prints a summary line.
"""

import argparse
import asyncio
import glob
import hashlib
import json
import os
import random
import re
import signal
import sys
import time


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--examples", required=True, help="examples/dossiers")
    p.add_argument("--rate", type=float, default=60.0,
                   help="logical requests started per second")
    p.add_argument("--inflight", type=int, default=200,
                   help="at most this many logical requests at once")
    p.add_argument("--keyed", type=float, default=0.75,
                   help="share of requests with an Idempotency-Key")
    p.add_argument("--timeout", type=float, default=5.0,
                   help="client timeout per attempt: longer means hung")
    p.add_argument("--give-up", type=float, default=40.0,
                   help="a keyed request stops retrying after this long")
    p.add_argument("--seed", type=int, default=None)
    return p.parse_args()


class Dossiers:
    """The shipped examples as byte templates; each use gets a fresh hash."""

    HASH = re.compile(rb'"sha256"\s*:\s*"([0-9a-f]{64})"')

    def __init__(self, directory, rng):
        self.rng = rng
        self.templates = []
        for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
            with open(path, "rb") as f:
                body = f.read()
            m = self.HASH.search(body)
            if m is None:
                raise SystemExit("%s: no document sha256 to vary" % path)
            self.templates.append((os.path.basename(path)[:-5], body,
                                   m.start(1), m.end(1)))
        if not self.templates:
            raise SystemExit("no dossiers in %s" % directory)

    def make(self, n):
        proc, body, s, e = self.templates[n % len(self.templates)]
        h = ("%064x" % self.rng.getrandbits(256)).encode()
        return proc, body[:s] + h + body[e:]


def parse_response(raw):
    """Status, headers, body and the length of anything after the body."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/"):
        return None
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers.setdefault(k.strip().lower(), []).append(v.strip())
    if "content-length" in headers:
        n = int(headers["content-length"][0])
        body, extra = rest[:n], rest[n:]
        if len(body) < n:
            return None
    elif "chunked" in ",".join(headers.get("transfer-encoding", [])):
        body, pos = b"", 0
        while True:
            eol = rest.find(b"\r\n", pos)
            if eol < 0:
                return None
            size = int(rest[pos:eol].split(b";")[0], 16)
            pos = eol + 2
            if size == 0:
                end = rest.find(b"\r\n", pos)
                if end < 0:
                    return None
                pos = end + 2
                break
            body += rest[pos:pos + size]
            pos += size + 2
        extra = rest[pos:]
    else:
        body, extra = rest, b""
    return int(parts[1]), headers, body, len(extra)


class Load:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        self.dossiers = Dossiers(args.examples, self.rng)
        self.out = open(args.out, "w", buffering=1)
        self.stopping = asyncio.Event()
        self.slots = asyncio.Semaphore(args.inflight)
        self.tasks = set()
        self.started = 0
        self.attempts = 0
        self.skipped = 0     # slots missed because --inflight were busy
        self.pid = os.getpid()

    async def attempt(self, body, key):
        req = (b"POST /dvc/v1/dossiers HTTP/1.1\r\nHost: localhost\r\n"
               b"Content-Type: application/json\r\nConnection: close\r\n"
               + (b"Idempotency-Key: " + key.encode() + b"\r\n" if key else b"")
               + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
               + body)
        rec = {"t0": time.time(), "status": None, "err": None}
        t0 = time.monotonic()
        writer = None
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", self.args.port),
                self.args.timeout)
            writer.write(req)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(-1), self.args.timeout
                                         - (time.monotonic() - t0))
            parsed = parse_response(raw)
            if parsed is None:
                rec["err"] = "eof" if not raw else "malformed"
                rec["raw"] = raw[:200].decode("latin-1")
            else:
                status, headers, rbody, extra = parsed
                rec["status"] = status
                rec["extra"] = extra
                rec["ctype"] = headers.get("content-type", [""])[0]
                rec["retry_after"] = headers.get("retry-after", [None])[0]
                try:
                    doc = json.loads(rbody)
                except ValueError:
                    doc = None
                    rec["body"] = rbody[:200].decode("utf-8", "replace")
                rec["json"] = isinstance(doc, dict)
                if isinstance(doc, dict):
                    rec["error"] = doc.get("error")
                    rec["code"] = doc.get("code")
                    rec["location"] = headers.get("location", [None])[0]
        except asyncio.TimeoutError:
            rec["err"] = "timeout"
        except ConnectionRefusedError:
            rec["err"] = "refused"
        except (ConnectionResetError, BrokenPipeError):
            rec["err"] = "reset"
        except OSError as e:
            rec["err"] = "oserror: %s" % e
        finally:
            if writer is not None:
                writer.close()
        rec["t1"] = time.time()
        rec["lat"] = round(time.monotonic() - t0, 4)
        return rec

    async def logical(self, lid):
        try:
            proc, body = self.dossiers.make(lid)
            sha = hashlib.sha256(body).hexdigest()
            key = None
            if self.rng.random() < self.args.keyed:
                key = "load-%d-%d-%016x" % (self.pid, lid,
                                            self.rng.getrandbits(64))
            first = time.monotonic()
            n = 0
            while True:
                n += 1
                rec = await self.attempt(body, key)
                self.attempts += 1
                rec.update(lid=lid, n=n, key=key, proc=proc, sha=sha)
                self.out.write(json.dumps(rec) + "\n")
                if key is None:
                    return
                retry = (rec["status"] == 503
                         or (rec["status"] == 409
                             and rec.get("error") == "idempotency_key_in_use")
                         or rec["err"] in ("refused", "reset", "eof"))
                if not retry:
                    return
                if time.monotonic() - first > self.args.give_up:
                    return
                delay = min(2.0, 0.1 * 2 ** min(n - 1, 5))
                await asyncio.sleep(delay * (0.75 + self.rng.random() / 2))
        finally:
            self.slots.release()

    async def run(self):
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stopping.set)
        print("ready", flush=True)
        interval = 1.0 / self.args.rate
        next_at = time.monotonic()
        lid = 0
        while not self.stopping.is_set():
            delay = next_at - time.monotonic()
            if delay > 0:
                try:
                    await asyncio.wait_for(self.stopping.wait(), delay)
                    break
                except asyncio.TimeoutError:
                    pass
            next_at += interval
            if self.slots.locked():
                self.skipped += 1
                continue
            await self.slots.acquire()
            t = asyncio.ensure_future(self.logical(lid))
            self.tasks.add(t)
            t.add_done_callback(self.tasks.discard)
            lid += 1
        self.started = lid
        if self.tasks:
            await asyncio.gather(*list(self.tasks))
        self.out.close()
        print(json.dumps({"started": self.started, "attempts": self.attempts,
                          "skipped": self.skipped}), flush=True)


def main():
    args = parse_args()
    asyncio.run(Load(args).run())


if __name__ == "__main__":
    sys.exit(main())
