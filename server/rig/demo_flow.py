#!/usr/bin/env python3
"""Walks the demo's self-service flow as a person would, over HTTP: sign in through the demo's OpenID
provider, connect the old mailbox, scan, pick the default folders, start, wait for done, and find the
done email in the SMTP sink. Used by `.ci/demo --smoke` to prove the demo works end to end; its steps
are also what `demo_seed.py` uses to give the helpdesk requests to work on.

    demo_flow.py PORTAL_URL MAIL_WEB_URL USER PASSWORD OLD_LOGIN OLD_PASSWORD
"""
import http.cookiejar
import json
import sys
import time
import urllib.parse
import urllib.request


class Person:
    """One browser's session with the portal."""

    def __init__(self, portal):
        self.portal = portal
        self.jar = http.cookiejar.CookieJar()
        self.browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def cookie_header(self):
        """The session as a Cookie header, for a load generator."""
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

    def post(self, url, fields):
        data = urllib.parse.urlencode(fields).encode()
        return self.browser.open(urllib.request.Request(url, data=data, method="POST"), timeout=60)

    def call(self, name, fields=()):
        with self.post(f"{self.portal}/api/{name}", list(fields)) as resp:
            return json.load(resp)

    def sign_in(self, user, password):
        # The portal sends the browser to the provider's form; its answer comes back to the portal.
        with self.browser.open(f"{self.portal}/auth/login", timeout=30) as form:
            form_url = form.geturl()
        with self.post(f"{form_url}/login", {"login": user, "password": password}) as landed:
            assert landed.geturl().startswith(self.portal), f"sign-in ended at {landed.geturl()}"

    def until(self, what, done, seconds, name="my_migration", fields=()):
        deadline = time.time() + seconds
        view = None
        while time.time() < deadline:
            view = self.call(name, fields)
            if done(view):
                return view
            time.sleep(1)
        sys.exit(f"demo flow: gave up waiting for {what}; last answer: {json.dumps(view)[:2000]}")

    def connect_and_scan(self, old_login, old_password):
        """Connects the old mailbox and scans it; the folders ticked by default."""
        view = self.call("connect_old_account", [("login", old_login), ("password", old_password)])
        assert view["account"]["usable"], view
        self.call("start_scan")
        view = self.until("the scan", lambda v: (v.get("scan") or {}).get("result") is not None, 120)
        return [f["name"] for f in view["scan"]["result"]["folders"] if f["selected_by_default"]]

    def start(self, folders):
        self.call("start_migration", [(f"folders[{i}]", name) for i, name in enumerate(folders)])


def main():
    portal, mail_web, user, password, old_login, old_password = sys.argv[1:7]
    person = Person(portal)
    person.sign_in(user, password)
    folders = person.connect_and_scan(old_login, old_password)
    person.start(folders)
    ended = lambda v: (v.get("request") or {}).get("state") not in ("queued", "copying")
    request = person.until("the copy", ended, 600)["request"]
    assert request["state"] == "done", request
    copied = sum(f["copied"] for f in request["report"]["folders"])

    deadline = time.time() + 60
    while True:
        with urllib.request.urlopen(f"{mail_web}/email", timeout=10) as resp:
            subjects = [m["subject"] for m in json.load(resp)]
        if "Your mailbox has been copied" in subjects:
            break
        if time.time() > deadline:
            sys.exit(f"demo flow: no done email in the sink (it has {subjects})")
        time.sleep(1)
    print(f"demo flow: {user} copied {copied} messages in {len(folders)} folders; done email received")


if __name__ == "__main__":
    main()
