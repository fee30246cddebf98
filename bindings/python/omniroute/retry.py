"""Several server addresses, and which calls a Client retries on another one.

A :class:`omniroute.Client` takes one address or several (the nodes of a
cluster that share one PostgreSQL store; each tenant is served by one of them
at a time). A call that fails ``UNAVAILABLE`` is retried:

- on the address the server named in the trailing metadata
  ``omniroute-owner``, through a channel opened to it or kept open (a node
  that does not serve the tenant answers so, without applying the call,
  when it does not forward calls, ``--forward=false``, or could not);
- otherwise on the next address of the list (a node that is down or not
  reachable, or one that knows no owner while the tenant moves or after its
  owner died);
- waiting before an address already tried during the call: 50 ms, then
  doubling up to 1 s, each wait drawn within ±20 % (the jitter);
- until the call's budget runs out (by default its timeout: the retries of a
  call end within the deadline the call alone would have had). Then the last
  error is raised.

The address that answered a tenant's call last is tried first for its next
calls, and by every client ``for_tenant`` made from the same one.

Which calls are retried (:func:`is_safe`):

- Reads, always: every Get*/List*/Find* call, ``GetTimeline``,
  ``GetQueueStats``, ``GetQueueStatistics``, ``GetAgentStatistics``,
  ``GetIntervalReport``, ``GetLastSequence``, ``ExportCustomer``, ``Ping``,
  ``ListTenants``.
- Commands that change nothing more when repeated, always:
  ``IngestMessage`` (a redelivery with the same channel and external id is
  recognised: the answer of a retry may say ``duplicate`` for a message the
  first attempt stored, with the same ids), ``RecordOutbound`` with an
  ``external_id`` (a repeat is refused ``ALREADY_EXISTS``: the answer was
  stored, by the attempt whose outcome was unknown or earlier),
  ``ConfigureRouting``, ``UpsertQueue``, ``UpsertAgent``, ``SetAgentPresence``
  and ``SetConversationStatus`` (they set a value; setting it again records
  nothing), ``EraseCustomer`` (erasing an erased customer is accepted) and
  ``RunDueTimers`` (fires what is due when it runs).
- The other commands only when the call surely was not applied: the server
  refused it (an ``omniroute-owner`` hint, or its own "tenant_id: ... is not
  served by this node") or the client never reached a server (no connection
  could be made). They are ``CreateTenant`` (a repeat is ``ALREADY_EXISTS``),
  ``LinkIdentity``, ``MergeCustomers``, ``UnmergeCustomer``, ``Handoff``,
  ``MergeConversations``, ``SplitConversation``, ``AcceptOffer``,
  ``DeclineOffer``, ``CompleteTask``, ``TransferTask``, ``AbandonTask``,
  ``RecordCommitment``, ``CloseCommitment`` and ``RecordOutbound`` without an
  external id: a repeat of each either does the work twice or is refused
  (``FAILED_PRECONDITION``) although the first one succeeded. When such a
  call's connection drops after it was sent, the error is raised at once
  with ``outcome_unknown`` set: read the state (``get_task``, ...) to learn
  whether it was applied.

Streams reconnect after a break (``UNAVAILABLE``, or ``CANCELLED`` by the
server) the same way, for up to ``stream_budget`` seconds per break:
``watch`` resumes from the last sequence received + 1, so nothing is missed
or repeated; ``offers`` subscribes again (the offers pending then come
first; one already reported and still open is not reported again; an offer
that ended during the break is not reported); ``watch_queue_statistics``
subscribes again (its first update again holds every queue asked for);
``export_customer`` starts again only if no record had arrived.
"""

from __future__ import annotations

import dataclasses
import random
from typing import Optional

import grpc

__all__ = ["RetryPolicy", "is_safe", "OWNER_METADATA_KEY"]

# The trailing metadata key under which a node names the tenant's owner.
OWNER_METADATA_KEY = "omniroute-owner"

# The budget of a call when neither the policy nor the client gives one.
DEFAULT_BUDGET = 30.0

