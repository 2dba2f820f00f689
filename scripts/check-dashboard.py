"""Drives the huntbrief dashboard in a running headless Chromium over the DevTools Protocol.

Usage: check-dashboard.py BASE_URL USER PROFILE_DIR SCREENSHOT.png
       (password in $HUNTBRIEF_SERVE_PASSWORD; Chromium started with --remote-debugging-port=0
       --user-data-dir=PROFILE_DIR, so its port is in PROFILE_DIR/DevToolsActivePort)

As a user would: opens /, picks severity HIGH in form#filters and clicks the submit
button, then checks every row is CRIT or HIGH and the row count is /api/briefings'
total; saves a screenshot. Then opens /?q=onerror and the hostile briefing's page and
checks its title `<img src=x onerror=alert(1)>` is text, not an element. No JavaScript
dialog, script error or Content-Security-Policy violation may happen on the way.
"""

import base64
import json
import os
import sys
import time
import urllib.parse
import urllib.request

from websockets.sync.client import connect

HOSTILE = "<img src=x onerror=alert(1)>"


class CheckFailed(Exception):
    pass


def check(condition, message):
    if not condition:
        raise CheckFailed(message)


class Browser:
    """One DevTools connection to the browser, with a flat session on one tab. Events
    are kept in order so that a wait can start from a point before the action."""

    def __init__(self, ws):
        self.ws = ws
        self.last_id = 0
        self.events = []
        self.session = None

    def _handle(self, message):
        if message.get("method") == "Page.javascriptDialogOpening":
            # Dismiss it so the page does not hang; the check fails on the record.
            self._send("Page.handleJavaScriptDialog", {"accept": False}, message.get("sessionId"))
        self.events.append(message)

    def _send(self, method, params, session):
        self.last_id += 1
        message = {"id": self.last_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        return self.last_id

    def call(self, method, params=None, timeout=30, browser=False):
        want = self._send(method, params, None if browser else self.session)
        deadline = time.monotonic() + timeout
        while True:
            message = json.loads(self.ws.recv(timeout=max(0.01, deadline - time.monotonic())))
            if message.get("id") == want:
                if "error" in message:
                    raise CheckFailed(f"{method}: {message['error']}")
                return message["result"]
            if "method" in message:
                self._handle(message)

    def mark(self):
        return len(self.events)

    def wait(self, method, since, timeout=30, where=lambda params: True):
        """The first event `method` at or after index `since` whose params satisfy `where`."""
        deadline = time.monotonic() + timeout
        seen = since
        while True:
            for e in self.events[seen:]:
                if e.get("method") == method and e.get("sessionId") == self.session and where(e["params"]):
                    return e["params"]
            seen = len(self.events)
            left = deadline - time.monotonic()
            if left <= 0:
                raise CheckFailed(f"no {method} within {timeout} s")
            try:
                message = json.loads(self.ws.recv(timeout=left))
            except TimeoutError:
                continue
            if "method" in message:
                self._handle(message)

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in r:
            raise CheckFailed(f"script failed: {r['exceptionDetails']}")
        return r["result"].get("value")

    def loaded(self, since, what):
        """Waits for the main frame to load a new document, and checks it answered 200."""
        self.wait("Page.loadEventFired", since)
        docs = [
            e["params"]["response"]
            for e in self.events[since:]
            if e.get("method") == "Network.responseReceived" and e["params"].get("type") == "Document"
        ]
        check(docs, f"{what}: no document was loaded")
        check(docs[-1]["status"] == 200, f"{what}: {docs[-1]['url']} answered {docs[-1]['status']}")

    def open(self, url):
        since = self.mark()
        r = self.call("Page.navigate", {"url": url})
        check(not r.get("errorText"), f"{url}: {r.get('errorText')}")
        self.loaded(since, url)

    def problems(self):
        """Dialogs, uncaught script errors and CSP violations seen so far."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Page.javascriptDialogOpening":
                out.append(f"a {params.get('type')} dialog opened: {params.get('message')!r}")
            elif method == "Runtime.exceptionThrown":
                out.append(f"script error: {params['exceptionDetails'].get('text')}")
            elif method == "Log.entryAdded" and "Content Security Policy" in params["entry"].get("text", ""):
                out.append(f"CSP violation: {params['entry']['text']}")
        return out


def api(base, auth, path):
    request = urllib.request.Request(base + path, headers={"Authorization": auth})
    with urllib.request.urlopen(request, timeout=10) as r:
        return json.load(r)


def devtools_url(profile):
    """The browser's DevTools WebSocket, once Chromium has written where it listens."""
    path = os.path.join(profile, "DevToolsActivePort")
    for _ in range(300):
        try:
            with open(path) as f:
                port, ws_path = f.read().split()[:2]
            return f"ws://127.0.0.1:{port}{ws_path}"
        except (FileNotFoundError, ValueError):
            time.sleep(0.1)
    raise CheckFailed(f"Chromium did not write {path} in 30 s")


def main():
    base, user, profile, screenshot = sys.argv[1].rstrip("/"), sys.argv[2], sys.argv[3], sys.argv[4]
    password = os.environ["HUNTBRIEF_SERVE_PASSWORD"]
    auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    # Screenshots come back as one large message.
    with connect(devtools_url(profile), max_size=None, open_timeout=10) as ws:
        run(Browser(ws), base, auth, screenshot)


def run(b, base, auth, screenshot):
    """The checks, in the order a user would go."""
    target = b.call("Target.createTarget", {"url": "about:blank"}, browser=True)["targetId"]
    b.session = b.call("Target.attachToTarget", {"targetId": target, "flatten": True}, browser=True)["sessionId"]
    for domain in ("Page", "Network", "Runtime", "Log"):
        b.call(f"{domain}.enable")
    # The credentials a browser would send after its login prompt, on every request.
    b.call("Network.setExtraHTTPHeaders", {"headers": {"Authorization": auth}})
    b.call("Emulation.setDeviceMetricsOverride", {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False})

    # The filter, applied through the page.
    b.open(base + "/")
    # The page's side of the contract the checks below rely on.
    missing = b.evaluate(
        """(() => {
            const form = document.querySelector('form#filters');
            if (!form) return ['form#filters'];
            const want = ['select[name=severity]', 'select[name=kind]', 'select[name=source]',
                'input[name=technique]', 'input[name=since]', 'input[name=until]', 'input[name=q]',
                'button[type=submit]'];
            const out = want.filter(s => !form.querySelector(s));
            if (form.getAttribute('method').toLowerCase() !== 'get' || form.getAttribute('action') !== '/')
                out.push('method="get" action="/"');
            const levels = Array.from(form.querySelectorAll('select[name=severity] option')).map(o => o.value);
            if (levels.join() !== ',CRIT,HIGH,MED,LOW') out.push('severity options "",CRIT,HIGH,MED,LOW, not ' + levels);
            if (!document.querySelector('table#briefings tr.briefing[data-severity] a.title[href^="/briefings/"]'))
                out.push('table#briefings rows tr.briefing[data-severity] with a.title to /briefings/{id}');
            return out;
        })()"""
    )
    check(not missing, f"/ lacks {'; '.join(missing)}")
    since = b.mark()
    button = b.evaluate(
        """(() => {
            const form = document.querySelector('form#filters');
            const select = form.querySelector('select[name=severity]');
            if (!select) return 'no select[name=severity]';
            select.value = 'HIGH';
            if (select.value !== 'HIGH') return 'select[name=severity] has no HIGH option';
            select.dispatchEvent(new Event('input', {bubbles: true}));
            select.dispatchEvent(new Event('change', {bubbles: true}));
            const submit = form.querySelector('button[type=submit], input[type=submit], button:not([type])');
            if (!submit) return 'form#filters has no submit button';
            submit.scrollIntoView({block: 'center'});
            const r = submit.getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        })()"""
    )
    check(isinstance(button, list), f"/: {button}")
    x, y = button
    for kind in ("mousePressed", "mouseReleased"):
        b.call("Input.dispatchMouseEvent", {"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1})
    b.loaded(since, "the filtered list")
    location = b.evaluate("location.pathname + location.search")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    check(location.startswith("/?") and query.get("severity") == ["HIGH"], f"the form went to {location}")
    severities = b.evaluate(
        "Array.from(document.querySelectorAll('table#briefings tr.briefing')).map(r => r.dataset.severity)"
    )
    wrong = sorted({s for s in severities if s not in ("CRIT", "HIGH")})
    check(not wrong, f"severity HIGH shows rows of severity {wrong}")
    high = api(base, auth, "/api/briefings?severity=HIGH&limit=500")["total"]
    every = api(base, auth, "/api/briefings?limit=500")["total"]
    check(0 < high < every, f"the fixture should have some but not all briefings HIGH or worse: {high} of {every}")
    check(
        len(severities) == high,
        f"severity HIGH shows {len(severities)} rows, /api/briefings?severity=HIGH has {high}",
    )
    shot = b.call("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
    os.makedirs(os.path.dirname(screenshot) or ".", exist_ok=True)
    with open(screenshot, "wb") as f:
        f.write(base64.b64decode(shot["data"]))
    print(f"check-dashboard: screenshot {screenshot}")

    # The hostile title, in the search results and on its own page.
    b.open(base + "/?q=onerror")
    titles = b.evaluate(
        "Array.from(document.querySelectorAll('table#briefings tr.briefing a.title'))"
        ".map(a => [a.textContent, a.getAttribute('href')])"
    )
    hostile = [href for text, href in titles if text == HOSTILE]
    check(hostile, f"/?q=onerror lists no title {HOSTILE!r} as text: {titles}")
    check(b.evaluate("document.querySelector('img[src=x]') === null"), "/?q=onerror has an <img src=x> element")
    check(hostile[0].startswith("/briefings/"), f"the title links to {hostile[0]}")
    b.open(urllib.parse.urljoin(base + "/", hostile[0]))
    h1 = b.evaluate("(document.querySelector('h1#title') || {}).textContent")
    check(h1 == HOSTILE, f"{hostile[0]}: h1#title is {h1!r}, not the raw title")
    check(b.evaluate("document.querySelector('img[src=x]') === null"), f"{hostile[0]} has an <img src=x> element")
    check(b.evaluate("document.title").startswith(HOSTILE), f"{hostile[0]}: <title> is not the raw title")

    problems = b.problems()
    check(not problems, "; ".join(problems))
    b.call("Target.closeTarget", {"targetId": target}, browser=True)
    print(
        f"check-dashboard: severity HIGH shows {len(severities)} of {every} briefings, all CRIT or HIGH, "
        f"as /api/briefings says; {HOSTILE} is text on the list and its page; no dialog"
    )


if __name__ == "__main__":
    try:
        main()
    except CheckFailed as e:
        print(f"check-dashboard: FAILED: {e}", file=sys.stderr)
        sys.exit(1)
