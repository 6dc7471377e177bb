#!/usr/bin/env python3
"""Walks the demo's self-service flow as a person would, over HTTP: sign in through the demo's OpenID
provider, connect the old mailbox, scan, pick the default folders, start, wait for done, and find the
done email in the SMTP sink. Used by `.ci/demo --smoke` to prove the demo works end to end.

    demo-flow.py PORTAL_URL MAIL_WEB_URL USER PASSWORD OLD_LOGIN OLD_PASSWORD
"""
import http.cookiejar
import json
import sys
import time
import urllib.parse
import urllib.request

portal, mail_web, user, password, old_login, old_password = sys.argv[1:7]
jar = http.cookiejar.CookieJar()
browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))


def post(url, fields):
    data = urllib.parse.urlencode(fields).encode()
    return browser.open(urllib.request.Request(url, data=data, method="POST"), timeout=60)


def call(name, fields=()):
    with post(f"{portal}/api/{name}", list(fields)) as resp:
        return json.load(resp)


def until(what, done, seconds):
    deadline = time.time() + seconds
    while time.time() < deadline:
        view = call("my_migration")
        if done(view):
            return view
        time.sleep(1)
    sys.exit(f"demo flow: gave up waiting for {what}; last view: {json.dumps(view)[:2000]}")


# Sign in: the portal sends the browser to the provider's form; its answer comes back to the portal.
with browser.open(f"{portal}/auth/login", timeout=30) as form:
    form_url = form.geturl()
with post(f"{form_url}/login", {"login": user, "password": password}) as landed:
    assert landed.geturl().startswith(portal), f"sign-in ended at {landed.geturl()}"

view = call("connect_old_account", [("login", old_login), ("password", old_password)])
assert view["account"]["usable"], view
call("start_scan")
view = until("the scan", lambda v: (v.get("scan") or {}).get("result") is not None, 120)
folders = [f["name"] for f in view["scan"]["result"]["folders"] if f["selected_by_default"]]
call("start_migration", [(f"folders[{i}]", name) for i, name in enumerate(folders)])
view = until("the copy", lambda v: (v.get("request") or {}).get("state") not in ("queued", "copying"), 600)
request = view["request"]
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
