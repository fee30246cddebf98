"""The omniroute client: one object per server connection."""

from __future__ import annotations

import threading
import weakref
from typing import Any, List, Mapping, Optional, Sequence

import grpc

from . import values as v
from ._calls import _message
from ._customer_calls import CustomerCalls
from ._gen_import import events_pb2, service_pb2, service_pb2_grpc, types_pb2
from ._routing_calls import RoutingCalls
from .errors import OmnirouteError, invalid_argument
from .streams import Stream

__all__ = ["Client"]

_Channel = types_pb2.Channel


class Client(CustomerCalls, RoutingCalls):
    """A connection to an omniroute server, and the calls of the omniroute.v1 API.

    ::

        with omniroute.Client("127.0.0.1:50051", tenant="acme") as c:
            c.create_tenant()
            r = c.ingest(channel="EMAIL", sender=omniroute.email("a@b.c"),
                         external_id="<m1@b.c>", body="Hello")
            for entry in c.timeline(r.conversation_id):
                ...

    Every call names the client's tenant (``tenant=``); :meth:`for_tenant`
    gives a client for another tenant on the same connection. Calls return
    the API's messages (see :mod:`omniroute.proto` and the .proto files) or,
    where the response holds a single value, that value. Every failure is
    raised as :class:`omniroute.OmnirouteError` with the gRPC status code
    and the server's message, which names the field and the reason.

    Arguments are keyword arguments after the subject of the call (the
    conversation, customer, agent or task). Enums are names without their
    prefix ("EMAIL", "available") or proto values; times are datetimes or
    epoch seconds; durations are timedeltas or seconds (see
    :mod:`omniroute.values`). Commands that change a customer, a
    conversation, a task or a commitment require ``actor=``: who did it, as
    an agent id (str), ``omniroute.agent(...)``, ``omniroute.customer()`` or
    ``omniroute.system()``.

    Thread safety: a Client may be shared by threads (gRPC channels are);
    :meth:`close` ends it for all of them.

    Args:
        target: the server's "host:port".
        tenant: the tenant every call names; required by every call but
            :meth:`list_tenants` and :meth:`ping`.
        timeout: the deadline of each unary call, in seconds (default 30;
            None: no deadline). Streams have no deadline.
        credentials: ``grpc.ChannelCredentials`` for TLS; None: plaintext.
        options: gRPC channel options, e.g.
            ``[("grpc.max_receive_message_length", 16 << 20)]``.
    """

    def __init__(
        self,
        target: str,
        tenant: Optional[str] = None,
        *,
        timeout: Optional[float] = 30.0,
        credentials: Optional[grpc.ChannelCredentials] = None,
        options: Optional[Sequence[tuple]] = None,
    ):
        if credentials is None:
            channel = grpc.insecure_channel(target, options=options)
        else:
            channel = grpc.secure_channel(target, credentials, options=options)
        self._init(target, tenant, timeout, channel, _Shared(channel))

    def _init(self, target, tenant, timeout, channel, shared) -> None:
        self._target = target
        self._tenant = tenant
        self._timeout = timeout
        self._channel = channel
        self._shared = shared
        self._tenants = service_pb2_grpc.TenantServiceStub(channel)
        self._customers = service_pb2_grpc.CustomerServiceStub(channel)
        self._conversations = service_pb2_grpc.ConversationServiceStub(channel)
        self._routing = service_pb2_grpc.RoutingServiceStub(channel)
        self._commitments = service_pb2_grpc.CommitmentServiceStub(channel)
        self._events = service_pb2_grpc.EventServiceStub(channel)
        self._diagnostics = service_pb2_grpc.DiagnosticsServiceStub(channel)

    # ---------------------------------------------------------- connection

    @property
    def target(self) -> str:
        """The server address the client was made for."""
        return self._target

    @property
    def tenant(self) -> Optional[str]:
        """The tenant every call names."""
        return self._tenant

    @property
    def channel(self) -> grpc.Channel:
        """The underlying gRPC channel, for calls this client does not wrap."""
        return self._channel

    @property
    def closed(self) -> bool:
        """True once close() was called on this client or the one it was derived from."""
        return self._shared.closed

    def for_tenant(self, tenant: str) -> "Client":
        """A client for another tenant on the same connection.

        Closing either closes the connection of both.
        """
        other = Client.__new__(Client)
        other._init(self._target, tenant, self._timeout, self._channel, self._shared)
        return other

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Waits until the connection is up.

        Raises:
            OmnirouteError: UNAVAILABLE if not connected within ``timeout`` seconds.
        """
        self._check_open()
        try:
            grpc.channel_ready_future(self._channel).result(timeout=timeout)
        except grpc.FutureTimeoutError:
            raise OmnirouteError(
                grpc.StatusCode.UNAVAILABLE,
                f"{self._target}: not reachable within {timeout} s",
            ) from None

    def close(self) -> None:
        """Cancels the open streams and closes the connection. Idempotent."""
        self._shared.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"omniroute.Client({self._target!r}, tenant={self._tenant!r}, {state})"

    # ---------------------------------------------------------- plumbing

    def _check_open(self) -> None:
        if self._shared.closed:
            raise OmnirouteError(grpc.StatusCode.CANCELLED, "the client is closed")

    def _unary(self, stub_method, name: str, request):
        self._check_open()
        try:
            return stub_method(request, timeout=self._timeout)
        except grpc.RpcError as error:
            raise OmnirouteError.from_rpc_error(error, name) from None
        except ValueError as error:  # the channel was closed meanwhile
            if self._shared.closed:
                raise OmnirouteError(grpc.StatusCode.CANCELLED, "the client is closed", name)
            raise

    def _stream(self, stub_method, name: str, request) -> Stream:
        self._check_open()
        try:
            call = stub_method(request)
        except grpc.RpcError as error:
            raise OmnirouteError.from_rpc_error(error, name) from None
        stream: Stream = Stream(call, name)
        self._shared.track(stream)
        return stream

    # ---------------------------------------------------------- tenants

    def create_tenant(
        self,
        tenant_id: Optional[str] = None,
        *,
        default_country_code: str = "",
        default_continuity_window: v.DurationLike = None,
        continuity_windows: Optional[Mapping[Any, v.DurationLike]] = None,
        first_response_targets: Optional[Mapping[Any, v.DurationLike]] = None,
        merge_threads_on_customer_merge: bool = True,
        thread_merge_window: v.DurationLike = None,
        max_body_bytes: int = 0,
        close_public_loop: bool = True,
        settings: Optional[types_pb2.TenantSettings] = None,
    ) -> None:
        """Creates a tenant (by default the client's own).

        Args:
            tenant_id: 1 to 64 characters of [a-z0-9_-]; default: the client's tenant.
            default_country_code: digits that complete national phone
                numbers ("33"); empty: national numbers are rejected.
            default_continuity_window: how long a conversation stays
                joinable by continuity on channels not listed (server
                default: 48 hours; 0: never).
            continuity_windows: per channel, e.g. ``{"EMAIL": timedelta(hours=6)}``.
            first_response_targets: the first-response SLA target per channel.
            merge_threads_on_customer_merge: merge the open conversations of
                two customers that merge (default True, as the server's).
            thread_merge_window: how recent those conversations must be
                (server default: 7 days).
            max_body_bytes: largest message body; 0: the server's default.
            close_public_loop: a conversation begun in public and resolved
                in private leaves a task to answer in public (default True).
            settings: a complete ``TenantSettings`` instead of the arguments
                above (every field taken as given).

        Raises:
            OmnirouteError: ALREADY_EXISTS, INVALID_ARGUMENT.
        """
        if settings is None:
            channels: dict = {}

            def entry(channel):
                number = v.to_enum(_Channel, channel, "channel")
                return channels.setdefault(number, types_pb2.ChannelSettings(channel=number))

            if default_continuity_window is not None:
                entry(0).continuity_window.CopyFrom(
                    v.to_duration(default_continuity_window, "default_continuity_window"))
            for channel, window in v.pairs(continuity_windows, "continuity_windows"):
                entry(channel).continuity_window.CopyFrom(
                    v.to_duration(window, f"continuity_windows[{channel!r}]"))
            for channel, target in v.pairs(first_response_targets, "first_response_targets"):
                entry(channel).first_response_target.CopyFrom(
                    v.to_duration(target, f"first_response_targets[{channel!r}]"))
            settings = _message(
                types_pb2.TenantSettings,
                default_country_code=v.to_str(default_country_code, "default_country_code"),
                channels=[channels[k] for k in sorted(channels)],
                merge_threads_on_customer_merge=bool(merge_threads_on_customer_merge),
                thread_merge_window=v.to_duration(thread_merge_window, "thread_merge_window"),
                max_body_bytes=v.to_int(max_body_bytes, "max_body_bytes"),
                close_public_loop=bool(close_public_loop),
            )
        request = _message(
            service_pb2.CreateTenantRequest,
            tenant_id=v.to_str(tenant_id if tenant_id is not None else self._tenant, "tenant_id"),
            settings=settings,
        )
        self._unary(self._tenants.CreateTenant, "CreateTenant", request)

    def list_tenants(self) -> List[str]:
        """The ids of every tenant of the server."""
        response = self._unary(
            self._tenants.ListTenants, "ListTenants", service_pb2.ListTenantsRequest())
        return list(response.tenant_ids)

    # ---------------------------------------------------------- events

    def watch(self, from_sequence: int = 1) -> "Stream[events_pb2.Event]":
        """The tenant's change feed: its events in log order, then live, as a stream.

        Resumable: after a disconnect, watch again from the last
        ``event.sequence`` received + 1; nothing is missed or repeated.
        Runs until closed::

            with c.watch(from_sequence=last + 1) as events:
                for event in events:
                    last = event.sequence
                    ...

        Raises (from the iteration):
            OmnirouteError: NOT_FOUND for an unknown tenant;
                RESOURCE_EXHAUSTED when the reader fell too far behind.
        """
        request = _message(service_pb2.WatchEventsRequest, tenant_id=self._tid(),
                           from_sequence=v.to_id(from_sequence, "from_sequence"))
        return self._stream(self._events.WatchEvents, "WatchEvents", request)

    def last_sequence(self) -> int:
        """The sequence number of the tenant's latest event (0: none)."""
        request = _message(service_pb2.GetLastSequenceRequest, tenant_id=self._tid())
        return self._unary(self._events.GetLastSequence, "GetLastSequence", request).sequence

    # ---------------------------------------------------------- diagnostics

    def ping(self, payload: bytes = b"") -> bytes:
        """Echoes ``payload`` without touching any tenant (the transport's own cost)."""
        if not isinstance(payload, (bytes, bytearray)):
            raise invalid_argument(f"payload: expected bytes, got {type(payload).__name__}")
        request = _message(service_pb2.PingRequest, payload=bytes(payload))
        return self._unary(self._diagnostics.Ping, "Ping", request).payload


class _Shared:
    """What clients derived with for_tenant() share: the channel and its streams."""

    def __init__(self, channel: grpc.Channel):
        self.channel = channel
        self.closed = False
        self._lock = threading.Lock()
        self._streams: "weakref.WeakSet[Stream]" = weakref.WeakSet()

    def track(self, stream: Stream) -> None:
        with self._lock:
            if self.closed:
                stream.close()
                return
            self._streams.add(stream)

    def close(self) -> None:
        with self._lock:
            if self.closed:
                return
            self.closed = True
            streams = list(self._streams)
        for stream in streams:
            stream.close()
        self.channel.close()
