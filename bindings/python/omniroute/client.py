"""The omniroute client: one object per server, or per cluster of servers."""

from __future__ import annotations

import threading
from typing import Any, List, Mapping, Optional, Sequence, Tuple, Union

import grpc

from . import values as v
from ._calls import _message
from ._customer_calls import CustomerCalls
from ._gen_import import events_pb2, service_pb2, types_pb2
from ._pool import Pool, Service, parse_addresses
from ._routing_calls import RoutingCalls
from ._security import PemSource, bearer, channel_credentials, check_plaintext_token
from .errors import OmnirouteError, invalid_argument
from .retry import RetryPolicy
from .streams import Attempts, Resume, ResumeAgain, ResumeEvents, ResumeOffers, Stream

__all__ = ["Client"]

_Channel = types_pb2.Channel


_DEFAULT_RETRY = RetryPolicy()


class Client(CustomerCalls, RoutingCalls):
    """Connections to an omniroute server (or to the nodes of a cluster), and
    the calls of the omniroute.v1 API.

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

    Several addresses (the nodes of a cluster: ``["10.0.0.5:50051",
    "10.0.0.6:50051"]`` or ``"10.0.0.5:50051,10.0.0.6:50051"``): a call that
    fails ``UNAVAILABLE`` is retried on the node that owns the tenant when
    the one called names it (trailing metadata ``omniroute-owner``), else on
    the next address, with backoff, within the call's timeout; streams
    reconnect and the change feed resumes where it broke. Only calls that
    are safe to repeat are retried after a connection dropped under them;
    :mod:`omniroute.retry` lists which and why. With one address the same
    rules retry on it (a restarting server).

    Args:
        target: the server's "host:port", or several: a list of them or one
            string with commas between them. Any gRPC target works
            ("unix:/path", "dns:///host:port").
        tenant: the tenant every call names; required by every call but
            :meth:`list_tenants` and :meth:`ping`.
        timeout: the deadline of each unary call, in seconds, its retries
            included (default 30; None: no deadline for an attempt, and
            retries stop 30 s after the call began). Streams have no
            deadline.
        retry: a :class:`omniroute.RetryPolicy` (default:
            ``RetryPolicy()``: backoff from 50 ms doubling to 1 s with
            ±20 % jitter, streams reconnecting for up to 30 s per break);
            None: no retries.
        token: an API key (``omr_...``) or a JWT, sent as
            ``authorization: Bearer <token>`` on every call, streams and
            retries on other addresses included. None: no credential (a
            server started without ``--api_keys``/``--jwks`` on loopback).
            Refused over plain text to an address that is not loopback
            (see ``insecure``).
        tls: True: TLS, verifying the server against the system's trusted
            CAs (implied by ``tls_ca``, ``tls_cert`` and ``tls_key``).
        tls_ca: the CA certificates that verify the server: a PEM file's
            path, or PEM bytes. The server's certificate must name the host
            dialled (an IP address in its subjectAltName for "10.0.0.5:50051").
        tls_cert, tls_key: the client's certificate chain and private key
            (a path or PEM bytes each, both or neither), for a server that
            requires mutual TLS (``--tls_client_ca``).
        insecure: send ``token`` over plain text to an address that is not
            loopback all the same (only where something else encrypts the
            link, like a service mesh).
        credentials: ``grpc.ChannelCredentials`` made by the caller, instead
            of ``tls``/``tls_ca``/``tls_cert``/``tls_key``; None: those, or
            plain text.
        options: gRPC channel options, e.g.
            ``[("grpc.max_receive_message_length", 16 << 20)]``.

    Raises:
        OmnirouteError: ``INVALID_ARGUMENT`` (nothing is sent) when a TLS file
            cannot be read or holds no PEM certificate or key (the message
            names the argument, the file and the reason), or when ``token``
            would travel in clear text to another machine. A server that
            refuses the credential answers the calls ``UNAUTHENTICATED`` (no
            token, or one it does not accept) or ``PERMISSION_DENIED`` (the
            token's role or tenant does not allow the call); a server whose
            certificate the CA does not verify, or that wants a client
            certificate not given, fails them ``UNAVAILABLE`` (after the
            retries of ``retry``).
    """

    def __init__(
        self,
        target: Union[str, Sequence[str]],
        tenant: Optional[str] = None,
        *,
        timeout: Optional[float] = 30.0,
        retry: Optional[RetryPolicy] = _DEFAULT_RETRY,
        token: Optional[str] = None,
        tls: bool = False,
        tls_ca: PemSource = None,
        tls_cert: PemSource = None,
        tls_key: PemSource = None,
        insecure: bool = False,
        credentials: Optional[grpc.ChannelCredentials] = None,
        options: Optional[Sequence[tuple]] = None,
    ):
        if retry is not None and not isinstance(retry, RetryPolicy):
            raise TypeError(f"retry: expected omniroute.RetryPolicy or None, got "
                            f"{type(retry).__name__}")
        addresses = parse_addresses(target)
        authorization = bearer(token)
        channel_creds = channel_credentials(credentials, tls, tls_ca, tls_cert, tls_key)
        check_plaintext_token(addresses, channel_creds is None, authorization is not None,
                              insecure)
        self._init(tenant, timeout,
                   Pool(addresses, channel_creds, options, retry, authorization))

    def _init(self, tenant, timeout, pool: Pool) -> None:
        self._tenant = tenant
        self._timeout = timeout
        self._pool = pool
        self._tenants = Service("TenantService")
        self._customers = Service("CustomerService")
        self._conversations = Service("ConversationService")
        self._routing = Service("RoutingService")
        self._commitments = Service("CommitmentService")
        self._events = Service("EventService")
        self._diagnostics = Service("DiagnosticsService")

    # ---------------------------------------------------------- connection

    @property
    def target(self) -> str:
        """The server addresses the client was made for, with commas between them."""
        return ",".join(self._pool.addresses)

    @property
    def addresses(self) -> Tuple[str, ...]:
        """The server addresses the client was made for, in order."""
        return self._pool.addresses

    @property
    def retry(self) -> Optional[RetryPolicy]:
        """The retry policy (None: no retries)."""
        return self._pool.policy

    @property
    def tenant(self) -> Optional[str]:
        """The tenant every call names."""
        return self._tenant

    @property
    def channel(self) -> grpc.Channel:
        """The gRPC channel to the address the tenant's calls go to first, for
        calls this client does not wrap (they are not retried; they carry the
        client's token)."""
        return self._pool.endpoint(self._pool.first(self._tenant)).channel

    @property
    def closed(self) -> bool:
        """True once close() was called on this client or the one it was derived from."""
        return self._pool.closed

    def for_tenant(self, tenant: str) -> "Client":
        """A client for another tenant on the same connections.

        Closing either closes the connections of both.
        """
        other = Client.__new__(Client)
        other._init(tenant, self._timeout, self._pool)
        return other

    def wait_ready(self, timeout: float = 10.0) -> None:
        """Waits until the connection to one of the addresses is up; the
        client's calls then go there first.

        Raises:
            OmnirouteError: UNAVAILABLE if none is connected within ``timeout`` seconds.
        """
        self._check_open()
        ready = threading.Event()
        first: List[str] = []
        lock = threading.Lock()
        futures = []

        def on_ready(address):
            def done(future):
                if future.cancelled() or future.exception() is not None:
                    return
                with lock:
                    if not first:
                        first.append(address)
                ready.set()
            return done

        for address in self._pool.addresses:
            future = grpc.channel_ready_future(self._pool.endpoint(address).channel)
            future.add_done_callback(on_ready(address))
            futures.append(future)
        try:
            if not ready.wait(timeout):
                raise OmnirouteError(
                    grpc.StatusCode.UNAVAILABLE,
                    f"{self.target}: not reachable within {timeout} s",
                )
        finally:
            for future in futures:
                future.cancel()
        self._pool.served(None, first[0])

    def close(self) -> None:
        """Cancels the open streams and closes the connections. Idempotent."""
        self._pool.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self.closed else "open"
        return f"omniroute.Client({self.target!r}, tenant={self._tenant!r}, {state})"

    # ---------------------------------------------------------- plumbing

    def _check_open(self) -> None:
        if self._pool.closed:
            raise OmnirouteError(grpc.StatusCode.CANCELLED, "the client is closed")

    def _unary(self, rpc, name: str, request):
        self._check_open()
        return self._pool.unary(_tenant_of(request), rpc, request, self._timeout)

    def _stream(self, rpc, name: str, request) -> Stream:
        self._check_open()
        if name == "WatchEvents":
            resume: Resume = ResumeEvents()
        elif name == "StreamOffers":
            resume = ResumeOffers(service_pb2.OfferUpdate.KIND_OFFERED)
        elif name == "WatchQueueStatistics":
            resume = ResumeAgain()
        else:
            resume = Resume()
        stream: Stream = Stream(Attempts(self._pool, _tenant_of(request), rpc, request, resume),
                                name)
        self._pool.track(stream)
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

        Resumable: a break of the connection is resumed by the stream
        itself, on another address if need be, from the last sequence it
        received + 1 (see :class:`omniroute.Stream`). After an error it
        raised, watch again from the last ``event.sequence`` received + 1;
        nothing is missed or repeated. Runs until closed::

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


def _tenant_of(request) -> Optional[str]:
    return getattr(request, "tenant_id", None) or None
