"""The omniroute client: one object per server connection."""

from __future__ import annotations

import threading
import weakref
from typing import Any, Iterable, List, Mapping, Optional, Sequence

import grpc

from . import values as v
from ._gen_import import events_pb2, routing_pb2, service_pb2, service_pb2_grpc, types_pb2
from .errors import OmnirouteError, invalid_argument
from .streams import Stream

__all__ = ["Client"]

_Channel = types_pb2.Channel
_Visibility = types_pb2.Visibility
_ConversationStatus = types_pb2.ConversationStatus
_Presence = routing_pb2.AgentPresence
_Strategy = routing_pb2.SelectionStrategy
_CommitmentKind = routing_pb2.CommitmentKind
_CommitmentStatus = routing_pb2.CommitmentStatus


def _message(cls, **fields):
    """Builds a message; a value protobuf refuses is an INVALID_ARGUMENT."""
    try:
        return cls(**fields)
    except (TypeError, ValueError) as error:
        raise invalid_argument(f"{cls.DESCRIPTOR.name}: {error}") from None


def _task_id(task: Any, field: str = "task_id") -> int:
    """The task id of an int, a Task or an OfferUpdate."""
    if isinstance(task, service_pb2.OfferUpdate):
        return task.task.task_id
    if isinstance(task, service_pb2.Task):
        return task.task_id
    return v.to_id(task, field)


def _offer_agent(task: Any) -> str:
    """The agent a Task or OfferUpdate was offered to or assigned to, if any."""
    if isinstance(task, service_pb2.OfferUpdate):
        task = task.task
    if isinstance(task, service_pb2.Task):
        return task.offer.agent_id or task.agent_id
    return ""


