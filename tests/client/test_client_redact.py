"""client.redact: the key out of urllib3's records of request lines (messages: test_keys)."""

from __future__ import annotations

import logging

import pytest

from client.redact import (
    KeyParameterFilter,
    hide_keys_in_urllib3_logs,
    scrub_key_parameter,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('"GET /q?key=abc123&mobile=ff HTTP/1.1" 200',
         '"GET /q?key=<key>&mobile=ff HTTP/1.1" 200'),
        ("/q?mobile=ff&key=abc123", "/q?mobile=ff&key=<key>"),
        ("(url='/q?KEY=abc123')", "(url='/q?KEY=<key>')"),
        ("Redirecting /a?key=x -> /b?key=y", "Redirecting /a?key=<key> -> /b?key=<key>"),
        ("/q?monkey=abc&mobile=ff", "/q?monkey=abc&mobile=ff"),
        ("no url here: key=abc", "no url here: key=abc"),
    ],
    ids=["request-line", "last-parameter", "upper-case", "redirect", "other-parameter", "no-url"],
)  # fmt: skip
def test_scrub_key_parameter_hides_only_the_key_parameter(text: str, expected: str) -> None:
    assert scrub_key_parameter(text) == expected


def test_filter_rewrites_formatted_record_and_keeps_it() -> None:
    record = logging.LogRecord(
        "urllib3.connectionpool", logging.DEBUG, __file__, 1,
        '%s://%s:%s "%s %s %s" %s %s',
        ("http", "h", 80, "GET", "/q?key=s3cret", "HTTP/1.1", 200, 5),
        None,
    )  # fmt: skip
    assert KeyParameterFilter().filter(record) is True
    assert record.getMessage() == 'http://h:80 "GET /q?key=<key> HTTP/1.1" 200 5'


def test_filter_leaves_other_records_untouched() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%d calls", (3,), None)
    assert KeyParameterFilter().filter(record) is True
    assert (record.msg, record.args) == ("%d calls", (3,))


def test_hide_keys_in_urllib3_logs_covers_every_urllib3_logger_once() -> None:
    hide_keys_in_urllib3_logs()
    hide_keys_in_urllib3_logs()
    loggers = [
        logger
        for name, logger in logging.Logger.manager.loggerDict.items()
        if name.split(".")[0] == "urllib3" and isinstance(logger, logging.Logger)
    ]
    assert {"urllib3.connectionpool", "urllib3.util.retry"} <= {lg.name for lg in loggers}
    for logger in loggers:
        assert sum(isinstance(f, KeyParameterFilter) for f in logger.filters) == 1
