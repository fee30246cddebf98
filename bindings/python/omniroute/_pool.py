"""The channels of a Client (one per server address) and the retry loop of its calls."""

from __future__ import annotations

import threading
import time
import weakref
from typing import Dict, List, Optional, Sequence, Tuple, Union

import grpc

from ._gen_import import service_pb2_grpc
from ._security import open_channel
from .errors import OmnirouteError
from .retry import DEFAULT_BUDGET, RetryPolicy, is_safe, not_applied, owner_hint

__all__: list = []

_STUBS = {
    "TenantService": service_pb2_grpc.TenantServiceStub,
    "CustomerService": service_pb2_grpc.CustomerServiceStub,
    "ConversationService": service_pb2_grpc.ConversationServiceStub,
    "RoutingService": service_pb2_grpc.RoutingServiceStub,
    "CommitmentService": service_pb2_grpc.CommitmentServiceStub,
    "EventService": service_pb2_grpc.EventServiceStub,
    "DiagnosticsService": service_pb2_grpc.DiagnosticsServiceStub,
}


class Rpc:
    """One RPC of the API, named without a channel: ``Rpc("EventService", "WatchEvents")``."""

    __slots__ = ("service", "name")

    def __init__(self, service: str, name: str):
        self.service = service
        self.name = name


class Service:
    """The RPCs of one service: ``Service("EventService").WatchEvents`` is an :class:`Rpc`."""

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, rpc: str) -> Rpc:
        if rpc.startswith("_"):
            raise AttributeError(rpc)
        return Rpc(self._name, rpc)


