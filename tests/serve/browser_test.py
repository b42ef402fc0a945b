#!/usr/bin/env python3
"""Drives ccpl serve's page in headless Chromium (Debian's `chromium`) over
the DevTools protocol on a pipe (--remote-debugging-pipe: no network port,
no npm package): opens the page, uploads two images through the file inputs,
chooses options, presses Enter on the Stylize button, waits for the result,
and checks it: its size, and its SHA-256 against an expected file (the same
request made with curl). Fails on any page error or any request that leaves
the server. Optionally writes a screenshot.

usage: browser_test.py URL CONTENT STYLE EXPECTED_PNG [--mode M] [--size N]
                       [--screenshot OUT.png] [--timeout S]
Exit 0 when every check passes; 1 with the reason on stderr otherwise."""
import argparse
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

from PIL import Image


class Browser:
    """Chromium with the DevTools protocol on fds 3 (commands in) and 4
    (answers and events out), messages separated by NUL bytes."""

    def __init__(self, exe, timeout):
        self.profile = tempfile.mkdtemp(prefix="ccpl-chromium-")
        cmd_r, self.cmd_w = os.pipe()
        self.out_r, out_w = os.pipe()

        def child_fds():
            # via fds out of the way, so that neither dup2 clobbers the other's source
            a, b = os.dup2(cmd_r, 100), os.dup2(out_w, 101)
            os.dup2(a, 3)
            os.dup2(b, 4)

        args = [exe, "--headless", "--remote-debugging-pipe", "--no-first-run",
                "--no-default-browser-check", "--disable-gpu", "--disable-extensions",
                "--disable-background-networking", "--disable-sync", "--mute-audio",
                "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
                "--user-data-dir=" + self.profile, "--window-size=1200,900"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # Chromium refuses root with its sandbox
        # fds 3 and 4 are kept open across exec (close_fds spares pass_fds)
        self.proc = subprocess.Popen(args, preexec_fn=child_fds, pass_fds=(3, 4),
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        os.close(cmd_r)
        os.close(out_w)
        self.buf = b""
        self.next_id = 0
        self.events = []
        self.deadline = time.monotonic() + timeout

    def _read_message(self):
        import select
        while b"\0" not in self.buf:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the browser test ran out of time")
            r, _, _ = select.select([self.out_r], [], [], min(left, 1.0))
            if not r:
                if self.proc.poll() is not None:
                    raise RuntimeError("chromium exited (%s)" % self.proc.returncode)
                continue
            chunk = os.read(self.out_r, 1 << 20)
            if not chunk:
                raise RuntimeError("chromium closed the DevTools pipe")
            self.buf += chunk
        msg, self.buf = self.buf.split(b"\0", 1)
        return json.loads(msg)

    def send(self, method, params=None, session=None):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self.cmd_w, json.dumps(msg).encode() + b"\0")
        while True:
            m = self._read_message()
            if m.get("id") == self.next_id:
                if "error" in m:
                    raise RuntimeError("%s: %s" % (method, m["error"]))
                return m.get("result", {})
            self.events.append(m)

    def wait_event(self, method):
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read_message())

    def close(self):
        try:
            self.send("Browser.close")
        except Exception:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.cmd_w)
        os.close(self.out_r)
        shutil.rmtree(self.profile, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("content")
    ap.add_argument("style")
    ap.add_argument("expected")
    ap.add_argument("--mode", default="photo")
    ap.add_argument("--size", default="256")
    ap.add_argument("--screenshot")
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()

    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if not exe:
        print("FAIL: chromium is not installed (scripts/install-deps.sh installs it)", file=sys.stderr)
        return 1
    b = Browser(exe, a.timeout)
    try:
        target = b.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        s = b.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "DOM", "Network"):
            b.send(domain + ".enable", session=s)
        b.send("Emulation.setDeviceMetricsOverride",
               {"width": 1200, "height": 900, "deviceScaleFactor": 1, "mobile": False}, session=s)
        b.send("Page.navigate", {"url": a.url}, session=s)
        b.wait_event("Page.loadEventFired")

        def js(expr):
            r = b.send("Runtime.evaluate", {"expression": expr, "awaitPromise": True,
                                            "returnByValue": True}, session=s)
            if "exceptionDetails" in r:
                raise RuntimeError("page script failed: %s: %s" % (expr, r["exceptionDetails"]))
            return r["result"].get("value")

        # /v1/models answered and the options reflect it
        for _ in range(100):
            if "worker" in (js("document.getElementById('server-info').textContent") or ""):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the page never showed the server's details")
        # every form control has a label (accessibility)
        unlabelled = js("""[...document.querySelectorAll('input,select,button')].filter(e =>
            !(e.labels && e.labels.length) && !e.getAttribute('aria-label') &&
            !(e.tagName === 'BUTTON' && e.textContent.trim())).map(e => e.id || e.name)""")
        if unlabelled:
            raise RuntimeError("controls without a label: %s" % unlabelled)

        # upload through the real file inputs
        doc = b.send("DOM.getDocument", session=s)["root"]["nodeId"]
        for sel, path in (("#content", a.content), ("#style", a.style)):
            node = b.send("DOM.querySelector", {"nodeId": doc, "selector": sel}, session=s)["nodeId"]
            b.send("DOM.setFileInputFiles", {"files": [os.path.abspath(path)], "nodeId": node}, session=s)
        for _ in range(100):
            if js("!document.getElementById('content-preview').hidden && "
                  "!document.getElementById('style-preview').hidden"):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the previews did not appear after choosing the files")
        js("document.getElementById('mode-%s').click()" % a.mode)
        js("(() => { const e = document.getElementById('content_size'); e.value = '%s';"
           " e.dispatchEvent(new Event('change')); })()" % a.size)
        # the keyboard: focus the button and press Enter
        js("document.getElementById('go').focus()")
        for t in ("keyDown", "keyUp"):
            b.send("Input.dispatchKeyEvent", {"type": t, "key": "Enter", "code": "Enter",
                                              "windowsVirtualKeyCode": 13, "text": "\r" if t == "keyDown" else ""},
                   session=s)
        t0 = time.monotonic()
        while True:
            st = js("""(() => { const i = document.getElementById('result-img');
                return {w: i.hidden ? 0 : i.naturalWidth, h: i.naturalHeight,
                        status: document.getElementById('status').textContent,
                        error: document.getElementById('status').classList.contains('error')}; })()""")
            if st["error"]:
                raise RuntimeError("the page reported: %s" % st["status"])
            if st["w"] and st["status"].startswith("Done"):
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - t0

        exp = Image.open(a.expected)
        if (st["w"], st["h"]) != exp.size:
            raise RuntimeError("result is %dx%d, expected %dx%d" % (st["w"], st["h"], *exp.size))
        digest = js("""(async () => { const r = await fetch(document.getElementById('result-img').src);
            const d = await crypto.subtle.digest('SHA-256', await r.arrayBuffer());
            return [...new Uint8Array(d)].map(x => x.toString(16).padStart(2, '0')).join(''); })()""")
        want = hashlib.sha256(open(a.expected, "rb").read()).hexdigest()
        if digest != want:
            raise RuntimeError("the page's result differs from the API's (sha256 %s vs %s)" % (digest, want))
        dl = js("(() => { const d = document.getElementById('download');"
                " return {hidden: d.hidden, name: d.download, href: d.href}; })()")
        if dl["hidden"] or not dl["href"].startswith("blob:") or not dl["name"].endswith(".png"):
            raise RuntimeError("no usable download link: %s" % dl)

        # nothing but this server was asked for anything; no script errors
        origin = a.url.rstrip("/")
        for e in b.events:
            if e.get("method") == "Runtime.exceptionThrown":
                raise RuntimeError("page exception: %s" % e["params"]["exceptionDetails"])
            if e.get("method") == "Network.requestWillBeSent":
                u = e["params"]["request"]["url"]
                if not (u.startswith(origin + "/") or u.startswith("blob:") or u.startswith("data:")):
                    raise RuntimeError("the page asked for %s" % u)

        if a.screenshot:
            js("window.scrollTo(0, 0); document.activeElement.blur()")
            shot = b.send("Page.captureScreenshot", {"format": "png"}, session=s)
            with open(a.screenshot, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        print("browser: result %dx%d in %.1f s, same bytes as the API; %d events seen"
              % (st["w"], st["h"], elapsed, len(b.events)))
        return 0
    except Exception as e:  # one line, the reason
        print("FAIL: %s" % e, file=sys.stderr)
        return 1
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