# Calls that read: retried whatever happened to the attempt.
_READS = frozenset({
    "ListTenants", "GetCustomer", "FindCustomer", "ListConversations", "ExportCustomer",
    "GetConversation", "GetTimeline", "GetRoutingSettings", "GetQueue", "GetQueueStats",
    "GetQueueStatistics", "GetIntervalReport", "GetAgent", "GetAgentStatistics", "GetTask",
    "GetConversationRouting", "GetCommitment", "ListCommitments", "GetLastSequence",
    "WatchEvents", "StreamOffers", "WatchQueueStatistics", "Ping",
})

# Commands a repeat changes nothing more with (see the module comment).
_IDEMPOTENT = frozenset({
    "IngestMessage", "ConfigureRouting", "UpsertQueue", "UpsertAgent", "SetAgentPresence",
    "SetConversationStatus", "EraseCustomer", "RunDueTimers",
})

# The starts of gRPC's own messages for a call that never reached a server.
_NOT_SENT = ("failed to connect to all addresses", "DNS resolution failed")
# The start of a node's refusal of a tenant it does not serve.
_REFUSED = "tenant_id: "


def is_safe(method: str, request=None) -> bool:
    """Whether ``method`` may be retried after an attempt whose outcome is unknown."""
    if method in _READS or method in _IDEMPOTENT:
        return True
    if method == "RecordOutbound":
        return bool(getattr(request, "external_id", ""))
    return False


@dataclasses.dataclass(frozen=True)
class RetryPolicy:
    """How a Client retries a call that failed UNAVAILABLE (see :mod:`omniroute.retry`).

    ``Client(..., retry=None)`` turns retries off: each call is made once, on
    the first address (or the one that answered last).

    Attributes:
        initial_backoff: seconds to wait before the first address tried a
            second time within a call (default 0.05).
        max_backoff: the longest wait (default 1.0).
        multiplier: each wait is the one before times this (default 2.0).
        jitter: each wait is drawn within ± this fraction of it (default 0.2).
        budget: the longest a unary call goes on, its retries included, in
            seconds from its start. None (the default): the client's
            ``timeout``, or 30 s for a client without one.
        stream_budget: how long a stream keeps trying to reconnect after a
            break before it raises the error, in seconds (default 30.0).
            A reconnected stream starts a fresh budget at its next break once
            it has delivered a message or stayed open for a second.
    """

    initial_backoff: float = 0.05
    max_backoff: float = 1.0
    multiplier: float = 2.0
    jitter: float = 0.2
    budget: Optional[float] = None
    stream_budget: float = 30.0

    def __post_init__(self) -> None:
        if not self.initial_backoff > 0:
            raise ValueError(f"initial_backoff: must be positive, got {self.initial_backoff}")
        if self.max_backoff < self.initial_backoff:
            raise ValueError(f"max_backoff: must be at least initial_backoff, got {self.max_backoff}")
        if self.multiplier < 1:
            raise ValueError(f"multiplier: must be at least 1, got {self.multiplier}")
        if not 0 <= self.jitter < 1:
            raise ValueError(f"jitter: must be in [0, 1), got {self.jitter}")
        if self.budget is not None and not self.budget > 0:
            raise ValueError(f"budget: must be positive or None, got {self.budget}")
        if not self.stream_budget >= 0:
            raise ValueError(f"stream_budget: must be 0 or more, got {self.stream_budget}")

    def pause(self, backoff: float) -> float:
        """``backoff`` with its jitter applied."""
        return backoff * random.uniform(1 - self.jitter, 1 + self.jitter)

    def next_backoff(self, backoff: float) -> float:
        return min(backoff * self.multiplier, self.max_backoff)


def owner_hint(error: grpc.RpcError) -> Optional[str]:
    """The address a node named as the tenant's owner, if it named one."""
    try:
        metadata = error.trailing_metadata() or ()
    except Exception:  # not a grpc.Call (a local error)
        return None
    for key, value in metadata:
        if key == OWNER_METADATA_KEY:
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            return value or None
    return None


def not_applied(error: grpc.RpcError, hint: Optional[str]) -> bool:
    """Whether a failed attempt surely changed nothing on any server."""
    if hint is not None:
        return True
    details = _details(error)
    return details.startswith(_NOT_SENT) or details.startswith(_REFUSED)


def _details(error: grpc.RpcError) -> str:
    try:
        return error.details() or ""
    except Exception:
        return ""
