"""The compiled scenario: plain objects that decide, knowing nothing of HTTP or state.

:mod:`mock_server.scenario.compile` turns a document into these once, at load time; the
engine then only compares strings, looks up sets and asks the store for counters.
The stateful models of Juhe's platform (keys, quotas, per-IP rate, banned IPs, request
sources, maintenance, internal errors) are here; their counters live in the store.
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from contract.clock import BEIJING

from .replay import Replayed

__all__ = [
    "BEIJING",
    "Fault",
    "FaultKind",
    "IpMatcher",
    "KeySettings",
    "Outcome",
    "Platform",
    "RateLimit",
    "Rule",
    "Scenario",
    "Selectors",
    "Window",
    "normal_ip",
    "unit_interval",
]

_BEIJING_OFFSET_S = 8 * 3600.0  # BEIJING is UTC+8, with no daylight saving


def unit_interval(seed: int, *parts: object) -> float:
    """A deterministic number in [0, 1) from a seed and labels (the seeded probability)."""
    text = ":".join([str(seed), *map(str, parts)]).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big") / 2.0**64


class FaultKind(str, Enum):
    """HTTP-level faults. STATUS, DROP and RAW replace the answer; the other three damage it.

    Billing follows the vendor: an answer that a fault damages on its way (malformed,
    truncated, drip) was still produced, so a damaged success is billed; an answer that a
    fault replaces (status, drop) was never produced, so it is not.
    """

    STATUS = "status"  # any HTTP status with an HTML or empty body
    DROP = "drop"  # the connection closes with no response at all
    MALFORMED = "malformed"  # HTTP 200 with the answer's JSON made invalid
    TRUNCATED = "truncated"  # the answer's JSON cut in half
    DRIP = "drip"  # the answer sent a few bytes at a time
    RAW = "raw"  # exactly the given status, content type and bytes (contract-drift tests)

    @property
    def replaces_answer(self) -> bool:
        return self in (FaultKind.STATUS, FaultKind.DROP, FaultKind.RAW)


@dataclass(frozen=True)
class Fault:
    """One HTTP-level fault and its settings."""

    kind: FaultKind
    status: int = 200
    body: str = "html"  # for STATUS: "html" or "empty"
    chunk: int = 1  # for DRIP: bytes per chunk
    interval: float = 0.05  # for DRIP: seconds between chunks
    payload: bytes = b""  # for RAW: the body, byte for byte
    content_type: str = ""  # for RAW: the Content-Type header


@dataclass(frozen=True)
class Outcome:
    """What a rule (or a model) answers. An outcome with neither ``tenure`` nor ``error``
    nor an answer-replacing fault only modifies (latency, truncation, drip) the answer that
    the rest of the scenario gives; an empty outcome simply falls through."""

    tenure: str | None = None
    error: int | None = None
    reason: str | None = None
    detail: str | None = None
    fault: Fault | None = None
    latency: tuple[float, float] | None = None
    replay: Replayed | None = None  # a recorded answer, sent as it was received

    @property
    def is_answer(self) -> bool:
        """Whether this outcome decides the answer (else later steps decide it)."""
        return (
            self.tenure is not None
            or self.replay is not None
            or self.error is not None
            or (self.fault is not None and self.fault.kind.replaces_answer)
        )


@dataclass(frozen=True)
class Window:
    """A time window: absolute (``start``..``end``) and/or daily (Beijing time of day)."""

    start: datetime | None = None
    end: datetime | None = None
    daily_start: int | None = None  # seconds after Beijing midnight
    daily_end: int | None = None

    def contains(self, now: float) -> bool:
        moment = datetime.fromtimestamp(now, BEIJING)
        if self.start is not None and moment < self.start:
            return False
        if self.end is not None and moment >= self.end:
            return False
        if self.daily_start is not None and self.daily_end is not None:
            of_day = moment.hour * 3600 + moment.minute * 60 + moment.second
            if self.daily_start <= self.daily_end:
                return self.daily_start <= of_day < self.daily_end
            return of_day >= self.daily_start or of_day < self.daily_end  # wraps midnight
        return True


#: IPv4-mapped IPv6 addresses (``::ffff:127.0.0.1``): what a dual-stack socket reports for
#: an IPv4 client. They are the IPv4 address, for the admin guard and every IP model alike.
_MAPPED = ipaddress.IPv6Network("::ffff:0:0/96")


def normal_ip(address: str) -> str:
    """``address`` with an IPv4-mapped IPv6 address written as the IPv4 address it maps
    (``::ffff:127.0.0.1`` → ``127.0.0.1``); anything else as it is (cheap: one prefix test
    for the usual address)."""
    if ":" not in address or not address[:7].lower().startswith("::ffff:"):
        return address
    try:
        mapped = ipaddress.IPv6Address(address).ipv4_mapped
    except ValueError:
        return address
    return str(mapped) if mapped is not None else address


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    net = ipaddress.ip_network(entry, strict=False)
    if isinstance(net, ipaddress.IPv6Network) and net.prefixlen >= 96 and net.subnet_of(_MAPPED):
        mapped = net.network_address.ipv4_mapped
        assert mapped is not None  # inside ::ffff:0:0/96
        return ipaddress.IPv4Network(f"{mapped}/{net.prefixlen - 96}")
    return net


class IpMatcher:
    """A set of addresses and networks, compiled once; exact addresses are a set lookup.

    IPv4-mapped IPv6 entries count as their IPv4 address (see :func:`normal_ip`); the
    engine matches normalised client addresses.
    """

    def __init__(self, entries: list[str]) -> None:
        exact: set[str] = set()
        networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for entry in entries:
            net = _network(entry)
            if net.prefixlen == net.max_prefixlen:
                exact.add(str(net.network_address))
            else:
                networks.append(net)
        self._exact = frozenset(exact)
        self._networks = tuple(networks)

    def __contains__(self, ip: object) -> bool:
        if not isinstance(ip, str):
            return False
        if ip in self._exact:
            return True
        ip = normal_ip(ip)
        if ip in self._exact:
            return True
        if not self._networks:
            return False
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self._networks)

    def __bool__(self) -> bool:
        return bool(self._exact or self._networks)


@dataclass(frozen=True)
class KeySettings:
    """What the platform knows about one key."""

    error: int | None = None  # 10002, 10003, 10005, 10009, 10021 ...
    expires: datetime | None = None  # from this moment on: 10003
    quota: int | None = None  # successes allowed, then 10012 (10013 for a trial key)
    trial: bool = False


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` requests per client IP in each fixed window of ``window_s``."""

    limit: int
    window_s: float


