"""Client calls of CustomerService and ConversationService."""

from __future__ import annotations

from typing import Any, Iterable, List, Optional

import grpc

from . import values as v
from ._calls import Calls, _message
from ._gen_import import export_pb2, service_pb2, types_pb2
from .errors import OmnirouteError
from .paging import Page, read_every_page

__all__: list = []

_Channel = types_pb2.Channel
_Visibility = types_pb2.Visibility
_ConversationStatus = types_pb2.ConversationStatus


class CustomerCalls(Calls):
    """Customers (identities, merges) and conversations (messages, handoffs, timeline)."""

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

    def erase_customer(self, customer_id: int, *, actor: Any) -> None:
        """Erases the customer's personal data (GDPR art. 17), and that of the
        customers merged into it.

        Names, identities, message bodies, senders, references, tags and keys
        are erased from memory, the stored events and snapshots; open
        conversations are closed. Returns once the data is gone from the
        store. Erasing an erased customer again is accepted and changes
        nothing more.

        Raises:
            OmnirouteError: NOT_FOUND for an unknown customer;
                FAILED_PRECONDITION for a customer merged into another one
                (erase that one) or with a live task or an open commitment.
        """
        request = _message(service_pb2.EraseCustomerRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"),
                           actor=v.to_actor(actor))
        self._unary(self._customers.EraseCustomer, "EraseCustomer", request)

    def export_customer(self, customer_id: int) -> List[export_pb2.CustomerExportRecord]:
        """Everything held about the customer (GDPR art. 15 and 20), in order.

        The customer, those merged into it, then each conversation followed
        by its messages. An erased customer exports one ``erasure`` record.

        Raises:
            OmnirouteError: NOT_FOUND for an unknown customer.
        """
        request = _message(service_pb2.ExportCustomerRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"))
        with self._stream(self._customers.ExportCustomer, "ExportCustomer", request) as records:
            return list(records)

    def list_conversations(self, customer_id: int) -> List[service_pb2.Conversation]:
        """The customer's conversations, by id: every page, read one after the other.

        An absorbed customer's id reads the customer it was merged into.

        Raises:
            OmnirouteError: NOT_FOUND for an unknown customer.
        """
        customer_id = v.to_id(customer_id, "customer_id")
        return read_every_page(
            lambda token: self.list_conversations_page(customer_id, page_token=token),
            "ListConversations")

    def list_conversations_page(self, customer_id: int, *, page_size: int = 0,
                                page_token: str = "") -> Page:
        """One page of the customer's conversations.

        Args:
            page_size: the most conversations to return, 1 to 1000; 0 means
                the server's default, 100.
            page_token: ``""`` for the first page, else the
                ``next_page_token`` of the page before.

        Returns:
            ``Page(items=[Conversation, ...], next_page_token=...)``; the
            token is ``""`` on the last page.

        Raises:
            OmnirouteError: INVALID_ARGUMENT naming ``page_size`` (out of
                range) or ``page_token`` (not one the server gave for this
                tenant and customer); NOT_FOUND.
        """
        request = _message(service_pb2.ListConversationsRequest, tenant_id=self._tid(),
                           customer_id=v.to_id(customer_id, "customer_id"),
                           page_size=v.to_int(page_size, "page_size"),
                           page_token=v.to_str(page_token, "page_token"))
        response = self._unary(self._customers.ListConversations, "ListConversations", request)
        return Page(list(response.conversations), response.next_page_token)

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
                it join the conversation. With one, the call is retried after
                a dropped connection (the server refuses a second copy):
                when the retry finds the answer stored, by the attempt whose
                outcome was unknown, its id is read from the timeline.
            channel: the channel the answer went out on.
            agent_id: the agent who answered.

        Raises:
            OmnirouteError: ALREADY_EXISTS when an answer with this channel
                and external id is stored already; FAILED_PRECONDITION when
                the conversation is on another channel.
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
        try:
            return self._unary(self._conversations.RecordOutbound, "RecordOutbound",
                               request).message_id
        except OmnirouteError as error:
            if not (error.code == grpc.StatusCode.ALREADY_EXISTS and error.outcome_unknown):
                raise
            # A retry found the answer stored: the attempt whose connection
            # dropped stored it, or an earlier call did.
            found = self._find_outbound(request)
            if found is None:
                raise
            return found

    def _find_outbound(self, request) -> Optional[int]:
        """The id of the outbound message ``request`` describes, from the timeline."""
        found = None
        for entry in self.timeline(request.conversation_id):
            m = entry.message
            if (entry.WhichOneof("entry") == "message" and m.external_id == request.external_id
                    and m.channel == request.channel
                    and m.direction == types_pb2.DIRECTION_OUTBOUND):
                found = m.message_id
        return found

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
        """Messages and handoffs across every channel, oldest first: the whole thread.

        Every page is read, one after the other. Each entry holds either
        ``message`` or ``handoff`` (``entry.WhichOneof("entry")``).

        Raises:
            OmnirouteError: NOT_FOUND for an unknown conversation.
        """
        conversation_id = v.to_id(conversation_id, "conversation_id")
        return read_every_page(
            lambda token: self.timeline_page(conversation_id, page_token=token), "GetTimeline")

    def timeline_page(self, conversation_id: int, *, page_size: int = 0,
                      page_token: str = "") -> Page:
        """One page of the timeline, oldest first.

        Args:
            page_size: the most entries to return, 1 to 1000; 0 means the
                server's default, 100.
            page_token: ``""`` for the first page, else the
                ``next_page_token`` of the page before.

        Returns:
            ``Page(items=[TimelineEntry, ...], next_page_token=...)``; the
            token is ``""`` on the last page.

        Raises:
            OmnirouteError: INVALID_ARGUMENT naming ``page_size`` (out of
                range) or ``page_token`` (not one the server gave for this
                tenant and conversation); NOT_FOUND.
        """
        request = _message(service_pb2.GetTimelineRequest, tenant_id=self._tid(),
                           conversation_id=v.to_id(conversation_id, "conversation_id"),
                           page_size=v.to_int(page_size, "page_size"),
                           page_token=v.to_str(page_token, "page_token"))
        response = self._unary(self._conversations.GetTimeline, "GetTimeline", request)
        return Page(list(response.entries), response.next_page_token)
