"""TLS and bearer-token credentials of a Client: what its channels are made with."""

from __future__ import annotations

import ipaddress
import os
from typing import Optional, Sequence, Union

import grpc

from .errors import OmnirouteError

__all__: list = []

PemSource = Union[str, "os.PathLike[str]", bytes, bytearray, None]

_CERTIFICATE = b"-----BEGIN CERTIFICATE-----"
_PRIVATE_KEY = b"PRIVATE KEY-----"


def _refused(message: str) -> OmnirouteError:
    return OmnirouteError(grpc.StatusCode.INVALID_ARGUMENT, message)


def read_pem(value: PemSource, name: str, marker: bytes, what: str) -> Optional[bytes]:
    """A path (str or PathLike) → the file's bytes; PEM bytes as they are.

    Raises OmnirouteError (INVALID_ARGUMENT) naming ``name``, the file and
    the reason when the file cannot be read or holds no ``what``.
    """
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
        if marker not in data:
            raise _refused(f"{name}: the bytes given hold no PEM {what}")
        return data
    if not isinstance(value, (str, os.PathLike)):
        raise _refused(f"{name}: expected a file path or PEM bytes, got {type(value).__name__}")
    path = os.fspath(value)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise _refused(f"{name}: cannot read {path}: {e.strerror or e}") from None
    if marker not in data:
        raise _refused(f"{name}: {path} holds no PEM {what}")
    return data


def channel_credentials(
    credentials: Optional[grpc.ChannelCredentials],
    tls: bool,
    tls_ca: PemSource,
    tls_cert: PemSource,
    tls_key: PemSource,
) -> Optional[grpc.ChannelCredentials]:
    """The channels' credentials: ``credentials`` as given, TLS from the
    tls_* arguments, or None (plain text)."""
    uses_tls_args = bool(tls) or any(x is not None for x in (tls_ca, tls_cert, tls_key))
    if credentials is not None:
        if uses_tls_args:
            raise _refused("credentials: give either credentials or tls/tls_ca/tls_cert/tls_key, "
                           "not both")
        if not isinstance(credentials, grpc.ChannelCredentials):
            raise _refused(f"credentials: expected grpc.ChannelCredentials, got "
                           f"{type(credentials).__name__}")
        return credentials
    if not uses_tls_args:
        return None
    if (tls_cert is None) != (tls_key is None):
        raise _refused("tls_cert, tls_key: give both (the client certificate and its key), "
                       "or neither")
    ca = read_pem(tls_ca, "tls_ca", _CERTIFICATE, "certificate")
    cert = read_pem(tls_cert, "tls_cert", _CERTIFICATE, "certificate")
    key = read_pem(tls_key, "tls_key", _PRIVATE_KEY, "private key")
    # No CA: the system's trusted roots (gRPC's default).
    return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key,
                                        certificate_chain=cert)


def bearer(token: Optional[str]) -> Optional[str]:
    """The ``authorization`` value for ``token`` ("Bearer <token>"), or None."""
    if token is None:
        return None
    if not isinstance(token, str):
        raise _refused(f"token: expected str, got {type(token).__name__}")
    if not token:
        raise _refused("token: empty (give None for no credential)")
    if any(not (0x21 <= ord(ch) <= 0x7E) for ch in token):
        raise _refused("token: only printable ASCII without spaces may be sent in a header "
                       "(an API key or a JWT is)")
    return "Bearer " + token


def host_of(address: str) -> Optional[str]:
    """The host of a gRPC target ("10.0.0.5:50051", "dns:///h:1", "[::1]:1",
    "ipv4:127.0.0.1:1"), or None for a local socket ("unix:/path")."""
    target = address.strip()
    lowered = target.lower()
    if lowered.startswith(("unix:", "unix-abstract:", "vsock:")):
        return None
    for scheme in ("dns:", "ipv4:", "ipv6:"):
        if lowered.startswith(scheme):
            target = target[len(scheme):]
            if target.startswith("//"):
                # dns://authority/host:port: the authority is the DNS server.
                rest = target[2:]
                slash = rest.find("/")
                target = rest[slash + 1:] if slash >= 0 else rest
            target = target.split(",", 1)[0]  # ipv4:a:1,b:2: the first one
            break
    if target.startswith("["):
        end = target.find("]")
        return target[1:end] if end > 0 else target
    if target.count(":") > 1:
        # An IPv6 address without brackets (and so without a port).
        return target
    return target.rsplit(":", 1)[0] if ":" in target else target


def is_loopback(address: str) -> bool:
    """True when ``address`` is on this machine: localhost, 127.0.0.0/8,
    ::1, or a unix socket."""
    host = host_of(address)
    if host is None:
        return True
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)  # ::ffff:127.0.0.1
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def check_plaintext_token(addresses: Sequence[str], plaintext: bool, has_token: bool,
                          insecure: bool) -> None:
    """Refuses a token that would go in clear text to another machine."""
    if not (plaintext and has_token) or insecure:
        return
    remote = [a for a in addresses if not is_loopback(a)]
    if remote:
        raise OmnirouteError(
            grpc.StatusCode.INVALID_ARGUMENT,
            f"token: refused over plain text to {', '.join(remote)} (not a loopback address): "
            "the credential would travel in clear text; give tls_ca= (or tls=True) for TLS, "
            "or insecure=True if something else encrypts the link")


class _ClientCallDetails(grpc.ClientCallDetails):
    def __init__(self, details, metadata):
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class BearerInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                        grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds ``authorization: Bearer <token>`` to every call of a channel."""

    def __init__(self, value: str):
        self._value = value

    def _details(self, details):
        metadata: list = [(k, v) for k, v in (details.metadata or ()) if k != "authorization"]
        metadata.append(("authorization", self._value))
        return _ClientCallDetails(details, metadata)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._details(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._details(details), request_iterator)


def open_channel(address: str, credentials: Optional[grpc.ChannelCredentials],
                 options, authorization: Optional[str]) -> grpc.Channel:
    """A channel to ``address``; with ``authorization``, every call made on
    it (by the client's stubs, or by the caller on ``Client.channel``)
    carries it."""
    if credentials is None:
        channel = grpc.insecure_channel(address, options=options)
    else:
        channel = grpc.secure_channel(address, credentials, options=options)
    if authorization is None:
        return channel
    return grpc.intercept_channel(channel, BearerInterceptor(authorization))
