#!/usr/bin/env python3
"""Writes a seeded mbox of benchmark mail: sizes drawn around an average (exponential, at least 300 bytes),
spread dates, a few dozen senders, a body of text lines. Prints "MESSAGES BYTES".

    make-mbox.py PATH (--messages N | --mb M) [--avg-kb 60] [--seed 42] [--id-prefix bench] [--varied]

Without --varied a body repeats one random line (cheap to make; compresses far better than mail). With
--varied it is mail as compression meets it: prose of random words from a vocabulary, and in two messages
of five a base64 attachment of random bytes taking most of the message.
"""
import base64
import argparse
import email.utils
import random
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("path")
    count = ap.add_mutually_exclusive_group(required=True)
    count.add_argument("--messages", type=int)
    count.add_argument("--mb", type=float)
    ap.add_argument("--avg-kb", type=float, default=60)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--id-prefix", default="bench")
    ap.add_argument("--varied", action="store_true")
    args = ap.parse_args()
    rng = random.Random(args.seed)
    avg = args.avg_kb * 1024
    total = n = 0
    letters = "etaoinshrdlcumwfgypbvkjxqz"
    words = random.Random(args.seed + 1)  # its own generator: the plain mode's mail stays as it was
    vocabulary = ["".join(words.choices(letters, weights=range(26, 0, -1), k=words.randint(2, 10)))
                  for _ in range(3000)]

    def prose(size):
        out, length = [], 0
        while length < size:
            line = " ".join(rng.choices(vocabulary, k=rng.randint(8, 13))).capitalize() + ".\n"
            out.append(line)
            length += len(line)
        return "".join(out)[:size]

    with open(args.path, "wb") as out:
        while (n < args.messages) if args.messages is not None else (total < args.mb * 1_000_000):
            size = max(300, int(rng.expovariate(1 / avg)))
            when = 1_200_000_000 + rng.randrange(500_000_000)
            head = (f"From bench@example.org {time.asctime(time.gmtime(when))}\n"
                    f"From: Sender {n % 97} <s{n % 97}@example.org>\nTo: alice@example.org\n"
                    f"Subject: benchmark message {n}\nDate: {email.utils.formatdate(when)}\n"
                    f"Message-ID: <{args.id_prefix}-{n}@example.org>\n\n")
            if args.varied and rng.random() < 0.4:
                raw = rng.randbytes(size * 3 // 5 * 3 // 4)
                attachment = base64.encodebytes(raw).decode()
                body = prose(max(0, size - len(attachment))) + "\n" + attachment
            elif args.varied:
                body = prose(size)
            else:
                line = "".join(rng.choice("abcdefghij klmnop") for _ in range(75)) + "\n"
                body = (line * (size // 76 + 1))[:size]
            out.write(head.encode() + body.encode() + b"\n")
            total += len(head) + len(body) + 1
            n += 1
    print(n, total)


if __name__ == "__main__":
    main()