@dataclass(frozen=True)
class Platform:
    """Juhe's platform around the API: who may call, how often, and when."""

    allow: frozenset[str] | None = None  # the key allow-list; others → 10001
    keys: Mapping[str, KeySettings] = field(default_factory=dict)
    default_quota: int | None = None
    #: The quota's window in seconds, aligned to midnight Beijing time: a day by default.
    quota_window_s: float = 86400.0
    banned_ips: IpMatcher = field(default_factory=lambda: IpMatcher([]))
    sources: IpMatcher | None = None  # the known request sources; others → 10007
    rate: RateLimit | None = None
    maintenance: tuple[Window, ...] = ()
    internal_errors: float = 0.0

    def settings(self, key: str) -> KeySettings | None:
        return self.keys.get(key)

    def quota_for(self, key: str) -> tuple[int | None, bool]:
        """The key's quota of successes (None = unlimited) and whether it is a trial key."""
        settings = self.keys.get(key)
        if settings is not None and settings.quota is not None:
            return settings.quota, settings.trial
        trial = settings.trial if settings is not None else False
        return self.default_quota, trial

    def quota_window_index(self, now: float) -> int:
        """Which quota window ``now`` falls in: windows start at midnight Beijing time
        (UTC+8, no daylight saving), so a daily quota resets when the vendor's does."""
        return int((now + _BEIJING_OFFSET_S) // self.quota_window_s)

    def refuse_ip(self, ip: str) -> int | None:
        """The error code for a client IP refused outright (10008, 10007), or None."""
        if self.banned_ips and ip in self.banned_ips:
            return 10008
        if self.sources is not None and ip not in self.sources:
            return 10007
        return None

    def refuse_key(self, key: str, now: float) -> int | None:
        """The error code for a key refused now (10001, its own state, 10003 by expiry) or
        for maintenance (10020); None to go on."""
        if self.allow is not None and key not in self.allow:
            return 10001
        settings = self.keys.get(key)
        if settings is not None:
            if settings.error is not None:
                return settings.error
            if settings.expires is not None and now >= settings.expires.timestamp():
                return 10003
        for window in self.maintenance:
            if window.contains(now):
                return 10020
        return None


@dataclass(frozen=True)
class Selectors:
    """A rule's ``when``: every given selector must match."""

    keys: frozenset[str] | None = None
    mobiles: frozenset[str] | None = None  # lowercase sha256
    ips: IpMatcher | None = None
    methods: frozenset[str] | None = None
    headers: tuple[tuple[str, str], ...] = ()
    window: Window | None = None


@dataclass(frozen=True)
class Rule:
    """One scenario rule, compiled."""

    name: str
    counter: str  # the store key prefix of this rule's counters: digest and place
    when: Selectors
    probability: float | None
    times: int | None
    outcomes: tuple[Outcome, ...]  # one for ``then``; the list for ``sequence``
    is_sequence: bool
    cycle: bool
    digest: str = ""  # of the rule's document (see compile.rule_digest)


@dataclass(frozen=True)
class Scenario:
    """A whole compiled scenario document."""

    document: Mapping[str, Any]
    seed: int
    default_no_record: bool
    weights: tuple[tuple[str, float], ...]  # cumulative, for the deterministic default
    platform: Platform
    rules: tuple[Rule, ...]
    #: Recorded answers by hash (``replay``, :mod:`.replay`): answered before magic numbers.
    replay: Mapping[str, Replayed] = field(default_factory=dict)
