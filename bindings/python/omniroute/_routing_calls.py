"""Client calls of RoutingService and CommitmentService."""

from __future__ import annotations

from typing import Any, Iterable, List, Mapping, Optional

from . import values as v
from ._calls import Calls, _message, _offer_agent, _skills, _task_id
from ._gen_import import routing_pb2, service_pb2, types_pb2
from .errors import invalid_argument
from .streams import Stream

__all__: list = []

_Channel = types_pb2.Channel
_Presence = routing_pb2.AgentPresence
_Strategy = routing_pb2.SelectionStrategy
_CommitmentKind = routing_pb2.CommitmentKind
_CommitmentStatus = routing_pb2.CommitmentStatus


class RoutingCalls(Calls):
    """Routing (queues, agents, offers, tasks) and commitments."""

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

    def queue_statistics(
        self, queue_ids: Any = None
    ) -> service_pb2.GetQueueStatisticsResponse:
        """Queues now and over the last 15 and 60 minutes.

        Per queue (``QueueStatistics``): tasks waiting, offered and assigned,
        the longest wait, the agents who serve it by state (available, busy,
        wrapping up, away), and per window (``last_15_minutes``,
        ``last_60_minutes``) the tasks offered, answered (within the target),
        abandoned and handled, the average speed of answer and handle time
        and the service level; then the same per channel, with what a new
        task would wait (``new_task_wait``).

        Args:
            queue_ids: a queue id or a list of them; None or empty: every
                queue, in configuration order.

        Returns:
            ``GetQueueStatisticsResponse``: ``queues`` in the order asked
            for, and ``at``, when the server read them.

        Raises:
            OmnirouteError: NOT_FOUND naming ``queue_ids[i]`` for an unknown
                queue.
        """
        request = _message(service_pb2.GetQueueStatisticsRequest, tenant_id=self._tid(),
                           queue_ids=v.to_strs(queue_ids, "queue_ids"))
        return self._unary(self._routing.GetQueueStatistics, "GetQueueStatistics", request)

    def watch_queue_statistics(
        self, queue_ids: Any = None, *, interval: v.DurationLike = None
    ) -> "Stream[service_pb2.QueueStatisticsUpdate]":
        """Queue statistics pushed as they change, as a stream of ``QueueStatisticsUpdate``.

        The first update holds every queue asked for; each later one the
        queues whose figures changed (``QueueStatistics`` as
        :meth:`queue_statistics` gives them), read again every ``interval``.
        Runs until closed::

            with c.watch_queue_statistics(["care"], interval=5) as updates:
                for update in updates:
                    for queue in update.queues:
                        show(queue.queue_id, queue.waiting, queue.longest_wait)

        A stream that reconnects after a break starts again with every queue.

        Args:
            queue_ids: a queue id or a list of them; None or empty: every
                queue, those configured while the stream runs included.
            interval: how often the figures are read again, 100 ms to 60 s
                (a timedelta or seconds); None: 1 s.

        Raises (from the iteration):
            OmnirouteError: NOT_FOUND for an unknown tenant, or naming
                ``queue_ids[i]`` for an unknown queue; INVALID_ARGUMENT
                naming ``interval`` outside 100 ms to 60 s.
        """
        request = _message(service_pb2.WatchQueueStatisticsRequest, tenant_id=self._tid(),
                           queue_ids=v.to_strs(queue_ids, "queue_ids"),
                           interval=v.to_duration(interval, "interval"))
        return self._stream(self._routing.WatchQueueStatistics, "WatchQueueStatistics",
                            request)

    def interval_report(
        self, from_time: v.TimeLike, to_time: v.TimeLike
    ) -> service_pb2.IntervalReport:
        """Queue figures per 15-minute interval, queue and channel over a span.

        The server widens ``[from_time, to_time)`` to whole intervals
        (quarter hours of UTC) and gives one ``IntervalFigures`` row per
        interval, queue and channel that saw activity, by ``start``, then
        ``queue_id``, then ``channel``: tasks offered, answered (within
        target), abandoned, handled, transferred and handed off, repeat and
        same-agent answers, and ``average_speed_of_answer``,
        ``service_level``, ``average_handle_time`` and ``same_agent_rate``,
        each unset when there is nothing to average or divide
        (``row.HasField("service_level")``)::

            report = c.interval_report("2026-12-07T09:00:00Z", "2026-12-07T17:00:00Z")
            for row in report.rows:
                print(omniroute.to_datetime(row.start), row.queue_id, row.offered)

        Args:
            from_time: the start of the span, a datetime (naive: UTC), seconds
                since the epoch or an RFC 3339 string.
            to_time: its end, the same way; after ``from_time``, at most 31
                days later.

        Returns:
            ``IntervalReport``: ``from`` and ``to`` as widened (read them with
            ``getattr(report, "from")``, ``from`` being a Python keyword),
            ``rows``, and ``events_read``, the events the server read.

        Raises:
            OmnirouteError: INVALID_ARGUMENT naming ``from_time`` or
                ``to_time`` when one is missing or not a time (nothing is
                sent); from the server, INVALID_ARGUMENT naming ``to`` when it
                is not after ``from`` or the span exceeds 31 days.
        """
        times = {}
        for name, value in (("from_time", from_time), ("to_time", to_time)):
            if value is None:
                raise invalid_argument(f"{name}: required")
            times[name] = v.to_timestamp(value, name)
        # "from" is a Python keyword: the fields go in as a mapping.
        request = _message(service_pb2.GetIntervalReportRequest, tenant_id=self._tid(),
                           **{"from": times["from_time"], "to": times["to_time"]})
        return self._unary(self._routing.GetIntervalReport, "GetIntervalReport", request)

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

    def agent_statistics(self, agent_id: str) -> service_pb2.AgentStatistics:
        """An agent's last 60 minutes: presence, time staffed and busy, occupancy,
        tasks handled and their average handle time.

        ``occupancy`` (busy / staffed) is unset when the agent was not
        signed in during the window (``HasField("occupancy")``).

        Raises:
            OmnirouteError: NOT_FOUND for an unknown agent.
        """
        request = _message(service_pb2.GetAgentRequest, tenant_id=self._tid(),
                           agent_id=v.to_str(agent_id, "agent_id"))
        return self._unary(self._routing.GetAgentStatistics, "GetAgentStatistics", request)

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
        """A task as it stands (status, offer, agent, priority).

        While it waits in a queue, ``wait_estimate`` says where: its
        ``position`` in its queue and channel (1: next) and, when the queue
        answered enough tasks of the channel lately, the expected ``wait``.
        """
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
