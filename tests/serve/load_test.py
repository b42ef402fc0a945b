#!/usr/bin/env python3
"""Bounded load on a running ccpl serve: N requests from C concurrent
clients, mostly small good ones (a few styles, so the style cache is used)
with bad ones mixed in. Every request must get its expected status (200 with
a PNG of the right size, or the right error as JSON); the server's RSS is
sampled throughout. Prints a summary; exit 0 when every answer was right and
the RSS did not grow past the allowance after warm-up.

usage: load_test.py URL PID CONTENT STYLE1 STYLE2 NOTIMAGE HUGE TINY
                    [--requests 300] [--clients 8] [--max-growth-mb 40]"""
import argparse
import collections
import http.client
import io
import json
import sys
import threading
import time
import urllib.parse

from PIL import Image


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def multipart(fields):
    boundary = "ccplLoadTestBoundary7f3a"
    out = io.BytesIO()
    for name, value in fields:
        out.write(b"--%s\r\n" % boundary.encode())
        if isinstance(value, bytes):
            out.write(b'Content-Disposition: form-data; name="%s"; filename="%s.png"\r\n'
                      b"Content-Type: application/octet-stream\r\n\r\n" % (name.encode(), name.encode()))
            out.write(value)
        else:
            out.write(b'Content-Disposition: form-data; name="%s"\r\n\r\n%s' % (name.encode(), value.encode()))
        out.write(b"\r\n")
    out.write(b"--%s--\r\n" % boundary.encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


def main():
    ap = argparse.ArgumentParser()
    for a in ("url", "pid", "content", "style1", "style2", "notimage", "huge", "tiny"):
        ap.add_argument(a)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--max-growth-mb", type=float, default=40)
    a = ap.parse_args()
    pid = int(a.pid)
    data = {k: open(getattr(a, k), "rb").read() for k in ("content", "style1", "style2", "notimage", "huge", "tiny")}
    host = urllib.parse.urlparse(a.url)

    # (expected status, fields, expected size or error substring); cycled
    good = lambda style, mode, size: (200, [("content", data["content"]), ("style", data[style]), ("mode", mode),
                                            ("content_size", str(size)), ("style_size", "40")], size)
    kinds = [
        good("style1", "photo", 32), good("style2", "photo", 32), good("style1", "photo", 40),
        good("style1", "art", 32), good("style2", "photo", 48), good("style1", "photo", 32),
        good("style2", "art", 40),
        (415, [("content", data["notimage"]), ("style", data["style1"])], "not a PNG or JPEG"),
        (400, [("content", data["content"]), ("style", data["style1"]), ("alpha", "7")], "alpha must be"),
        (413, [("content", data["huge"]), ("style", data["style1"])], "exceeds the server's limit"),
        (422, [("content", data["tiny"]), ("style", data["style1"]), ("content_size", "0")], "too small"),
    ]
    jobs = [kinds[i % len(kinds)] for i in range(a.requests)]
    lock = threading.Lock()
    next_job = [0]
    counts = collections.Counter()
    wrong = []
    latencies = []

    def client():
        conn = None
        while True:
            with lock:
                i = next_job[0]
                if i >= len(jobs):
                    break
                next_job[0] += 1
            want, fields, check = jobs[i]
            body, ctype = multipart(fields)
            t0 = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(host.hostname, host.port, timeout=120)
                conn.request("POST", "/v1/stylize", body=body, headers={"Content-Type": ctype})
                r = conn.getresponse()
                payload = r.read()
                status = r.status
                if r.getheader("Connection", "").lower() == "close":
                    conn.close()
                    conn = None
            except Exception as e:  # no answer at all: always wrong
                conn = None
                with lock:
                    counts["no answer"] += 1
                    wrong.append("request %d: %s" % (i, e))
                continue
            dt = time.monotonic() - t0
            why = None
            if status != want:
                why = "HTTP %d, expected %d: %s" % (status, want, payload[:200])
            elif status == 200:
                img = Image.open(io.BytesIO(payload))
                if img.format != "PNG" or min(img.size) != check:
                    why = "result %s %s, expected shorter side %d" % (img.format, img.size, check)
            else:
                msg = json.loads(payload)["error"]
                if check not in msg:
                    why = "error %r lacks %r" % (msg, check)
            with lock:
                counts[status] += 1
                latencies.append(dt)
                if why:
                    wrong.append("request %d: %s" % (i, why))
        if conn:
            conn.close()

    rss = [rss_kb(pid)]
    start_rss = rss[0]
    stop = threading.Event()

    def sampler():
        while not stop.wait(0.2):
            rss.append(rss_kb(pid))

    t0 = time.monotonic()
    # warm-up: the first requests fill the models' buffers and the caches
    warm = jobs[:len(kinds) * 2]
    rest = jobs[len(warm):]
    jobs[:] = warm
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    warm_rss = rss_kb(pid)
    s = threading.Thread(target=sampler)
    s.start()
    jobs[:] = warm + rest
    threads = [threading.Thread(target=client) for _ in range(a.clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    s.join()
    elapsed = time.monotonic() - t0
    end_rss = rss_kb(pid)
    latencies.sort()
    print("load: %d requests from %d clients in %.1f s (%.1f/s); answers: %s" % (
        len(jobs), a.clients, elapsed, len(jobs) / elapsed,
        ", ".join("%s: %d" % (k, v) for k, v in sorted(counts.items(), key=str))))
    print("load: latency median %.3f s, p95 %.3f s, max %.3f s" % (
        latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)], latencies[-1]))
    print("load: server RSS at start %.1f MB, after warm-up %.1f MB, max %.1f MB, at end %.1f MB" % (
        start_rss / 1024, warm_rss / 1024, max(rss) / 1024, end_rss / 1024))
    for w in wrong[:10]:
        print("FAIL: " + w, file=sys.stderr)
    growth = (end_rss - warm_rss) / 1024
    if growth > a.max_growth_mb:
        print("FAIL: RSS grew by %.1f MB after warm-up (allowed %.0f)" % (growth, a.max_growth_mb), file=sys.stderr)
    return 0 if not wrong and growth <= a.max_growth_mb and sum(counts.values()) == len(jobs) else 1


if __name__ == "__main__":
    sys.exit(main())
