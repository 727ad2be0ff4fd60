#!/usr/bin/python3
"""The page as a person uses it, clicks included: drives headless Chromium
over the DevTools protocol (--remote-debugging-pipe, no port, no library).

    browser_steps.py URL STEPS PROFILE_DIR

opens URL, then runs STEPS (or the file @STEPS), a JSON list of {"eval": JS} (run it) or
{"until": JS, "timeout_ms": N} (run it every 50 ms until its value is
truthy), and prints one JSON list: each step's value. On a timeout it prints
{"timeout": the step, "results": the values so far} and exits 1, so a test
shows how far the page got. The JS runs in the page (its DOM, its clicks)."""
import json, os, signal, subprocess, sys, time

def main():
    url, steps, profile = sys.argv[1], sys.argv[2], sys.argv[3]
    steps = json.loads(open(steps[1:]).read() if steps.startswith("@") else steps)
    to_chrome_r, to_chrome_w = os.pipe()
    from_chrome_r, from_chrome_w = os.pipe()
    # Chromium reads commands on fd 3 and answers on fd 4.
    proc = subprocess.Popen(
        ["sh", "-c", 'exec "$0" "$@" 3<&%d 4>&%d' % (to_chrome_r, from_chrome_w),
         "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage", "--remote-debugging-pipe", "--user-data-dir=" + profile,
         "--window-size=1280,900", "about:blank"],
        pass_fds=(to_chrome_r, from_chrome_w),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(to_chrome_r); os.close(from_chrome_w)
    # A browser that stops answering must not hang the test: end it all.
    def give_up(*_):
        proc.kill()
        print(json.dumps({"timeout": "the whole run (120 s)"}))
        os._exit(1)
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(120)
    out = os.fdopen(to_chrome_w, "wb", buffering=0)
    inp = os.fdopen(from_chrome_r, "rb", buffering=0)
    buf = b""
    next_id = [0]
    def send(method, params=None, session=None):
        next_id[0] += 1
        msg = {"id": next_id[0], "method": method, "params": params or {}}
        if session: msg["sessionId"] = session
        out.write(json.dumps(msg).encode() + b"\0")
        return next_id[0]
    def call(method, params=None, session=None):
        nonlocal buf
        want = send(method, params, session)
        while True:
            while b"\0" not in buf:
                chunk = inp.read(65536)
                if not chunk: raise RuntimeError("chromium closed the pipe")
                buf += chunk
            raw, buf = buf.split(b"\0", 1)
            m = json.loads(raw)
            if m.get("id") == want:
                if "error" in m: raise RuntimeError(method + ": " + json.dumps(m["error"]))
                return m.get("result", {})
    try:
        targets = call("Target.getTargets")["targetInfos"]
        page = next(t for t in targets if t["type"] == "page")
        session = call("Target.attachToTarget", {"targetId": page["targetId"], "flatten": True})["sessionId"]
        call("Page.navigate", {"url": url}, session)
        def evaluate(js):
            r = call("Runtime.evaluate", {"expression": js, "returnByValue": True,
                                          "awaitPromise": True}, session)
            if "exceptionDetails" in r: raise RuntimeError(js + ": " + json.dumps(r["exceptionDetails"]))
            return r["result"].get("value")
        results = []
        for step in steps:
            if "eval" in step:
                results.append(evaluate(step["eval"]))
                continue
            deadline = time.time() + step.get("timeout_ms", 10000) / 1000
            while True:
                try:
                    v = evaluate(step["until"])
                except RuntimeError:
                    v = None
                if v:
                    results.append(v); break
                if time.time() > deadline:
                    print(json.dumps({"timeout": step, "results": results})); return 1
                time.sleep(0.05)
        print(json.dumps(results))
        return 0
    finally:
        try: call("Browser.close")
        except Exception: pass
        try: proc.wait(5)
        except Exception: proc.kill()

sys.exit(main())
