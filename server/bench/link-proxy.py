#!/usr/bin/env python3
"""A TCP proxy in front of a server for the benchmarks: counts the most connections open at once and the
bytes each way (what crosses the wire), and can emulate a slow link shared by every connection.

    link-proxy.py LISTEN_PORT TARGET_PORT STATS_FILE [--mbit 50] [--rtt-ms 20]

--mbit caps each direction at that many megabits per second, for all connections together (one link);
--rtt-ms adds half of it to each direction. STATS_FILE holds {"peak": n, "down": bytes from the server,
"up": bytes to it}, rewritten as they change; SIGUSR1 sets them back to zero. Prints "ready" once listening.
"""
import argparse
import asyncio
import json
import os
import signal

CHUNK = 16 * 1024


class Link:
    """One direction of the emulated link: the time it is next free to send."""

    def __init__(self, bytes_per_sec):
        self.rate = bytes_per_sec
        self.free_at = 0.0

    def departure(self, now, size):
        if not self.rate:
            return now
        self.free_at = max(self.free_at, now) + size / self.rate
        return self.free_at


class Stats:
    def __init__(self, path):
        self.path, self.open, self.peak, self.down, self.up = path, 0, 0, 0, 0
        self.dirty = True

    def reset(self):
        self.peak, self.down, self.up, self.dirty = self.open, 0, 0, True
        self.write()

    def write(self):
        if self.dirty:
            tmp = self.path + ".tmp"
            with open(tmp, "w") as f:
                json.dump({"peak": self.peak, "down": self.down, "up": self.up}, f)
            os.replace(tmp, self.path)
            self.dirty = False


async def pipe(reader, writer, link, delay, count):
    """Copies reader to writer: each piece leaves when the link is free, and arrives `delay` later."""
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue(maxsize=64)  # a bounded queue: a slow link pushes back on the sender

    async def receive():
        try:
            while data := await reader.read(CHUNK):
                count(len(data))
                await queue.put((link.departure(loop.time(), len(data)) + delay, data))
        except (ConnectionError, OSError):
            pass
        await queue.put(None)

    async def deliver():
        try:
            while (item := await queue.get()) is not None:
                at, data = item
                if (wait := at - loop.time()) > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            # The receiver is gone: take what still comes, so the sender is never stuck on a full queue.
            while await queue.get() is not None:
                pass
        finally:
            writer.close()

    await asyncio.gather(receive(), deliver())


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("listen", type=int)
    ap.add_argument("target", type=int)
    ap.add_argument("stats")
    ap.add_argument("--mbit", type=float, default=0)
    ap.add_argument("--rtt-ms", type=float, default=0)
    args = ap.parse_args()
    rate = args.mbit * 1_000_000 / 8
    down_link, up_link, delay = Link(rate), Link(rate), args.rtt_ms / 2000
    stats = Stats(args.stats)

    def add_down(n):
        stats.down += n
        stats.dirty = True

    def add_up(n):
        stats.up += n
        stats.dirty = True

    async def session(client_reader, client_writer):
        stats.open += 1
        stats.peak = max(stats.peak, stats.open)
        stats.dirty = True
        stats.write()
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", args.target)
            await asyncio.gather(
                pipe(client_reader, server_writer, up_link, delay, add_up),
                pipe(server_reader, client_writer, down_link, delay, add_down),
            )
        except (ConnectionError, OSError):
            client_writer.close()
        finally:
            stats.open -= 1

    async def flush_stats():
        while True:
            stats.write()
            await asyncio.sleep(0.1)

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, stats.reset)
    server = await asyncio.start_server(session, "127.0.0.1", args.listen)
    stats.write()
    print("ready", flush=True)
    async with server:
        await asyncio.gather(server.serve_forever(), flush_stats())


if __name__ == "__main__":
    asyncio.run(main())
