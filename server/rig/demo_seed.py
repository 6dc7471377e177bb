#!/usr/bin/env python3
"""Gives the demo's helpdesk (hana) and IT (ivan) requests to work on, made the way people make them:
carol and dan sign in, connect their old mailboxes, scan and start copying, and each copy runs into a
real problem of the demo's servers:

- carol's mailbox on the new server is gone by the time she starts (removed from the new server's
  users): her copy fails, the new server refused;
- dan has a message larger than the new server accepts: his copy ends needing attention (corrupt
  messages), everything else copied.

(A stuck request is not seeded: a hung old server holds the per-server budget every copy shares, so
hanging one person's copy here would stall everyone's.)

With --wait, it waits until hana's triage queue shows both (the smoke check).

    demo_seed.py PORTAL_URL NEW_SERVER_PASSWD_FILE [--wait]
"""
import sys

from demo_flow import Person

portal, new_users = sys.argv[1], sys.argv[2]
for user, login in (("carol", "carol.cole"), ("dan", "dan.duarte")):
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
    wanted = {("Carol Cole", "failed"), ("Dan Duarte", "needs_attention")}
    seen = lambda t: {(r["person"], r["bucket"]) for r in t["rows"]}
    hana.until("the triage queue", lambda t: wanted <= seen(t), 240, name="helpdesk_triage")
    print("demo seed: hana's queue has a failed and a needs-attention request")
