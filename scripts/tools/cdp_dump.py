#!/usr/bin/env python3
"""Drive headless Chromium over the DevTools protocol on a pipe (stdlib only, no websocket).

Needed because `chromium --headless --dump-dom` dumps at the load event (before the SSE data
arrives) and `--virtual-time-budget` never expires while an EventSource stream is open.

usage: cdp_dump.py URL [--until JS_EXPR] [--timeout SECONDS] [--screenshot OUT.png]
                       [--size 1400x1900] [--dom OUT.html] [--chromium PATH]
Waits until JS_EXPR is truthy in the page (polled every 250 ms), then prints the DOM
(document.documentElement.outerHTML) to stdout or --dom, and optionally saves a full-viewport PNG.
Exit status: 0 when the condition held, 2 on timeout (DOM is still dumped), 3 if the page threw
uncaught errors (printed to stderr), 1 on other errors.
"""
import argparse, base64, json, os, subprocess, sys, time

ap = argparse.ArgumentParser()
ap.add_argument("url")
ap.add_argument("--until", default="true")
ap.add_argument("--timeout", type=float, default=15)
ap.add_argument("--screenshot")
ap.add_argument("--dom")
ap.add_argument("--size", default="1400x1900")
ap.add_argument("--chromium", default="chromium")
args = ap.parse_args()
W, H = (int(x) for x in args.size.split("x"))

# Chromium reads commands from fd 3 and writes replies/events to fd 4, NUL-separated JSON.
to_chrome_r, to_chrome_w = os.pipe()
from_chrome_r, from_chrome_w = os.pipe()


def child_fds():
    a, b = os.dup(to_chrome_r), os.dup(from_chrome_w)  # move out of the way first: a pipe may already be fd 3 or 4
    os.dup2(a, 3)
    os.dup2(b, 4)
    os.set_inheritable(3, True)
    os.set_inheritable(4, True)


proc = subprocess.Popen(
    [args.chromium, "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
     "--no-first-run", "--no-default-browser-check", f"--window-size={W},{H}", "about:blank"],
    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=None if os.environ.get("CDP_DEBUG") else subprocess.DEVNULL,
    preexec_fn=child_fds, close_fds=False,  # fds 3/4 are dup2'ed in the child; os.pipe() fds are close-on-exec
)
os.close(to_chrome_r)
os.close(from_chrome_w)
out = os.fdopen(to_chrome_w, "wb", buffering=0)
inp = os.fdopen(from_chrome_r, "rb", buffering=0)
buf = b""
next_id = 0


def send(method, params=None, session=None):
    global next_id, buf
    next_id += 1
    msg = {"id": next_id, "method": method, "params": params or {}}
    if session:
        msg["sessionId"] = session
    out.write(json.dumps(msg).encode() + b"\0")
    while True:
        while b"\0" not in buf:
            chunk = inp.read(1 << 16)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            buf += chunk
        raw, buf = buf.split(b"\0", 1)
        reply = json.loads(raw)
        if reply.get("id") == next_id:
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error']}")
            return reply.get("result", {})


def evaluate(session, expr):
    r = send("Runtime.evaluate", {"expression": expr, "returnByValue": True, "awaitPromise": True}, session)
    return r.get("result", {}).get("value")


status = 1
try:
    target = send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    send("Page.enable", session=session)
    # Record uncaught page errors so they can be reported (printed to stderr, exit status 3).
    send("Page.addScriptToEvaluateOnNewDocument", {"source":
         "window.__cdpErrors = []; addEventListener('error', e => __cdpErrors.push(String(e.message)));"
         "addEventListener('unhandledrejection', e => __cdpErrors.push('unhandled rejection: ' + String(e.reason)));"}, session)
    send("Emulation.setDeviceMetricsOverride", {"width": W, "height": H, "deviceScaleFactor": 1, "mobile": W < 600}, session)
    send("Page.navigate", {"url": args.url}, session)
    deadline = time.time() + args.timeout
    ok = False
    while time.time() < deadline:
        try:
            ok = bool(evaluate(session, f"(() => {{ try {{ return !!({args.until}); }} catch (e) {{ return false; }} }})()"))
        except RuntimeError:
            ok = False  # context not ready yet during navigation
        if ok:
            break
        time.sleep(0.25)
    status = 0 if ok else 2
    if not ok:
        print(f"cdp_dump: timed out after {args.timeout}s waiting for: {args.until}", file=sys.stderr)
    errors = evaluate(session, "window.__cdpErrors || []") or []
    for e in errors:
        print(f"cdp_dump: page error: {e}", file=sys.stderr)
    if errors and status == 0:
        status = 3
    dom = evaluate(session, "document.documentElement.outerHTML") or ""
    if args.dom:
        open(args.dom, "w").write(dom)
    else:
        sys.stdout.write(dom + "\n")
    if args.screenshot:
        png = send("Page.captureScreenshot", {"format": "png"}, session)["data"]
        open(args.screenshot, "wb").write(base64.b64decode(png))
    try:
        send("Browser.close")
    except RuntimeError:
        pass
except Exception as e:  # noqa: BLE001
    print(f"cdp_dump: {e}", file=sys.stderr)
    status = 1
finally:
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
sys.exit(status)
