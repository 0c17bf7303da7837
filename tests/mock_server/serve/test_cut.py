"""Finding a request's socket for a ``drop`` under granian (:mod:`mock_server.serve.cut`)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest

from mock_server.serve.cut import find_connection


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.create_server(("127.0.0.1", 0)) as server:
        yield server


def _pair(stack: ExitStack, server: socket.socket) -> tuple[socket.socket, socket.socket]:
    client = stack.enter_context(socket.create_connection(server.getsockname(), timeout=5))
    accepted, _ = server.accept()
    stack.enter_context(accepted)
    return client, accepted


def _settle() -> None:
    time.sleep(0.03)  # let the segments arrive


def test_the_one_waiting_connection_is_found(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with ExitStack() as stack:
        answered_client, answered = _pair(stack, listener)
        answered_client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        _settle()
        answered.sendall(b"HTTP/1.1 200 OK\r\n\r\n")  # idle keep-alive now
        waiting_client, waiting = _pair(stack, listener)
        _settle()
        waiting_client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        _settle()
        found = find_connection(port, "127.0.0.1")
        assert found is not None
        with found:
            assert found.getpeername() == waiting.getpeername()


def test_two_waiting_connections_are_not_guessed(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with ExitStack() as stack:
        for _ in range(2):
            client, _ = _pair(stack, listener)
            client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        _settle()
        assert find_connection(port, "127.0.0.1") is None


def test_no_connection_from_that_address_is_none(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    with ExitStack() as stack:
        client, _ = _pair(stack, listener)
        client.sendall(b"GET / HTTP/1.1\r\n\r\n")
        _settle()
        assert find_connection(port, "127.0.0.2") is None