def parse_addresses(target: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """ "host:port", "a:1,b:2" or a sequence of them → the addresses, in order, once each."""
    if isinstance(target, str):
        parts = target.split(",")
    elif isinstance(target, (bytes, bytearray)):
        raise TypeError("target: expected \"host:port\" or a list of them, got bytes")
    else:
        try:
            parts = list(target)
        except TypeError:
            raise TypeError("target: expected \"host:port\" or a list of them, got "
                            f"{type(target).__name__}") from None
        for part in parts:
            if not isinstance(part, str):
                raise TypeError(f"target: each address must be a str, got {type(part).__name__}")
    addresses: List[str] = []
    for part in parts:
        address = part.strip()
        if address and address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ValueError("target: no server address given")
    return tuple(addresses)


class _Endpoint:
    """A channel to one address and the stubs on it."""

    def __init__(self, address: str, channel: grpc.Channel):
        self.address = address
        self.channel = channel
        self._stubs: Dict[str, object] = {}

    def method(self, rpc: Rpc):
        stub = self._stubs.get(rpc.service)
        if stub is None:
            stub = self._stubs[rpc.service] = _STUBS[rpc.service](self.channel)
        return getattr(stub, rpc.name)


class Pool:
    """What the clients derived with for_tenant() share: the channels, the
    address each tenant was last served at, the open streams.

    Thread-safe.
    """

    def __init__(self, addresses: Tuple[str, ...], credentials, options,
                 policy: Optional[RetryPolicy], authorization: Optional[str] = None):
        self.addresses = addresses
        self.policy = policy
        self._credentials = credentials
        # "Bearer <token>", sent on every call of every channel (None: none).
        self._authorization = authorization
        self._options = options
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._endpoints: Dict[str, _Endpoint] = {}
        # The address that answered a tenant's call last (None: any call).
        self._served_at: Dict[Optional[str], str] = {}
        self._streams: "weakref.WeakSet" = weakref.WeakSet()
        self.endpoint(addresses[0])  # the first channel, for Client.channel

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def endpoint(self, address: str) -> _Endpoint:
        """The channel to ``address``, opened on first use."""
        with self._lock:
            if self._closed.is_set():
                raise OmnirouteError(grpc.StatusCode.CANCELLED, "the client is closed")
            endpoint = self._endpoints.get(address)
            if endpoint is None:
                channel = open_channel(address, self._credentials, self._options,
                                       self._authorization)
                endpoint = self._endpoints[address] = _Endpoint(address, channel)
            return endpoint

    def first(self, tenant: Optional[str]) -> str:
        """The address to try first for ``tenant``'s calls."""
        with self._lock:
            return self._served_at.get(tenant) or self._served_at.get(None) or self.addresses[0]

    def served(self, tenant: Optional[str], address: str) -> None:
        """``address`` answered a call of ``tenant``: its next calls go there
        first, and so do those of tenants not called yet."""
        with self._lock:
            self._served_at[tenant] = address
            self._served_at[None] = address

    def next_address(self, address: str) -> str:
        """The address of the list after ``address`` (the first after one not in it)."""
        try:
            i = self.addresses.index(address)
        except ValueError:
            return self.addresses[0]
        return self.addresses[(i + 1) % len(self.addresses)]

    def wait(self, seconds: float) -> bool:
        """Sleeps; True if the pool was closed meanwhile."""
        return self._closed.wait(seconds)

    def track(self, stream) -> None:
        with self._lock:
            if not self._closed.is_set():
                self._streams.add(stream)
                return
        stream.close()

    def close(self) -> None:
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            streams = list(self._streams)
            endpoints = list(self._endpoints.values())
        for stream in streams:
            stream.close()
        for endpoint in endpoints:
            endpoint.channel.close()

    # ------------------------------------------------------------ calls

    def unary(self, tenant: Optional[str], rpc: Rpc, request, timeout: Optional[float]):
        """Makes the call, retrying it as the policy and the RPC allow (retry.py)."""
        policy = self.policy
        safe = is_safe(rpc.name, request)
        start = time.monotonic()
        # A deadline for the whole call when there is a budget; a client
        # without a timeout keeps its attempts without one.
        bounded = policy is not None and (policy.budget is not None or timeout is not None)
        budget = (policy.budget if policy is not None and policy.budget is not None
                  else timeout if timeout is not None else DEFAULT_BUDGET)
        deadline = start + budget
        address = self.first(tenant)
        tried: set = set()
        backoff = policy.initial_backoff if policy is not None else 0.0
        attempts = 0
        unknown = False  # an attempt may have been applied
        last: Optional[grpc.RpcError] = None
        while True:
            if address in tried:
                # Every address of this round failed: wait before the next one.
                pause = policy.pause(backoff)
                if time.monotonic() + pause >= deadline:
                    raise _exhausted(last, rpc.name, attempts, start, unknown)
                if self.wait(pause):
                    raise _closed(rpc.name)
                backoff = policy.next_backoff(backoff)
                tried.clear()
            tried.add(address)
            attempt_timeout = timeout
            if bounded:
                remaining = deadline - time.monotonic()
                if attempts > 0 and remaining <= 0:
                    raise _exhausted(last, rpc.name, attempts, start, unknown)
                attempt_timeout = remaining if timeout is None else min(timeout, remaining)
            attempts += 1
            method = self.endpoint(address).method(rpc)
            try:
                response = method(request, timeout=attempt_timeout)
            except grpc.RpcError as error:
                if self.closed:
                    raise _closed(rpc.name) from None
                last = error
                code = error.code() if hasattr(error, "code") else None
                if code not in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED):
                    # After an attempt whose outcome is unknown, an error
                    # (ALREADY_EXISTS, FAILED_PRECONDITION) may be that
                    # attempt's doing.
                    raise OmnirouteError.from_rpc_error(
                        error, rpc.name, outcome_unknown=unknown) from None
                hint = owner_hint(error) if code == grpc.StatusCode.UNAVAILABLE else None
                refused = code == grpc.StatusCode.UNAVAILABLE and not_applied(error, hint)
                unknown = unknown or not refused
                if policy is None or not (safe or refused):
                    # Not retried: an unsafe call whose outcome is unknown is
                    # the caller's to check.
                    raise OmnirouteError.from_rpc_error(
                        error, rpc.name, outcome_unknown=unknown) from None
                if policy is not None and time.monotonic() >= deadline:
                    raise _exhausted(last, rpc.name, attempts, start, unknown)
                address = hint if hint is not None else self.next_address(address)
                continue
            except ValueError:  # the channel was closed meanwhile
                if self.closed:
                    raise _closed(rpc.name) from None
                raise
            self.served(tenant, address)
            return response


def _closed(method: str) -> OmnirouteError:
    return OmnirouteError(grpc.StatusCode.CANCELLED, "the client is closed", method)


def _exhausted(error: grpc.RpcError, method: str, attempts: int, start: float,
               unknown: bool) -> OmnirouteError:
    base = OmnirouteError.from_rpc_error(error, method)
    return OmnirouteError(
        base.code,
        f"{base.message} (gave up after {attempts} attempts in "
        f"{time.monotonic() - start:.2f} s)",
        method,
        outcome_unknown=unknown,
        retry_delay=base.retry_delay,
    )
