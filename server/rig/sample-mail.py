#!/usr/bin/env python3
"""Fills a user's mailbox on a rig Dovecot with a seeded, realistic sample (folders, sizes, dates, flags).

    sample-mail.py DOVECOT_CONF USER [--messages N] [--seed S] [--prefix INBOX.] [--big-mb MB]

--big-mb adds one message of that size to INBOX (one a destination with a size limit refuses).
"""
import argparse
import email.utils
import random
import subprocess

FOLDERS = ["INBOX", "Sent", "Drafts", "Trash", "Junk", "Projects", "Projects.Fountain", "Projects.Archive 2019",
           "Receipts", "Réunions"]
SUBJECTS = ["Quarterly report", "Lunch on Friday?", "Beamline schedule", "Re: sample prep", "Invoice 4711",
            "Meeting notes", "Travel approval", "Draft: paper revision", "Cluster maintenance", "Welcome aboard"]


def message(rng: random.Random, user: str, i: int) -> bytes:
    when = 1_200_000_000 + rng.randrange(0, 500_000_000)
    size = rng.choice([400, 2_000, 8_000, 30_000, 120_000])
    body = "\r\n".join(f"Line {n} of message {i}: " + "lorem ipsum " * rng.randrange(1, 8) for n in range(size // 60))
    headers = [
        f"From: Colleague {rng.randrange(50)} <colleague{rng.randrange(50)}@example.org>",
        f"To: {user}@example.org",
        f"Subject: {rng.choice(SUBJECTS)} #{i}",
        f"Date: {email.utils.formatdate(when, localtime=False)}",
        f"Message-ID: <sample-{user}-{i}@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
    ]
    return ("\r\n".join(headers) + "\r\n\r\n" + body + "\r\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("conf")
    ap.add_argument("user")
    ap.add_argument("--messages", type=int, default=120)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--prefix", default="INBOX.")
    ap.add_argument("--big-mb", type=float, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    doveadm = ["doveadm", "-c", args.conf]
    # doveadm takes UTF-8 names and encodes them (modified UTF-7) itself.
    names = {f: ("INBOX" if f == "INBOX" else args.prefix + f) for f in FOLDERS}
    for f, name in names.items():
        if f != "INBOX":
            subprocess.run(doveadm + ["mailbox", "create", "-s", "-u", args.user, name], check=False,
                           stderr=subprocess.DEVNULL)
    for i in range(args.messages):
        folder = rng.choices(FOLDERS, weights=[30, 12, 2, 6, 3, 8, 6, 4, 5, 4])[0]
        subprocess.run(doveadm + ["save", "-u", args.user, "-m", names[folder]], input=message(rng, args.user, i),
                       check=True)
    if args.big_mb:
        line = "All the beamline images of the week, as one attachment. " * 2 + "\r\n"
        body = line * int(args.big_mb * 1_000_000 / len(line))
        big = (f"From: Imaging <imaging@example.org>\r\nTo: {args.user}@example.org\r\n"
               f"Subject: Images of the week ({args.big_mb:g} MB)\r\nMessage-ID: <big-{args.user}@example.org>\r\n"
               "Date: Mon, 02 Nov 2026 09:00:00 +0000\r\n\r\n" + body).encode()
        subprocess.run(doveadm + ["save", "-u", args.user, "-m", "INBOX"], input=big, check=True)
    print(f"{args.user}: {args.messages} messages in {len(FOLDERS)} folders")


if __name__ == "__main__":
    main()
