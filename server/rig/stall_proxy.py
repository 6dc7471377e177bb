#!/usr/bin/env python3
"""The demo's old server as one person sees it when their mailbox hangs: a pass-through proxy in
front of the old IMAP server that, on the first connection logged in as LOGIN that asks for a
message's body (BODY.PEEK[]), stops passing the server's answers on while keeping the connection
open, as a hung server does. Everyone else, and that person's later connections, pass untouched:
once the helpdesk pauses and resumes the request (or the old server's timeout ends the wait), the
copy goes through. Plain IMAP on this machine only.

    stall_proxy.py LISTEN_PORT TARGET_PORT LOGIN
"""
import asyncio
import re
import sys

listen_port, target_port, login = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3].lower()
logs_in = re.compile(rb'login\s+"?' + re.escape(login.encode()) + rb'"?\s', re.IGNORECASE)
fetches_body = re.compile(rb"fetch\s.*body\.peek\[\]", re.IGNORECASE)
hung_once = False


async def pipe(reader, writer, watch=None, hold=None):
    try:
        while data := await reader.read(65536):
            if watch:
                watch(data)
            if hold is not None and hold.is_set():
                # Hung: keep the connection, pass nothing on, until the other side goes away.
                await reader.read()
                return
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


async def handle(client_reader, client_writer):
    try:
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
    except OSError:
        client_writer.close()
        return
    logged_in = False
    hold = asyncio.Event()

    def watch(sent):
        global hung_once
        nonlocal logged_in
        logged_in = logged_in or bool(logs_in.search(sent))
        if logged_in and not hung_once and fetches_body.search(sent):
            hung_once = True
            hold.set()
            print(f"stall proxy: {login}'s mailbox hangs from now on this connection", flush=True)

    await asyncio.gather(
        pipe(client_reader, server_writer, watch=watch),
        pipe(server_reader, client_writer, hold=hold),
    )


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", listen_port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
