#!/usr/bin/env python3
"""Gives the demo's helpdesk (hana) and IT (ivan) requests to work on, made the way people make them:
carol and dan sign in, connect their old mailboxes, scan and start copying, and each copy runs into a
real problem of the demo's servers:

- carol's mailbox on the new server is gone by the time she starts (removed from the new server's
  users): her copy fails, the new server refused;
- dan has a message larger than the new server accepts: his copy ends needing attention (corrupt
  messages), everything else copied;
- erin's mailbox hangs (the demo's stall proxy stops answering her first copy's message fetch): after
  a minute with nothing copied her copy is stuck; pausing and resuming it gets it through.

With --wait, it waits until hana's triage queue shows all three (the smoke check).

    demo_seed.py PORTAL_URL NEW_SERVER_PASSWD_FILE [--wait]
"""
import sys

from demo_flow import Person

portal, new_users = sys.argv[1], sys.argv[2]
for user, login in (("carol", "carol.cole"), ("dan", "dan.duarte"), ("erin", "erin.east")):
    person = Person(portal)
    person.sign_in(user, f"{user}-pass")
    folders = person.connect_and_scan(login, f"{user}-old")
    if user == "carol":
        with open(new_users) as f:
            kept = [line for line in f if not line.startswith("carol.cole@")]
        with open(new_users, "w") as f:
            f.writelines(kept)
    person.start(folders)
    print(f"demo seed: {user} started a copy")

if "--wait" in sys.argv:
    hana = Person(portal)
    hana.sign_in("hana", "hana-pass")
    wanted = {("Carol Cole", "failed"), ("Dan Duarte", "needs_attention"), ("Erin East", "stuck")}
    seen = lambda t: {(r["person"], r["bucket"]) for r in t["rows"]}
    queue = hana.until("the triage queue", lambda t: wanted <= seen(t), 300, name="helpdesk_triage")
    print("demo seed: hana's queue has a stuck, a failed and a needs-attention request")
    # What the banner promises hana: pausing and resuming erin's stuck copy gets it through.
    erin = next(r["request_id"] for r in queue["rows"] if r["person"] == "Erin East")
    detail = [("request_id", erin)]
    for action, state in (("Pause", "paused"), ("Resume", "done")):
        hana.call("act_for_person", detail + [("action", action), ("reason", "Her old mailbox hangs: starting it again")])
        hana.until(f"erin's copy {state}", lambda d: d["request"]["state"] == state, 300, name="request_detail", fields=detail)
    print("demo seed: erin's stuck copy, paused and resumed by hana, is done")
