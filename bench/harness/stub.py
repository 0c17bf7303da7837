"""The bare Flask stub: the same route and success body as the mock, no engine behind it.

Run as ``python -m harness.stub --port N [--threads T]``; served by waitress, the WSGI
server juhe-mock uses, so the difference between the two prices the scenario engine,
the journal and the ledger alone. It reads ``key`` and ``mobile`` like the mock does, so
the stub pays for parameter parsing too.
"""

from __future__ import annotations

import argparse

from flask import Flask, Response, request

from contract import PATH

from .answer import static_body_bytes

_BODY = static_body_bytes()


def create_stub() -> Flask:
    app = Flask("bare_stub")

    @app.route(PATH, methods=["GET", "POST"])
    def query() -> Response:
        request.values.get("key")
        request.values.get("mobile")
        return Response(_BODY, mimetype="application/json")

    return app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--asgi", action="store_true", help="juhe-mock's own server")
    args = parser.parse_args(argv)
    if args.asgi:
        serve_asgi(args.host, args.port)
        return
    from waitress import serve

    serve(create_stub(), host=args.host, port=args.port, threads=args.threads, _quiet=True)


async def asgi_stub(scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
    """The bare stub as an ASGI app: constant bytes, no engine, on juhe-mock's own kind of
    server (granian's event loop), so mock ÷ stub prices the engine, journal and ledger."""
    if scope["type"] != "http":
        return
    from .answer import static_body_bytes as _static

    body = _BODY or _static()
    headers = [(b"content-type", b"application/json;charset=utf-8"),
               (b"content-length", b"%d" % len(body))]  # fmt: skip
    await send({"type": "http.response.start", "status": 200, "headers": headers})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": body})  # type: ignore[operator]


class _Shim:
    """What ``mock_server.serve.loop.Serving`` asks of its app, around :func:`asgi_stub`."""

    def __init__(self) -> None:
        from types import SimpleNamespace

        self.bridge = SimpleNamespace(close=lambda: None)
        self.runtime = SimpleNamespace(stop_pausing=lambda: None)

    async def __call__(self, scope: dict, receive: object, send: object) -> None:  # type: ignore[type-arg]
        await asgi_stub(scope, receive, send)

    def cut(self) -> None:
        pass


def serve_asgi(host: str, port: int) -> None:
    """The stub on exactly the server ``juhe-mock`` runs (``serve.loop.Serving``: granian
    embedded in one process, the same settings), until SIGTERM or SIGINT."""
    import asyncio
    import signal

    from mock_server.config import MockConfig
    from mock_server.serve.loop import Serving

    serving = Serving(_Shim(), MockConfig(host=host, port=port), port)  # type: ignore[arg-type]

    async def run() -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, serving.stop)
        await serving.run()

    asyncio.run(run())
    import os

    os._exit(0)  # as juhe-mock: granian's Rust threads must not see the interpreter end


if __name__ == "__main__":
    main()
