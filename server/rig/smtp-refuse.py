#!/usr/bin/env python3
"""An SMTP server that refuses mail for good, as a relay does for a mailbox that does not exist.

    smtp-refuse.py PORT

Every recipient whose local part starts with "nobody" is refused at RCPT with 550 5.1.1 (no such
mailbox), one starting with "relay" with 554 5.7.1 (relaying denied: the relay's set-up, not the
address); mail for anyone else is taken and dropped. Each refusal is printed on stdout.
"""
import asyncio
import sys

REFUSED = b"550 5.1.1 <%s>: Recipient address rejected: User unknown in virtual mailbox table\r\n"
NO_RELAY = b"554 5.7.1 <%s>: Relay access denied\r\n"


async def session(reader, writer):
    def say(line):
        writer.write(line if isinstance(line, bytes) else line.encode())

    say("220 refuse.example.org ESMTP\r\n")
    in_data = False
    while True:
        line = await reader.readline()
        if not line:
            break
        if in_data:
            if line in (b".\r\n", b".\n"):
                in_data = False
                say("250 2.0.0 Ok: queued\r\n")
            continue
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            say("250-refuse.example.org\r\n250 8BITMIME\r\n")
        elif verb == b"MAIL":
            say("250 2.1.0 Ok\r\n")
        elif verb == b"RCPT":
            address = line.split(b"<", 1)[-1].split(b">", 1)[0]
            if address.lower().startswith(b"nobody"):
                print("refused", address.decode(errors="replace"), flush=True)
                say(REFUSED % address)
            elif address.lower().startswith(b"relay"):
                print("no relay", address.decode(errors="replace"), flush=True)
                say(NO_RELAY % address)
            else:
                say("250 2.1.5 Ok\r\n")
        elif verb == b"DATA":
            in_data = True
            say("354 End data with <CR><LF>.<CR><LF>\r\n")
        elif verb == b"QUIT":
            say("221 2.0.0 Bye\r\n")
            await writer.drain()
            break
        else:
            say("250 2.0.0 Ok\r\n")
        await writer.drain()
    writer.close()


async def main(port):
    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
