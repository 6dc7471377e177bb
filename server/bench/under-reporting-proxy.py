#!/usr/bin/env python3
"""An old IMAP server that under-reports message sizes, for the benchmark: a proxy in front of a real
Dovecot that rewrites every `RFC822.SIZE n` the server sends to a small number, while the messages
themselves pass whole. It keeps the connection in plain text (STARTTLS is refused and left out of
CAPABILITY), which a client accepts on loopback only: that is where the benchmark runs it.

    under-reporting-proxy.py LISTEN_PORT TARGET_PORT [SIZE]
"""
import asyncio
import re
import sys

LISTEN, TARGET = int(sys.argv[1]), int(sys.argv[2])
SIZE = sys.argv[3].encode() if len(sys.argv) > 3 else b"2000"
SIZE_RE = re.compile(rb"RFC822\.SIZE \d+")


async def server_to_client(reader, writer):
    pending = b""
    while data := await reader.read(65536):
        pending += data
        end = pending.rfind(b"\r\n")
        if end < 0:
            continue
        lines, pending = pending[: end + 2], pending[end + 2 :]
        lines = SIZE_RE.sub(b"RFC822.SIZE " + SIZE, lines).replace(b" STARTTLS", b"")
        writer.write(lines)
        await writer.drain()
    writer.write(pending)
    writer.close()


async def client_to_server(reader, writer, client_writer):
    while line := await reader.readline():
        words = line.split()
        if len(words) == 2 and words[1].upper() == b"STARTTLS":
            client_writer.write(words[0] + b" NO no TLS through this proxy\r\n")
            await client_writer.drain()
            continue
        writer.write(line)
        await writer.drain()
    writer.close()


async def handle(client_reader, client_writer):
    server_reader, server_writer = await asyncio.open_connection("127.0.0.1", TARGET)
    await asyncio.gather(
        server_to_client(server_reader, client_writer),
        client_to_server(client_reader, server_writer, client_writer),
        return_exceptions=True,
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    print("ready", flush=True)
    async with server:
        await server.serve_forever()


asyncio.run(main())
