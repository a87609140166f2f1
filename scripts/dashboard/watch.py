#!/usr/bin/env python3
"""Open the Ringdesk dashboard in headless Chromium for a few real seconds and report what it shows.

Drives Chromium over the DevTools protocol (websocket-client): navigates to the page, waits until
the page received its first frame (at most --live-timeout seconds), lets it run --seconds more, reads the figures from the DOM, optionally writes a screenshot, and prints one JSON object:
{"live", "frames", "node", "queued_total", "kpi_fr_sla", "kpi_resolution_rate", "kpi_csat",
 "cluster": [{"node", "status"}], "ticket_history": "..."}.

  python3 scripts/dashboard/watch.py https://127.0.0.1:7600/dashboard --seconds 3 --screenshot out.png

Chromium runs with --ignore-certificate-errors (test nodes use self-signed certificates) in a
throwaway profile, and is stopped by its PID when done.
"""
import argparse
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket

READ = r"""JSON.stringify({
  live: document.getElementById('live').textContent,
  frames: Number(document.getElementById('frames').textContent),
  node: document.getElementById('node-id').textContent,
  queued_total: document.getElementById('queued-total').textContent,
  kpi_fr_sla: document.getElementById('kpi-fr-sla').textContent,
  kpi_resolution_rate: document.getElementById('kpi-resolution-rate').textContent,
  kpi_csat: document.getElementById('kpi-csat').textContent,
  cluster: [...document.querySelectorAll('#cluster tr')].map(r => ({node: r.dataset.node, status: r.dataset.status})),
  ticket_history: (document.getElementById('ticket-history') || {innerText: ''}).innerText
})"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=3.0, help="real seconds to let the page run (0.5-60)")
    parser.add_argument("--live-timeout", type=float, default=60.0,
                        help="real seconds to wait for the page's first frame before the window starts (default 60)")
    parser.add_argument("--screenshot", help="write a PNG of the page here")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "chromium")
    args = parser.parse_args()
    if not 0.5 <= args.seconds <= 60:
        parser.error("--seconds must be between 0.5 and 60")

    profile = tempfile.mkdtemp(prefix="ringdesk-chromium-")
    browser = subprocess.Popen(
        [args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--ignore-certificate-errors", "--no-first-run",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", "--window-size=1400,1000", "about:blank"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        port = None
        deadline = time.monotonic() + 30
        while port is None and time.monotonic() < deadline:
            line = browser.stderr.readline()
            if not line:
                if browser.poll() is not None:
                    sys.exit(f"chromium exited with {browser.returncode}")
                continue
            match = re.search(r"DevTools listening on ws://[^:]+:(\d+)/", line)
            if match:
                port = int(match.group(1))
        if port is None:
            sys.exit("chromium did not open its DevTools port within 30 s")
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = next(t for t in targets if t.get("type") == "page")
        ws = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        counter = 0

        def call(method, **params):
            nonlocal counter
            counter += 1
            ws.send(json.dumps({"id": counter, "method": method, "params": params}))
            while True:
                message = json.loads(ws.recv())
                if message.get("id") == counter:
                    if "error" in message:
                        raise RuntimeError(f"{method}: {message['error']}")
                    return message.get("result", {})

        def read():
            result = call("Runtime.evaluate", expression=READ, returnByValue=True)
            value = result.get("result", {}).get("value")
            if value is None:
                sys.exit(f"could not read the page: {result}")
            return value

        call("Page.enable")
        call("Page.navigate", url=args.url)
        # The window starts when the page has its first frame: on a busy machine Chromium can take
        # seconds to load the page and open the stream (bounded by --live-timeout).
        live_deadline = time.monotonic() + args.live_timeout
        def frames():
            probe = "Number((document.getElementById('frames') || {textContent: '0'}).textContent)"
            return call("Runtime.evaluate", expression=probe, returnByValue=True).get("result", {}).get("value") or 0

        while frames() < 1 and time.monotonic() < live_deadline:
            time.sleep(0.1)
        time.sleep(args.seconds)
        value = read()
        if args.screenshot:
            shot = call("Page.captureScreenshot", format="png")
            with open(args.screenshot, "wb") as out:
                out.write(base64.b64decode(shot["data"]))
        ws.close()
        print(value)
    finally:
        try:
            os.killpg(browser.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            browser.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


if __name__ == "__main__":
    main()
