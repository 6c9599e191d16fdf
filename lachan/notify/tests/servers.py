"""Real servers on loopback for the channel tests: an aiohttp app in a background thread, aiosmtpd."""

import asyncio
import socket
import threading
from contextlib import contextmanager

from aiohttp import web


@contextmanager
def http_server(handler, path="/{tail:.*}"):
    """Serve ``handler`` (an aiohttp handler) for every path on 127.0.0.1; yields the base URL."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    state = {}

    async def start():
        app = web.Application()
        async def route(request):
            return await handler(request)

        app.router.add_route("*", path, route)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        state["runner"] = runner
        state["port"] = runner.addresses[0][1]

    def run():
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        started.set()
        loop.run_forever()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    started.wait(10)
    try:
        yield f"http://127.0.0.1:{state['port']}"
    finally:
        asyncio.run_coroutine_threadsafe(state["runner"].cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


class Recorder:
    """An aiohttp handler that records requests and answers with the next status of ``statuses``."""

    def __init__(self, statuses=(200,), body="ok"):
        self.statuses = list(statuses)
        self.body = body
        self.requests = []

    async def __call__(self, request):
        self.requests.append({"method": request.method, "path": request.path, "headers": dict(request.headers),
                              "body": await request.read()})
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return web.Response(status=status, text=self.body, content_type="application/json")


@contextmanager
def smtp_server():
    """aiosmtpd on 127.0.0.1; yields (port, messages) with each message as ``email.message.Message``."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received = []

    class Keep(Message):
        def handle_message(self, message):
            received.append(message)

    with socket.socket() as probe:  # a free port (aiosmtpd connects to its own port once started)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Keep(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, received
    finally:
        controller.stop()