class Client:
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

    def _tid(self) -> str:
        return self._tenant or ""

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

    # ---------------------------------------------------------- customers

    def get_customer(self, customer_id: int) -> service_pb2.Customer:
        """A customer with their identities and conversations.

        A merged customer is returned too, with ``merged_into_customer_id`` set.

        Raises:
            OmnirouteError: NOT_FOUND.
        """
        request = _message(service_pb2.GetCustomerRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"))
        return self._unary(self._customers.GetCustomer, "GetCustomer", request)

    def find_customer(self, identity: Any) -> service_pb2.Customer:
        """The active customer who owns an identity (normalized first).

        Args:
            identity: ``omniroute.email(...)``, ``omniroute.phone(...)``, ...

        Raises:
            OmnirouteError: NOT_FOUND when nobody owns it; INVALID_ARGUMENT
                when it cannot be normalized.
        """
        request = _message(service_pb2.FindCustomerRequest, tenant_id=self._tid(),
                           identity=v.to_raw_identity(identity, "identity"))
        return self._unary(self._customers.FindCustomer, "FindCustomer", request)

    def link_identity(
        self, customer_id: int, identity: Any, *, actor: Any, mode: Any = None
    ) -> service_pb2.LinkIdentityResponse:
        """Links an identity to a customer; if another customer owns it, they merge.

        The older customer survives and the response names it
        (``customer_id``), with ``absorbed_customer_id`` and the
        ``merged_threads`` when a merge happened.

        Args:
            mode: "EXPLICIT" (an agent linked it; the default) or
                "AUTOMATIC" (a system's match, which never merges two
                accounts of one network silently).
        """
        request = _message(
            service_pb2.LinkIdentityRequest,
            tenant_id=self._tid(),
            customer_id=v.to_id(customer_id, "customer_id"),
            identity=v.to_raw_identity(identity, "identity"),
            actor=v.to_actor(actor),
            mode=v.to_enum(service_pb2.LinkMode, mode, "mode") if mode is not None else 0,
        )
        return self._unary(self._customers.LinkIdentity, "LinkIdentity", request)

    def merge_customers(
        self, customer_id: int, other_customer_id: int, *, actor: Any
    ) -> service_pb2.LinkIdentityResponse:
        """Merges two customers (the older survives); see :meth:`link_identity`."""
        request = _message(
            service_pb2.MergeCustomersRequest,
            tenant_id=self._tid(),
            customer_id=v.to_id(customer_id, "customer_id"),
            other_customer_id=v.to_id(other_customer_id, "other_customer_id"),
            actor=v.to_actor(actor),
        )
        return self._unary(self._customers.MergeCustomers, "MergeCustomers", request)

    def unmerge_customer(self, customer_id: int, *, actor: Any) -> None:
        """Undoes the merge that absorbed ``customer_id``.

        The customer is active again with their own identities, their
        conversations and the messages that came from them.

        Raises:
            OmnirouteError: FAILED_PRECONDITION if the customer is not merged.
        """
        request = _message(service_pb2.UnmergeCustomerRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"),
                           actor=v.to_actor(actor))
        self._unary(self._customers.UnmergeCustomer, "UnmergeCustomer", request)

    def list_conversations(self, customer_id: int) -> List[service_pb2.Conversation]:
        """The customer's conversations."""
        request = _message(service_pb2.ListConversationsRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"))
        response = self._unary(self._customers.ListConversations, "ListConversations", request)
        return list(response.conversations)

    # ---------------------------------------------------------- conversations

    def ingest(
        self,
        *,
        channel: Any,
        sender: Any,
        external_id: str,
        body: str = "",
        thread_key: str = "",
        references: Iterable[str] = (),
        tags: Iterable[str] = (),
        visibility: Any = None,
        display_name: str = "",
        language: str = "",
        reach: int = 0,
    ) -> service_pb2.IngestMessageResponse:
        """Records a customer's message: resolves the customer, threads it, routes it.

        Args:
            channel: "PUBLIC_SOCIAL", "PRIVATE_SOCIAL", "EMAIL", "VOICE",
                "CHAT", "SMS" or "MESSAGING".
            sender: the sender's identity (``omniroute.email(...)``, ...).
            external_id: the source system's id (required); a redelivery with
                the same channel and id is recognised (``duplicate``).
            thread_key: a DM thread id or call id.
            references: external ids this message replies to (In-Reply-To,
                References, the post it answers).
            tags: labels routing rules match on.
            visibility: "PUBLIC" or "PRIVATE"; default: the channel's.
            display_name, language, reach: the sender's profile (reach: the
                audience on public channels).

        Returns:
            The customer, conversation and message ids, how the message was
            threaded (``outcome``), and the routing task it created, if any.
        """
        request = _message(
            service_pb2.IngestMessageRequest,
            tenant_id=self._tid(),
            channel=v.to_enum(_Channel, channel, "channel"),
            sender=v.to_raw_identity(sender, "sender"),
            profile=_message(
                service_pb2.SenderProfile,
                display_name=v.to_str(display_name, "display_name"),
                language=v.to_str(language, "language"),
                reach=v.to_int(reach, "reach"),
            ),
            external_id=v.to_str(external_id, "external_id"),
            thread_key=v.to_str(thread_key, "thread_key"),
            references=v.to_strs(references, "references"),
            body=v.to_str(body, "body"),
            tags=v.to_strs(tags, "tags"),
            visibility=v.to_enum(_Visibility, visibility, "visibility") if visibility else 0,
        )
        return self._unary(self._conversations.IngestMessage, "IngestMessage", request)

    def record_outbound(
        self,
        conversation_id: int,
        *,
        channel: Any,
        external_id: str,
        body: str = "",
        agent_id: str = "",
        references: Iterable[str] = (),
        visibility: Any = None,
    ) -> int:
        """Records the brand's answer; returns the message id.

        Args:
            external_id: the id the channel gave the answer (an email's
                Message-ID, a post id); the customer's replies that reference
                it join the conversation.
            channel: the channel the answer went out on.
            agent_id: the agent who answered.
        """
        request = _message(
            service_pb2.RecordOutboundRequest,
            tenant_id=self._tid(),
            conversation_id=v.to_id(conversation_id, "conversation_id"),
            channel=v.to_enum(_Channel, channel, "channel"),
            external_id=v.to_str(external_id, "external_id"),
            references=v.to_strs(references, "references"),
            body=v.to_str(body, "body"),
            agent_id=v.to_str(agent_id, "agent_id"),
            visibility=v.to_enum(_Visibility, visibility, "visibility") if visibility else 0,
        )
        return self._unary(self._conversations.RecordOutbound, "RecordOutbound",
                           request).message_id

    def handoff(
        self, conversation_id: int, *, to_channel: Any, reason: str = "", actor: Any
    ) -> service_pb2.ConversationRouting:
        """Moves the conversation to another channel; the thread travels with it.

        The owner agent keeps it if they serve the new channel and have
        capacity; otherwise the new task prefers them for a while, then falls
        back to the queue.

        Returns:
            The conversation's routing after the handoff (its tasks, the owner).
        """
        request = _message(
            service_pb2.HandoffRequest,
            tenant_id=self._tid(),
            conversation_id=v.to_id(conversation_id, "conversation_id"),
            to_channel=v.to_enum(_Channel, to_channel, "to_channel"),
            reason=v.to_str(reason, "reason"),
            actor=v.to_actor(actor),
        )
        return self._unary(self._conversations.Handoff, "Handoff", request).routing

    def set_conversation_status(
        self, conversation_id: int, status: Any, *, actor: Any
    ) -> None:
        """Sets the status: "OPEN", "PENDING_CUSTOMER", "RESOLVED" or "CLOSED"."""
        request = _message(
            service_pb2.SetConversationStatusRequest,
            tenant_id=self._tid(),
            conversation_id=v.to_id(conversation_id, "conversation_id"),
            status=v.to_enum(_ConversationStatus, status, "status"),
            actor=v.to_actor(actor),
        )
        self._unary(self._conversations.SetConversationStatus, "SetConversationStatus", request)

    def merge_conversations(
        self, target_conversation_id: int, source_conversation_id: int, *, actor: Any
    ) -> None:
        """Moves every message of the source conversation into the target one."""
        request = _message(
            service_pb2.MergeConversationsRequest,
            tenant_id=self._tid(),
            target_conversation_id=v.to_id(target_conversation_id, "target_conversation_id"),
            source_conversation_id=v.to_id(source_conversation_id, "source_conversation_id"),
            actor=v.to_actor(actor),
        )
        self._unary(self._conversations.MergeConversations, "MergeConversations", request)

    def split_conversation(
        self, conversation_id: int, message_ids: Iterable[int], *, actor: Any
    ) -> int:
        """Moves messages into a new conversation; returns its id."""
        request = _message(
            service_pb2.SplitConversationRequest,
            tenant_id=self._tid(),
            conversation_id=v.to_id(conversation_id, "conversation_id"),
            message_ids=[v.to_id(m, f"message_ids[{i}]") for i, m in enumerate(message_ids)],
            actor=v.to_actor(actor),
        )
        return self._unary(self._conversations.SplitConversation, "SplitConversation",
                           request).conversation_id

    def get_conversation(self, conversation_id: int) -> service_pb2.Conversation:
        """A conversation: status, channels used, handoffs, SLA clock."""
        request = _message(service_pb2.GetConversationRequest, tenant_id=self._tid(),
                           conversation_id=v.to_id(conversation_id, "conversation_id"))
        return self._unary(self._conversations.GetConversation, "GetConversation", request)

    def timeline(self, conversation_id: int) -> List[service_pb2.TimelineEntry]:
        """Messages and handoffs across every channel, oldest first.

        Each entry holds either ``message`` or ``handoff``
        (``entry.WhichOneof("entry")``).
        """
        request = _message(service_pb2.GetTimelineRequest, tenant_id=self._tid(),
                           conversation_id=v.to_id(conversation_id, "conversation_id"))
        return list(self._unary(self._conversations.GetTimeline, "GetTimeline", request).entries)

    # ---------------------------------------------------------- routing

    def configure_routing(
        self,
        *,
        rules: Iterable[routing_pb2.RoutingRule] = (),
        default_queue_id: str = "",
        tier_points: Optional[int] = None,
        reach_points_per_decade: Optional[int] = None,
        max_public_boost: Optional[int] = None,
        sla_breach_points: Optional[int] = None,
        missed_commitment_points: Optional[int] = None,
        aging_per_point: v.DurationLike = None,
        default_offer_timeout: v.DurationLike = None,
        max_consecutive_expiries: Optional[int] = None,
        preferred_agent_waits: Optional[Mapping[Any, v.DurationLike]] = None,
        default_preferred_agent_wait: v.DurationLike = None,
        settings: Optional[routing_pb2.RoutingSettings] = None,
    ) -> None:
        """Replaces the tenant's routing settings; what is left out takes its default.

        Args:
            rules: tried in order, the first that matches wins; build them
                with :func:`omniroute.rule`.
            default_queue_id: where a task goes when no rule matches.
            preferred_agent_waits: per channel, how long a task waits for
                its preferred agent, e.g. ``{"EMAIL": timedelta(minutes=30)}``.
            settings: a complete ``RoutingSettings`` instead of the arguments.

        The other arguments are the fields of RoutingSettings
        (proto/omniroute/v1/routing.proto); their defaults are in
        include/omniroute/routing.h.
        """
        if settings is None:
            waits = [
                _message(routing_pb2.PreferredAgentWait,
                         channel=v.to_enum(_Channel, ch, "preferred_agent_waits"),
                         wait=v.to_duration(d, f"preferred_agent_waits[{ch!r}]"))
                for ch, d in v.pairs(preferred_agent_waits, "preferred_agent_waits")
            ]
            optional_ints = {
                name: v.to_int(value, name)
                for name, value in (
                    ("tier_points", tier_points),
                    ("reach_points_per_decade", reach_points_per_decade),
                    ("max_public_boost", max_public_boost),
                    ("sla_breach_points", sla_breach_points),
                    ("missed_commitment_points", missed_commitment_points),
                    ("max_consecutive_expiries", max_consecutive_expiries),
                )
                if value is not None
            }
            rule_list = list(rules or ())
            for i, r in enumerate(rule_list):
                if not isinstance(r, routing_pb2.RoutingRule):
                    raise invalid_argument(
                        f"rules[{i}]: expected omniroute.rule(...), got {type(r).__name__}")
            settings = _message(
                routing_pb2.RoutingSettings,
                rules=rule_list,
                default_queue_id=v.to_str(default_queue_id, "default_queue_id"),
                aging_per_point=v.to_duration(aging_per_point, "aging_per_point"),
                default_offer_timeout=v.to_duration(default_offer_timeout,
                                                    "default_offer_timeout"),
                preferred_agent_waits=waits,
                default_preferred_agent_wait=v.to_duration(default_preferred_agent_wait,
                                                           "default_preferred_agent_wait"),
                **optional_ints,
            )
        request = _message(service_pb2.ConfigureRoutingRequest, tenant_id=self._tid(),
                           settings=settings)
        self._unary(self._routing.ConfigureRouting, "ConfigureRouting", request)

    def get_routing_settings(self) -> routing_pb2.RoutingSettings:
        """The tenant's routing settings, every field filled in."""
        request = _message(service_pb2.GetRoutingSettingsRequest, tenant_id=self._tid())
        return self._unary(self._routing.GetRoutingSettings, "GetRoutingSettings", request)

    def upsert_queue(
        self,
        queue_id: str,
        *,
        channels: Any,
        required_skills: Optional[Mapping[str, int]] = None,
        base_priority: int = 0,
        first_response_target: v.DurationLike = None,
        strategy: Any = None,
        auto_accept: bool = False,
        offer_timeout: v.DurationLike = None,
        expansion_steps: Iterable[routing_pb2.ExpansionStep] = (),
        display_name: str = "",
    ) -> None:
        """Creates or replaces a queue.

        Args:
            queue_id: 1 to 64 characters of [A-Za-z0-9._-].
            channels: the channels its tasks come on, e.g. ``["EMAIL", "CHAT"]``.
            required_skills: ``{"billing": 3}``: skill name to least level (1-10).
            strategy: "LONGEST_IDLE" (default), "MOST_SPARE_CAPACITY",
                "ROUND_ROBIN" or "BEST_SKILL_LEVEL".
            auto_accept: offers are accepted on the agent's behalf.
            offer_timeout: default: the tenant's.
            expansion_steps: :func:`omniroute.relax_levels` and
                :func:`omniroute.overflow` steps, in increasing ``after`` order.
        """
        queue = _message(
            routing_pb2.QueueConfig,
            queue_id=v.to_str(queue_id, "queue_id"),
            display_name=v.to_str(display_name, "display_name"),
            required_skills=_skills(required_skills, "required_skills"),
            channels=v.to_enums(_Channel, channels, "channels"),
            base_priority=v.to_int(base_priority, "base_priority"),
            first_response_target=v.to_duration(first_response_target, "first_response_target"),
            strategy=v.to_enum(_Strategy, strategy, "strategy") if strategy is not None else 0,
            auto_accept=bool(auto_accept),
            offer_timeout=v.to_duration(offer_timeout, "offer_timeout"),
            expansion_steps=list(expansion_steps or ()),
        )
        request = _message(service_pb2.UpsertQueueRequest, tenant_id=self._tid(), queue=queue)
        self._unary(self._routing.UpsertQueue, "UpsertQueue", request)

    def get_queue(self, queue_id: str) -> routing_pb2.QueueConfig:
        """A queue's configuration."""
        request = _message(service_pb2.GetQueueRequest, tenant_id=self._tid(),
                           queue_id=v.to_str(queue_id, "queue_id"))
        return self._unary(self._routing.GetQueue, "GetQueue", request)

    def queue_stats(self, queue_id: str) -> service_pb2.QueueStats:
        """How many tasks wait, are offered and assigned in a queue, and totals."""
        request = _message(service_pb2.GetQueueRequest, tenant_id=self._tid(),
                           queue_id=v.to_str(queue_id, "queue_id"))
        return self._unary(self._routing.GetQueueStats, "GetQueueStats", request)

    def upsert_agent(
        self,
        agent_id: str,
        *,
        channels: Any,
        skills: Optional[Mapping[str, int]] = None,
        capacity: Optional[int] = None,
        channel_costs: Optional[Mapping[Any, int]] = None,
        exclusive_channels: Any = None,
        wrap_up: v.DurationLike = None,
        display_name: str = "",
    ) -> None:
        """Registers an agent or replaces their skills, channels and capacity.

        A new agent is OFFLINE until :meth:`set_presence`.

        Args:
            agent_id: 1 to 64 characters of [A-Za-z0-9._@-].
            channels: the channels they serve, e.g. ``["EMAIL", "PRIVATE_SOCIAL"]``.
            skills: ``{"billing": 7}``: skill name to level (1-10).
            capacity: capacity units in total (server default 4).
            channel_costs: units per task of a channel, ``{"CHAT": 2}``
                (default: voice 4, chat 2, the asynchronous channels 1).
            exclusive_channels: channels that take the agent's whole
                attention. None: the server's default (voice); an empty list:
                none.
            wrap_up: time after a task before its capacity is free again.
        """
        if exclusive_channels is None:
            exclusive = []
        else:
            exclusive = v.to_enums(_Channel, exclusive_channels, "exclusive_channels")
            if not exclusive:
                exclusive = [_Channel.Value("CHANNEL_UNSPECIFIED")]  # the API's "none"
        agent = _message(
            routing_pb2.AgentConfig,
            agent_id=v.to_str(agent_id, "agent_id"),
            display_name=v.to_str(display_name, "display_name"),
            skills=_skills(skills, "skills"),
            channels=v.to_enums(_Channel, channels, "channels"),
            capacity=v.to_int(capacity, "capacity") if capacity is not None else None,
            channel_costs=[
                _message(routing_pb2.ChannelCost,
                         channel=v.to_enum(_Channel, ch, "channel_costs"),
                         units=v.to_int(units, f"channel_costs[{ch!r}]"))
                for ch, units in v.pairs(channel_costs, "channel_costs")
            ],
            exclusive_channels=exclusive,
            wrap_up=v.to_duration(wrap_up, "wrap_up"),
        )
        request = _message(service_pb2.UpsertAgentRequest, tenant_id=self._tid(), agent=agent)
        self._unary(self._routing.UpsertAgent, "UpsertAgent", request)

    def get_agent(self, agent_id: str) -> service_pb2.Agent:
        """An agent: configuration, presence, load, offered and assigned tasks."""
        request = _message(service_pb2.GetAgentRequest, tenant_id=self._tid(),
                           agent_id=v.to_str(agent_id, "agent_id"))
        return self._unary(self._routing.GetAgent, "GetAgent", request)

    def set_presence(self, agent_id: str, presence: Any) -> None:
        """Sets an agent's presence: "AVAILABLE", "BUSY", "AWAY" or "OFFLINE"."""
        request = _message(
            service_pb2.SetAgentPresenceRequest,
            tenant_id=self._tid(),
            agent_id=v.to_str(agent_id, "agent_id"),
            presence=v.to_enum(_Presence, presence, "presence"),
        )
        self._unary(self._routing.SetAgentPresence, "SetAgentPresence", request)

    def offers(self, agent_id: str) -> "Stream[service_pb2.OfferUpdate]":
        """The offers made to an agent, as a stream of ``OfferUpdate``.

        First the offers pending when the stream opens, then each new offer
        and the end of each (``kind``: "KIND_OFFERED", "KIND_ASSIGNED",
        "KIND_DECLINED", "KIND_EXPIRED", "KIND_WITHDRAWN"; compare with
        ``omniroute.OFFERED``, ...). Runs until closed::

            with c.offers("agent-ana") as offers:
                for update in offers:
                    if update.kind == omniroute.OFFERED:
                        c.accept_offer(update)

        Raises (from the iteration):
            OmnirouteError: NOT_FOUND for an unknown tenant or agent.
        """
        request = _message(service_pb2.StreamOffersRequest, tenant_id=self._tid(),
                           agent_id=v.to_str(agent_id, "agent_id"))
        return self._stream(self._routing.StreamOffers, "StreamOffers", request)

    def _answer(self, method, name: str, task: Any, agent_id: Optional[str], reason: str = ""):
        agent = agent_id if agent_id is not None else _offer_agent(task)
        request = _message(
            service_pb2.OfferAnswerRequest,
            tenant_id=self._tid(),
            task_id=_task_id(task),
            agent_id=v.to_str(agent, "agent_id"),
            reason=v.to_str(reason, "reason"),
        )
        return self._unary(method, name, request)

    def accept_offer(self, task: Any, agent_id: Optional[str] = None) -> service_pb2.Task:
        """Accepts an offer; returns the task, now ASSIGNED.

        Args:
            task: a task id, a ``Task`` or the ``OfferUpdate`` of the offer.
            agent_id: the agent answering; default: the one the offer went to.

        Raises:
            OmnirouteError: FAILED_PRECONDITION when the offer is no longer
                open (expired, withdrawn, made to someone else).
        """
        return self._answer(self._routing.AcceptOffer, "AcceptOffer", task, agent_id)

    def decline_offer(
        self, task: Any, agent_id: Optional[str] = None, *, reason: str = ""
    ) -> service_pb2.Task:
        """Declines an offer; the task is routed again without that agent.

        Arguments as :meth:`accept_offer`; ``reason`` is optional.
        """
        return self._answer(self._routing.DeclineOffer, "DeclineOffer", task, agent_id, reason)

    def complete_task(self, task: Any, agent_id: Optional[str] = None) -> service_pb2.Task:
        """The agent is done with the task (wrap-up follows); returns the task.

        Args:
            task: a task id or a ``Task``.
            agent_id: default: the agent the Task names.
        """
        agent = agent_id if agent_id is not None else _offer_agent(task)
        request = _message(service_pb2.CompleteTaskRequest, tenant_id=self._tid(),
                           task_id=_task_id(task), agent_id=v.to_str(agent, "agent_id"))
        return self._unary(self._routing.CompleteTask, "CompleteTask", request)

    def transfer_task(
        self,
        task: Any,
        *,
        queue_id: Optional[str] = None,
        agent_id: Optional[str] = None,
        actor: Any,
    ) -> service_pb2.Task:
        """Moves the work to a queue or a named agent (exactly one); returns the new task."""
        if (queue_id is None) == (agent_id is None):
            raise invalid_argument("target: exactly one of queue_id and agent_id is required")
        target = ({"queue_id": v.to_str(queue_id, "queue_id")} if queue_id is not None
                  else {"agent_id": v.to_str(agent_id, "agent_id")})
        request = _message(service_pb2.TransferTaskRequest, tenant_id=self._tid(),
                           task_id=_task_id(task), actor=v.to_actor(actor), **target)
        return self._unary(self._routing.TransferTask, "TransferTask", request)

    def abandon_task(self, task: Any) -> service_pb2.Task:
        """The customer gave up (hung up, left the chat); returns the cancelled task."""
        request = _message(service_pb2.AbandonTaskRequest, tenant_id=self._tid(),
                           task_id=_task_id(task))
        return self._unary(self._routing.AbandonTask, "AbandonTask", request)

    def get_task(self, task_id: Any) -> service_pb2.Task:
        """A task as it stands (status, offer, agent, priority)."""
        request = _message(service_pb2.GetTaskRequest, tenant_id=self._tid(),
                           task_id=_task_id(task_id))
        return self._unary(self._routing.GetTask, "GetTask", request)

    def conversation_routing(self, conversation_id: int) -> service_pb2.ConversationRouting:
        """A conversation's routing: owner, tasks, transfers, handoffs, same agent throughout."""
        request = _message(service_pb2.GetConversationRoutingRequest, tenant_id=self._tid(),
                           conversation_id=v.to_id(conversation_id, "conversation_id"))
        return self._unary(self._routing.GetConversationRouting, "GetConversationRouting",
                           request)

    def run_due_timers(self) -> int:
        """Fires the routing timers due now; returns how many fired.

        The server runs them by itself; this is for callers that need them
        fired before their next call.
        """
        request = _message(service_pb2.RunDueTimersRequest, tenant_id=self._tid())
        return self._unary(self._routing.RunDueTimers, "RunDueTimers", request).fired

    # ---------------------------------------------------------- commitments

    def record_commitment(
        self,
        conversation_id: int,
        *,
        kind: Any,
        due_at: v.TimeLike,
        description: str = "",
        deadline: v.TimeLike = None,
        channel: Any = None,
        queue_id: str = "",
        agent_id: str = "",
        actor: Any,
    ) -> service_pb2.Commitment:
        """Records a promise made to the customer.

        When due it becomes a routed task; if not fulfilled by its deadline
        it is missed and escalates.

        Args:
            kind: "CALLBACK", "FOLLOW_UP" or "PICKUP".
            due_at: when it falls due (a datetime or epoch seconds).
            deadline: default: due_at + 1 hour.
            channel: the task's channel; default: voice for a call-back, the
                conversation's channel otherwise.
            queue_id: default: the queue the routing rules choose.
            agent_id: who promised; their task prefers them.
        """
        request = _message(
            service_pb2.RecordCommitmentRequest,
            tenant_id=self._tid(),
            conversation_id=v.to_id(conversation_id, "conversation_id"),
            kind=v.to_enum(_CommitmentKind, kind, "kind"),
            description=v.to_str(description, "description"),
            due_at=v.to_timestamp(due_at, "due_at"),
            deadline=v.to_timestamp(deadline, "deadline"),
            channel=v.to_enum(_Channel, channel, "channel") if channel is not None else 0,
            queue_id=v.to_str(queue_id, "queue_id"),
            agent_id=v.to_str(agent_id, "agent_id"),
            actor=v.to_actor(actor),
        )
        return self._unary(self._commitments.RecordCommitment, "RecordCommitment", request)

    def close_commitment(
        self, commitment_id: int, status: Any = "FULFILLED", *, actor: Any,
        reason: str = "",
    ) -> service_pb2.Commitment:
        """Closes a commitment as "FULFILLED" (the default) or "CANCELLED"."""
        request = _message(
            service_pb2.CloseCommitmentRequest,
            tenant_id=self._tid(),
            commitment_id=v.to_id(commitment_id, "commitment_id"),
            status=v.to_enum(_CommitmentStatus, status, "status"),
            actor=v.to_actor(actor),
            reason=v.to_str(reason, "reason"),
        )
        return self._unary(self._commitments.CloseCommitment, "CloseCommitment", request)

    def get_commitment(self, commitment_id: int) -> service_pb2.Commitment:
        """A commitment as it stands."""
        request = _message(service_pb2.GetCommitmentRequest, tenant_id=self._tid(),
                           commitment_id=v.to_id(commitment_id, "commitment_id"))
        return self._unary(self._commitments.GetCommitment, "GetCommitment", request)

    def list_commitments(self, conversation_id: int) -> List[service_pb2.Commitment]:
        """The commitments of a conversation."""
        request = _message(service_pb2.ListCommitmentsRequest, tenant_id=self._tid(),
                           conversation_id=v.to_id(conversation_id, "conversation_id"))
        return list(self._unary(self._commitments.ListCommitments, "ListCommitments",
                                request).commitments)

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


# ------------------------------------------------------------ helpers


def _skills(skills: Any, field: str) -> list:
    return [
        _message(routing_pb2.SkillLevel, skill=v.to_str(name, f"{field} name"),
                 level=v.to_int(level, f"{field}[{name!r}]"))
        for name, level in v.pairs(skills, field)
    ]


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
