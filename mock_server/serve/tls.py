"""HTTPS for the mock: a certificate and key checked before serving, or one made for loopback.

granian terminates TLS itself (rustls, TLS 1.3 by default) when it is given a PEM
certificate and key: ``juhe-mock --tls-cert FILE --tls-key FILE``, ``MockServer(tls=(cert,
key))``. Both files are checked here first, so that a bad one is one line naming it (exit
2) instead of a traceback from the server.

``--tls-self-signed`` (``MockServer(tls=True)``) makes a certificate at start for
``127.0.0.1``, ``::1`` and ``localhost``, valid for one day, in a temporary directory
removed when the mock stops: a test trusts that one file (``requests``'s ``verify=``) and
nothing else. It is made with the ``openssl`` command, so that the mock needs no
cryptography library of its own; without it the mode says so and names the alternative.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

from ..config import MockConfig

__all__ = ["CERT_NAME", "TlsError", "check_pair", "self_signed", "with_certificate"]

#: The names a self-signed certificate is made for.
LOOPBACK_NAMES = ("127.0.0.1", "::1", "localhost")
CERT_NAME, KEY_NAME = "cert.pem", "key.pem"
_DAYS = 1
_PEM_CERT = "-----BEGIN CERTIFICATE-----"


class TlsError(ValueError):
    """A certificate or key that cannot be served; the message names the file and why."""


def _read(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        raise TlsError(f"{what} {path}: no such file") from None
    except IsADirectoryError:
        raise TlsError(f"{what} {path}: a directory, not a file") from None
    except OSError as error:
        raise TlsError(f"{what} {path}: cannot read it: {error.strerror or error}") from None


def check_pair(cert: str, key: str) -> None:
    """Check that ``cert`` is a PEM certificate and ``key`` its PEM private key.

    :raises TlsError: naming the option, the file and why.
    """
    text = _read(cert, "--tls-cert")
    if _PEM_CERT not in text:
        raise TlsError(f"--tls-cert {cert}: not a PEM certificate ({_PEM_CERT} ... missing)")
    start = text.index(_PEM_CERT)
    end = text.find("-----END CERTIFICATE-----", start)
    try:
        ssl.PEM_cert_to_DER_cert(text[start : end + 25] if end > 0 else text[start:])
    except ValueError:
        raise TlsError(f"--tls-cert {cert}: the PEM certificate is damaged") from None
    key_text = _read(key, "--tls-key")
    if "PRIVATE KEY-----" not in key_text:
        raise TlsError(f"--tls-key {key}: not a PEM private key (... PRIVATE KEY----- missing)")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except ssl.SSLError as error:
        reason = error.reason or str(error)
        if "MISMATCH" in reason.upper():
            raise TlsError(f"--tls-key {key}: not the key of --tls-cert {cert}") from None
        raise TlsError(f"--tls-cert {cert} / --tls-key {key}: cannot be used: {reason}") from None


def self_signed(directory: Path, names: tuple[str, ...] = LOOPBACK_NAMES) -> tuple[Path, Path]:
    """A fresh self-signed certificate and its key (EC P-256, one day) in ``directory``.

    :raises TlsError: when the ``openssl`` command is missing or fails.
    """
    openssl = shutil.which("openssl")
    if openssl is None:
        raise TlsError(
            "--tls-self-signed needs the openssl command, which is not on PATH; "
            "give a certificate with --tls-cert FILE --tls-key FILE instead"
        )
    cert, key = directory / CERT_NAME, directory / KEY_NAME
    alt = ",".join(f"IP:{name}" if name[0].isdigit() or ":" in name else f"DNS:{name}"
                   for name in names)  # fmt: skip
    command = [
        openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
        "-nodes", "-keyout", str(key), "-out", str(cert), "-days", str(_DAYS),
        "-subj", "/CN=juhe-mock", "-addext", f"subjectAltName={alt}",
    ]  # fmt: skip
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise TlsError(f"--tls-self-signed: openssl failed: {error}") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise TlsError(f"--tls-self-signed: openssl failed: {last}")
    key.chmod(0o600)
    return cert, key


def with_certificate(config: MockConfig) -> tuple[MockConfig, Path | None]:
    """``config`` ready to serve: a self-signed certificate made if asked for, the files
    checked. Returns the settings and the temporary directory to remove at the end (None
    when nothing was made).

    :raises TlsError: naming the file and why.
    """
    made: Path | None = None
    if config.tls_self_signed:
        made = Path(tempfile.mkdtemp(prefix="juhe-mock-tls-"))
        try:
            cert, key = self_signed(made)
        except TlsError:
            shutil.rmtree(made, ignore_errors=True)
            raise
        config = replace(config, tls_cert=str(cert), tls_key=str(key), tls_self_signed=False)
    if config.tls_cert is not None and config.tls_key is not None:
        try:
            check_pair(config.tls_cert, config.tls_key)
        except TlsError:
            if made is not None:
                shutil.rmtree(made, ignore_errors=True)
            raise
    return config, made
