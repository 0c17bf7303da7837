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
    args = parser.parse_args(argv)
    from waitress import serve

    serve(create_stub(), host=args.host, port=args.port, threads=args.threads, _quiet=True)


if __name__ == "__main__":
    main()


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
