"""omniroute.Client against a real omniroute-server (port 0, temporary data dir).

    /usr/bin/python3 -m unittest discover -s bindings/python/tests -v

The server binary is $OMNIROUTE_SERVER, default build/dev/tools/omniroute-server.
"""

from __future__ import annotations

import datetime as dt
import itertools
import sys
import time
import unittest
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import omniroute  # noqa: E402
from omniroute import proto  # noqa: E402
from omniroute.testing import Server  # noqa: E402

# Every wait on a stream is bounded by this, so a broken server fails the
# test instead of hanging it.
WAIT = 10.0

_server: Server | None = None
_tenants = itertools.count(1)


def setUpModule() -> None:
    global _server
    _server = Server().start()


def tearDownModule() -> None:
    if _server is not None:
        code = _server.stop()
        if code != 0:
            raise AssertionError(f"omniroute-server exited with {code} on SIGTERM")


class ServerTest(unittest.TestCase):
    """Each test gets its own tenant on the module's server."""

    def setUp(self) -> None:
        self.tenant = f"t{next(_tenants)}-{self._testMethodName[5:25].replace('_', '-')}"
        self.c = _server.client(tenant=self.tenant)
        self.addCleanup(self.c.close)
        self.c.create_tenant()

    def route_to(self, *agents: str, channels=("PUBLIC_SOCIAL", "PRIVATE_SOCIAL", "EMAIL")):
        """One queue for `channels`, the default; the agents registered and available."""
        self.c.upsert_queue("care", channels=list(channels))
        self.c.configure_routing(default_queue_id="care")
        for agent in agents:
            self.c.upsert_agent(agent, channels=list(channels))
            self.c.set_presence(agent, "AVAILABLE")

    def assertError(self, code: grpc.StatusCode, call, *args, **kwargs) -> omniroute.OmnirouteError:
        with self.assertRaises(omniroute.OmnirouteError) as caught:
            call(*args, **kwargs)
        self.assertEqual(caught.exception.code, code, caught.exception)
        return caught.exception


class ConnectionTest(ServerTest):
    def test_ping_echoes_the_payload(self):
        self.assertEqual(self.c.ping(b"\x00omniroute"), b"\x00omniroute")

    def test_list_tenants_names_the_tenant(self):
        self.assertIn(self.tenant, self.c.list_tenants())

    def test_closed_client_refuses_calls_and_ends_its_streams(self):
        c = _server.client(tenant=self.tenant)
        events = c.watch(from_sequence=1)
        self.assertEqual(events.next(timeout=WAIT).sequence, 1)
        with c:
            pass  # __exit__ closes
        self.assertTrue(c.closed)
        self.assertTrue(events.closed)
        self.assertEqual(list(events), [])
        error = self.assertError(grpc.StatusCode.CANCELLED, c.last_sequence)
        self.assertIn("closed", error.message)

    def test_for_tenant_shares_the_connection(self):
        other = self.c.for_tenant(self.tenant + "-b")
        other.create_tenant()
        self.assertEqual(other.tenant, self.tenant + "-b")
        self.assertEqual(other.last_sequence(), 1)
        self.assertIs(other.channel, self.c.channel)


class IngestTest(ServerTest):
    def test_ingest_resolves_threads_and_recognises_a_redelivery(self):
        first = self.c.ingest(channel="EMAIL", sender=omniroute.email("  Owner@Example.COM "),
                              external_id="<m1@example.com>", body="My order never came.")
        self.assertTrue(first.customer_created)
        self.assertFalse(first.duplicate)
        self.assertEqual(first.outcome, proto.THREAD_OUTCOME_OPENED)
        self.assertGreater(first.message_id, 0)

        again = self.c.ingest(channel="EMAIL", sender=omniroute.email("owner@example.com"),
                              external_id="<m1@example.com>", body="My order never came.")
        self.assertTrue(again.duplicate)
        self.assertEqual(again.message_id, first.message_id)

        second = self.c.ingest(channel=proto.CHANNEL_EMAIL, sender=omniroute.email("owner@example.com"),
                               external_id="<m2@example.com>", body="Any news?")
        self.assertFalse(second.customer_created)
        self.assertEqual(second.conversation_id, first.conversation_id)
        self.assertEqual(second.outcome, proto.THREAD_OUTCOME_JOINED_BY_CONTINUITY)

        customer = self.c.find_customer(omniroute.email("OWNER@example.com"))
        self.assertEqual(customer.customer_id, first.customer_id)
        self.assertEqual([(i.kind, i.value) for i in customer.identities],
                         [(proto.IDENTITY_KIND_EMAIL, "owner@example.com")])
        self.assertEqual([c.conversation_id for c in self.c.list_conversations(first.customer_id)],
                         [first.conversation_id])
        self.assertEqual(self.c.get_conversation(first.conversation_id).message_count, 2)

    def test_enums_are_accepted_by_short_name_full_name_and_value(self):
        for i, channel in enumerate(["sms", "SMS", "CHANNEL_SMS", proto.CHANNEL_SMS]):
            r = self.c.ingest(channel=channel, sender=omniroute.phone("+33 6 12 34 56 78"),
                              external_id=f"sms-{i}")
            self.assertEqual(self.c.timeline(r.conversation_id)[-1].message.channel,
                             proto.CHANNEL_SMS)


class MergeTest(ServerTest):
    def test_linking_an_identity_merges_the_customers_and_their_threads(self):
        post = self.c.ingest(channel="PUBLIC_SOCIAL",
                             sender=omniroute.handle("@BabyParent", network="x"),
                             external_id="post-1", body="Spoiled jar, look at this photo.")
        mail = self.c.ingest(channel="EMAIL", sender=omniroute.email("parent@example.com"),
                             external_id="<c1@example.com>", body="Complaint: spoiled jar.")
        self.assertNotEqual(post.customer_id, mail.customer_id)

        link = self.c.link_identity(post.customer_id, omniroute.email("Parent@Example.com"),
                                    actor=omniroute.agent("agent-cm"))
        # The older customer survives and absorbs the other.
        self.assertEqual(link.customer_id, post.customer_id)
        self.assertEqual(link.absorbed_customer_id, mail.customer_id)
        self.assertEqual(len(link.merged_threads), 1)
        thread = link.merged_threads[0]
        self.assertEqual({thread.target_conversation_id, thread.source_conversation_id},
                         {post.conversation_id, mail.conversation_id})

        self.assertEqual(self.c.find_customer(omniroute.email("parent@example.com")).customer_id,
                         post.customer_id)
        self.assertEqual(self.c.get_customer(mail.customer_id).merged_into_customer_id,
                         post.customer_id)
        survivor = self.c.get_customer(post.customer_id)
        self.assertEqual({i.kind for i in survivor.identities},
                         {proto.IDENTITY_KIND_SOCIAL_HANDLE, proto.IDENTITY_KIND_EMAIL})

        # One thread, both channels, oldest first.
        entries = self.c.timeline(thread.target_conversation_id)
        messages = [e.message for e in entries if e.WhichOneof("entry") == "message"]
        self.assertEqual([m.message_id for m in messages], [post.message_id, mail.message_id])
        self.assertEqual([m.channel for m in messages],
                         [proto.CHANNEL_PUBLIC_SOCIAL, proto.CHANNEL_EMAIL])

        # Unmerge gives the absorbed customer back their identity and message.
        self.c.unmerge_customer(mail.customer_id, actor="agent-cm")
        self.assertEqual(self.c.find_customer(omniroute.email("parent@example.com")).customer_id,
                         mail.customer_id)
        ids = set()
        for customer_id in (post.customer_id, mail.customer_id):
            for conversation in self.c.list_conversations(customer_id):
                for e in self.c.timeline(conversation.conversation_id):
                    if e.WhichOneof("entry") == "message":
                        ids.add((customer_id, e.message.message_id))
        self.assertEqual(ids, {(post.customer_id, post.message_id),
                               (mail.customer_id, mail.message_id)})

    def test_erase_customer_erases_what_was_merged_into_it(self):
        post = self.c.ingest(channel="PUBLIC_SOCIAL", sender=omniroute.handle("@py_erased", network="x"),
                             external_id="py-post-1", body="py-erased-body")
        mail = self.c.ingest(channel="EMAIL", sender=omniroute.email("py.erased@example.com"),
                             external_id="<py1@example.com>", body="py-erased-mail")
        kept = self.c.ingest(channel="EMAIL", sender=omniroute.email("py.kept@example.com"),
                             external_id="<py2@example.com>", body="py-kept-body")
        for r in (post, mail, kept):
            if r.HasField("task"):
                self.c.abandon_task(r.task)
        self.c.link_identity(post.customer_id, omniroute.email("py.erased@example.com"),
                             actor=omniroute.agent("agent-cm"))

        # The absorbed customer is erased through the one it was merged into.
        error = self.assertError(grpc.StatusCode.FAILED_PRECONDITION, self.c.erase_customer,
                                 mail.customer_id, actor="dpo")
        self.assertIn(f"customer/{post.customer_id}", error.message)
        self.c.erase_customer(post.customer_id, actor="dpo")
        self.c.erase_customer(post.customer_id, actor="dpo")  # twice: nothing more

        for customer_id in (post.customer_id, mail.customer_id):
            customer = self.c.get_customer(customer_id)
            self.assertTrue(customer.erased)
            self.assertEqual(list(customer.identities), [])
            records = self.c.export_customer(customer_id)
            self.assertEqual([r.WhichOneof("record") for r in records], ["erasure"])
            self.assertEqual(records[0].erasure.customer_id, post.customer_id)
            self.assertEqual(list(records[0].erasure.erased_with_customer_ids), [mail.customer_id])
        self.assertError(grpc.StatusCode.NOT_FOUND, self.c.find_customer,
                         omniroute.email("py.erased@example.com"))
        bodies = [e.message.body for e in self.c.timeline(post.conversation_id)
                  if e.WhichOneof("entry") == "message"]
        self.assertTrue(bodies)
        self.assertEqual(set(bodies), {""})

        # Someone else keeps everything.
        records = self.c.export_customer(kept.customer_id)
        self.assertEqual([r.WhichOneof("record") for r in records],
                         ["customer", "conversation", "message"])
        self.assertEqual(records[2].message.message.body, "py-kept-body")

    def test_erase_and_export_refuse_bad_input(self):
        self.assertError(grpc.StatusCode.NOT_FOUND, self.c.erase_customer, 99, actor="dpo")
        self.assertError(grpc.StatusCode.NOT_FOUND, self.c.export_customer, 99)
        error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, self.c.export_customer, 0)
        self.assertIn("customer_id", error.message)

    def test_merge_customers_explicitly(self):
        a = self.c.ingest(channel="CHAT", sender=omniroute.crm_id("C-1", network="crm"),
                          external_id="chat-1")
        b = self.c.ingest(channel="SMS", sender=omniroute.phone("+14155550100"),
                          external_id="sms-1")
        merged = self.c.merge_customers(a.customer_id, b.customer_id, actor="agent-x")
        self.assertEqual(merged.customer_id, a.customer_id)
        self.assertEqual(merged.absorbed_customer_id, b.customer_id)


class TimelineTest(ServerTest):
    def test_timeline_follows_the_conversation_across_channels(self):
        self.route_to("agent-ana")
        post = self.c.ingest(channel="PUBLIC_SOCIAL",
                             sender=omniroute.handle("@PhoneOwner", network="x"),
                             external_id="tw-1", body="My phone died.")
        conversation = post.conversation_id
        self.c.accept_offer(post.task)
        self.c.record_outbound(conversation, channel="PUBLIC_SOCIAL", external_id="tw-2",
                               references=["tw-1"], agent_id="agent-ana", body="DM us?")
        routing = self.c.handoff(conversation, to_channel="PRIVATE_SOCIAL",
                                 reason="take personal data", actor="agent-ana")
        self.assertEqual(routing.owner_agent_id, "agent-ana")
        dm = self.c.ingest(channel="PRIVATE_SOCIAL",
                           sender=omniroute.handle("phoneowner", network="x"),
                           external_id="dm-1", body="Order 12345")
        self.assertEqual(dm.conversation_id, conversation)
        self.c.handoff(conversation, to_channel="EMAIL", reason="documents needed",
                       actor="agent-ana")
        self.c.link_identity(post.customer_id, omniroute.email("owner@example.com"),
                             actor="agent-ana")
        self.c.record_outbound(conversation, channel="EMAIL", external_id="<case@brand>",
                               agent_id="agent-ana", body="Send the invoice, please.")
        reply = self.c.ingest(channel="EMAIL", sender=omniroute.email("owner@example.com"),
                              external_id="<r1@example.com>", references=["<case@brand>"],
                              body="Invoice attached.")
        self.assertEqual(reply.conversation_id, conversation)
        self.assertEqual(reply.outcome, proto.THREAD_OUTCOME_JOINED_BY_REFERENCE)

        def describe(entry):
            if entry.WhichOneof("entry") == "handoff":
                h = entry.handoff
                return ("handoff", omniroute.enum_name(proto.Channel, h.to_channel), h.reason)
            m = entry.message
            return (omniroute.enum_name(proto.Direction, m.direction),
                    omniroute.enum_name(proto.Channel, m.channel), m.body)

        entries = self.c.timeline(conversation)
        self.assertEqual([describe(e) for e in entries], [
            ("INBOUND", "PUBLIC_SOCIAL", "My phone died."),
            ("OUTBOUND", "PUBLIC_SOCIAL", "DM us?"),
            ("handoff", "PRIVATE_SOCIAL", "take personal data"),
            ("INBOUND", "PRIVATE_SOCIAL", "Order 12345"),
            ("handoff", "EMAIL", "documents needed"),
            ("OUTBOUND", "EMAIL", "Send the invoice, please."),
            ("INBOUND", "EMAIL", "Invoice attached."),
        ])
        times = [omniroute.to_datetime(e.at) for e in entries]
        self.assertEqual(times, sorted(times))
        self.assertTrue(all(t.tzinfo is not None for t in times))
        c = self.c.get_conversation(conversation)
        self.assertEqual(list(c.channels_used), [proto.CHANNEL_PUBLIC_SOCIAL,
                                                 proto.CHANNEL_PRIVATE_SOCIAL, proto.CHANNEL_EMAIL])
        self.assertTrue(c.began_in_public)


class OfferStreamTest(ServerTest):
    def test_an_offer_is_accepted_through_the_offer_stream(self):
        self.route_to("agent-ana")
        with self.c.offers("agent-ana") as offers:
            r = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                              external_id="<o1@example.com>", body="Help")
            self.assertEqual(r.task.status, proto.TASK_STATUS_OFFERED)

            update = offers.next(timeout=WAIT)
            self.assertEqual(update.kind, omniroute.OFFERED)
            self.assertEqual(update.task.task_id, r.task.task_id)
            self.assertEqual(update.task.conversation_id, r.conversation_id)
            self.assertEqual(update.task.offer.agent_id, "agent-ana")
            self.assertIsNotNone(omniroute.to_datetime(update.task.offer.expires_at))
            self.assertGreater(update.sequence, 0)

            task = self.c.accept_offer(update)
            self.assertEqual(task.status, proto.TASK_STATUS_ASSIGNED)
            self.assertEqual(task.agent_id, "agent-ana")

            assigned = offers.next(timeout=WAIT)
            self.assertEqual(assigned.kind, omniroute.ASSIGNED)
            self.assertEqual(assigned.task.task_id, task.task_id)
            self.assertGreater(assigned.sequence, update.sequence)
            self.assertEqual(list(self.c.get_agent("agent-ana").assigned_task_ids), [task.task_id])

            done = self.c.complete_task(task)
            self.assertEqual(done.status, proto.TASK_STATUS_COMPLETED)
        self.assertTrue(offers.closed)
        with self.assertRaises(StopIteration):
            next(offers)

    def test_an_offer_pending_when_the_stream_opens_comes_first_and_can_be_declined(self):
        self.route_to("agent-ana")
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("b@example.com"),
                          external_id="<o2@example.com>")
        with self.c.offers("agent-ana") as offers:
            pending = offers.next(timeout=WAIT)
            self.assertEqual((pending.kind, pending.task.task_id), (omniroute.OFFERED, r.task.task_id))
            task = self.c.decline_offer(pending, reason="not my area")
            self.assertEqual(task.status, proto.TASK_STATUS_WAITING)
            self.assertIn("agent-ana", task.excluded_agent_ids)
            declined = offers.next(timeout=WAIT)
            self.assertEqual((declined.kind, declined.task.task_id),
                             (omniroute.DECLINED, r.task.task_id))
            # Nothing else is offered to her: the read times out, the stream stays open.
            error = self.assertError(grpc.StatusCode.DEADLINE_EXCEEDED, offers.next, timeout=0.2)
            self.assertEqual(error.method, "StreamOffers")
            self.assertFalse(offers.closed)

    def test_an_unknown_agent_fails_the_stream(self):
        offers = self.c.offers("nobody")
        self.addCleanup(offers.close)
        error = self.assertError(grpc.StatusCode.NOT_FOUND, offers.next, timeout=WAIT)
        self.assertIn("nobody", error.message)


class ChangeFeedTest(ServerTest):
    def ingest(self, n: int, start: int = 0) -> None:
        for i in range(start, start + n):
            self.c.ingest(channel="CHAT", sender=omniroute.email(f"u{i}@example.com"),
                          external_id=f"chat-{i}", body=f"message {i}")

    def read_until(self, events, last: int) -> list:
        out = []
        while not out or out[-1] < last:
            out.append(events.next(timeout=WAIT).sequence)
        return out

    def test_the_change_feed_resumes_from_a_sequence_without_gap_or_repeat(self):
        self.ingest(3)
        seen = []
        # A first reader stops early, as after a disconnect.
        with self.c.watch(from_sequence=1) as events:
            first = events.next(timeout=WAIT)
            self.assertEqual(first.sequence, 1)
            self.assertEqual(first.WhichOneof("payload"), "tenant_configured")
            self.assertEqual(first.tenant_id, self.tenant)
            seen.append(first.sequence)
            for _ in range(3):
                seen.append(events.next(timeout=WAIT).sequence)
        # Meanwhile the tenant moves on.
        self.ingest(3, start=3)
        last = self.c.last_sequence()
        self.assertGreater(last, seen[-1])
        # Resumed from the last sequence received + 1: the stored events, then live ones.
        with self.c.watch(from_sequence=seen[-1] + 1) as events:
            seen.extend(self.read_until(events, last))
            self.ingest(1, start=6)
            live = events.next(timeout=WAIT)
            seen.append(live.sequence)
            self.assertEqual(live.WhichOneof("payload"), "customer_created")
            seen.extend(self.read_until(events, self.c.last_sequence()))
        self.assertEqual(seen, list(range(1, self.c.last_sequence() + 1)))

    def test_watch_from_zero_reads_the_whole_log(self):
        self.ingest(1)
        with self.c.watch(from_sequence=0) as events:
            self.assertEqual(events.next(timeout=WAIT).sequence, 1)

    def test_watch_of_an_unknown_tenant_fails(self):
        events = self.c.for_tenant("no-such-tenant").watch()
        self.addCleanup(events.close)
        error = self.assertError(grpc.StatusCode.NOT_FOUND, events.next, timeout=WAIT)
        self.assertEqual(error.method, "WatchEvents")
        self.assertIn("tenant_id", error.message)


class BadRequestTest(ServerTest):
    def test_bad_requests_raise_omniroute_error_with_the_code_and_the_field(self):
        before = self.c.last_sequence()
        cases = [
            (grpc.StatusCode.INVALID_ARGUMENT, "external_id",
             lambda: self.c.ingest(channel="EMAIL", sender=omniroute.email("a@b.c"),
                                   external_id="", body="x")),
            (grpc.StatusCode.INVALID_ARGUMENT, "sender.value",
             lambda: self.c.ingest(channel="EMAIL", sender=omniroute.email("not an email"),
                                   external_id="<x@y>")),
            (grpc.StatusCode.INVALID_ARGUMENT, "agent.channels",
             lambda: self.c.upsert_agent("agent-ana", channels=[])),
            (grpc.StatusCode.INVALID_ARGUMENT, "task_id",
             lambda: self.c.get_task(0)),
            (grpc.StatusCode.INVALID_ARGUMENT, "actor",
             lambda: self.c.set_conversation_status(1, "RESOLVED", actor=None)),
            (grpc.StatusCode.NOT_FOUND, "conversation",
             lambda: self.c.get_conversation(999)),
            (grpc.StatusCode.NOT_FOUND, "tenant_id",
             lambda: self.c.for_tenant("no-such-tenant").last_sequence()),
            (grpc.StatusCode.ALREADY_EXISTS, "tenant_id",
             lambda: self.c.create_tenant()),
        ]
        for code, field, call in cases:
            with self.subTest(field=field, code=code.name):
                error = self.assertError(code, call)
                self.assertTrue(error.message.startswith(field), error.message)
                self.assertIsNotNone(error.method)
                self.assertIn(code.name, str(error))
        # Nothing was half-applied.
        self.assertEqual(self.c.last_sequence(), before)

    def test_accepting_an_offer_that_is_not_open_is_a_failed_precondition(self):
        self.route_to("agent-ana", "agent-ben")
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("c@example.com"),
                          external_id="<o3@example.com>")
        offered_to = r.task.offer.agent_id
        other = "agent-ben" if offered_to == "agent-ana" else "agent-ana"
        self.assertError(grpc.StatusCode.FAILED_PRECONDITION, self.c.accept_offer,
                         r.task.task_id, other)
        self.assertEqual(self.c.accept_offer(r.task).agent_id, offered_to)
        self.assertError(grpc.StatusCode.FAILED_PRECONDITION, self.c.accept_offer, r.task)

    def test_arguments_the_client_cannot_convert_are_invalid_arguments_too(self):
        cases = [
            ("channel", lambda: self.c.ingest(channel="FAX", sender=omniroute.email("a@b.c"),
                                              external_id="x")),
            ("channels[1]", lambda: self.c.upsert_agent("a", channels=["EMAIL", "PIGEON"])),
            ("sender", lambda: self.c.ingest(channel="EMAIL", sender="a@b.c", external_id="x")),
            ("customer_id", lambda: self.c.get_customer("7")),
            ("due_at", lambda: self.c.record_commitment(1, kind="CALLBACK", due_at="tomorrow",
                                                        actor="a")),
            ("target", lambda: self.c.transfer_task(1, actor="a")),
            ("queue_ids", lambda: self.c.queue_statistics(7)),
            ("queue_ids[1]", lambda: self.c.queue_statistics(["care", 7])),
            ("agent_id", lambda: self.c.agent_statistics(7)),
            ("interval", lambda: self.c.watch_queue_statistics(interval="soon")),
            ("queue_ids[0]", lambda: self.c.watch_queue_statistics([b"care"])),
            ("from_time", lambda: self.c.interval_report("yesterday", time.time())),
            ("from_time", lambda: self.c.interval_report(None, time.time())),
            ("to_time", lambda: self.c.interval_report(time.time(), "2026-12-07T09:00:00")),
            ("to_time", lambda: self.c.interval_report(time.time(), "2026-12-07T25:00:00Z")),
            ("to_time", lambda: self.c.interval_report(time.time(), [2026, 12, 7])),
        ]
        before = self.c.last_sequence()
        for field, call in cases:
            with self.subTest(field=field):
                error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, call)
                self.assertTrue(error.message.startswith(field), error.message)
                self.assertIsNone(error.method)
        self.assertEqual(self.c.last_sequence(), before)


class ConfigurationTest(ServerTest):
    def test_tenant_settings_are_taken_from_keyword_arguments(self):
        t = self.c.for_tenant(self.tenant + "-fr")
        t.create_tenant(default_country_code="33",
                        continuity_windows={"EMAIL": dt.timedelta(hours=6)},
                        first_response_targets={"PUBLIC_SOCIAL": 3600})
        r = t.ingest(channel="SMS", sender=omniroute.phone("06 12 34 56 78"), external_id="s1")
        self.assertEqual(t.find_customer(omniroute.phone("+33612345678")).customer_id,
                         r.customer_id)
        post = t.ingest(channel="PUBLIC_SOCIAL", sender=omniroute.handle("a", network="x"),
                        external_id="p1")
        c = t.get_conversation(post.conversation_id)
        self.assertEqual(omniroute.to_datetime(c.first_response_due)
                         - omniroute.to_datetime(c.opened_at), dt.timedelta(hours=1))

    def test_queues_agents_and_routing_round_trip(self):
        self.c.upsert_queue("all", channels=["VOICE", "CHAT"], display_name="Everyone")
        self.c.upsert_queue("vip", channels=["VOICE", "CHAT"], required_skills={"billing": 5},
                            base_priority=10, strategy="best_skill_level",
                            offer_timeout=dt.timedelta(seconds=20),
                            expansion_steps=[omniroute.relax_levels(60, 2),
                                             omniroute.overflow(dt.timedelta(minutes=5), "all")])
        self.c.configure_routing(
            rules=[omniroute.rule("vip", name="vip-voice", channels="VOICE", min_tier=2)],
            default_queue_id="all", tier_points=5, max_consecutive_expiries=0,
            preferred_agent_waits={"CHAT": 30}, aging_per_point=dt.timedelta(seconds=10))
        self.c.upsert_agent("agent-ana", channels=["VOICE", "CHAT"], skills={"billing": 7},
                            capacity=6, channel_costs={"CHAT": 3}, exclusive_channels=[],
                            wrap_up=15, display_name="Ana")

        q = self.c.get_queue("vip")
        self.assertEqual([(s.skill, s.level) for s in q.required_skills], [("billing", 5)])
        self.assertEqual(q.strategy, proto.SELECTION_STRATEGY_BEST_SKILL_LEVEL)
        self.assertEqual(q.offer_timeout.ToTimedelta(), dt.timedelta(seconds=20))
        self.assertEqual([s.WhichOneof("action") for s in q.expansion_steps],
                         ["relax_levels", "overflow_queue_id"])
        settings = self.c.get_routing_settings()
        self.assertEqual([(r.name, r.queue_id, r.min_tier) for r in settings.rules],
                         [("vip-voice", "vip", 2)])
        self.assertEqual((settings.default_queue_id, settings.tier_points), ("all", 5))
        waits = {w.channel: w.wait.ToTimedelta() for w in settings.preferred_agent_waits}
        self.assertEqual(waits[proto.CHANNEL_CHAT], dt.timedelta(seconds=30))
        agent = self.c.get_agent("agent-ana")
        self.assertEqual(agent.presence, proto.AGENT_PRESENCE_OFFLINE)
        self.assertEqual(agent.config.capacity, 6)
        self.assertEqual(list(agent.config.exclusive_channels), [proto.CHANNEL_UNSPECIFIED])
        self.assertEqual(omniroute.to_timedelta(agent.config.wrap_up), dt.timedelta(seconds=15))
        self.assertEqual(self.c.queue_stats("all").waiting, 0)

    def test_transfer_abandon_split_and_merge(self):
        self.route_to("agent-ana", "agent-ben", channels=("CHAT", "EMAIL"))
        self.c.upsert_queue("second-line", channels=["CHAT", "EMAIL"])
        chat = self.c.ingest(channel="CHAT", sender=omniroute.email("d@example.com"),
                             external_id="c1", body="one")
        task = self.c.accept_offer(chat.task)
        moved = self.c.transfer_task(task, queue_id="second-line", actor=task.agent_id)
        self.assertEqual(moved.reason, proto.TASK_REASON_TRANSFER)
        self.assertEqual(moved.previous_task_id, task.task_id)
        self.assertEqual(self.c.conversation_routing(chat.conversation_id).transfers, 1)
        self.assertEqual(self.c.abandon_task(moved).status, proto.TASK_STATUS_CANCELLED)

        second = self.c.ingest(channel="CHAT", sender=omniroute.email("d@example.com"),
                               external_id="c2", body="two")
        self.assertEqual(second.conversation_id, chat.conversation_id)
        split = self.c.split_conversation(chat.conversation_id, [second.message_id],
                                          actor="agent-ana")
        self.assertNotEqual(split, chat.conversation_id)
        self.assertEqual([e.message.message_id for e in self.c.timeline(split)],
                         [second.message_id])
        self.c.merge_conversations(chat.conversation_id, split, actor=omniroute.system())
        self.assertEqual(self.c.get_conversation(split).merged_into_conversation_id,
                         chat.conversation_id)
        self.c.set_conversation_status(chat.conversation_id, "closed", actor="agent-ana")
        self.assertEqual(self.c.get_conversation(chat.conversation_id).status,
                         proto.CONVERSATION_STATUS_CLOSED)


class CommitmentTest(ServerTest):
    def test_a_commitment_is_recorded_and_fulfilled(self):
        self.route_to("agent-ana", channels=("VOICE",))
        r = self.c.ingest(channel="VOICE", sender=omniroute.phone("+33612345678"),
                          external_id="call-1", thread_key="call-1")
        due = dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=2)
        c = self.c.record_commitment(r.conversation_id, kind="CALLBACK", due_at=due,
                                     description="call back with the lab results",
                                     actor="agent-ana", agent_id="agent-ana")
        self.assertEqual(c.status, proto.COMMITMENT_STATUS_PENDING)
        self.assertEqual(c.channel, proto.CHANNEL_VOICE)
        self.assertEqual(omniroute.to_datetime(c.due_at).replace(microsecond=0),
                         due.replace(microsecond=0))
        self.assertEqual(omniroute.to_datetime(c.deadline) - omniroute.to_datetime(c.due_at),
                         dt.timedelta(hours=1))
        self.assertEqual([x.commitment_id for x in self.c.list_commitments(r.conversation_id)],
                         [c.commitment_id])
        closed = self.c.close_commitment(c.commitment_id, actor="agent-ana")
        self.assertEqual(closed.status, proto.COMMITMENT_STATUS_FULFILLED)
        self.assertEqual(self.c.run_due_timers(), 0)


class StatisticsTest(ServerTest):
    """Queue and agent statistics, and the wait estimate of a waiting task."""

    def queues_without_agents(self) -> None:
        """Queues "care" (the default: email waits there) and "sales", nobody to serve them."""
        self.c.upsert_queue("care", channels=["EMAIL", "CHAT"])
        self.c.upsert_queue("sales", channels=["EMAIL"])
        self.c.configure_routing(default_queue_id="care")

    def email(self, n: int):
        return self.c.ingest(channel="EMAIL", sender=omniroute.email(f"waiting{n}@example.com"),
                             external_id=f"<w{n}@example.com>", body="Anyone there?")

    def update_where(self, updates, what: str, predicate):
        """The first update ``predicate`` holds for, read within WAIT seconds."""
        deadline = time.monotonic() + WAIT
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                self.fail(f"no update with {what} within {WAIT} s")
            try:
                update = updates.next(timeout=left)
            except omniroute.OmnirouteError as error:
                if error.code != grpc.StatusCode.DEADLINE_EXCEEDED:
                    raise
                self.fail(f"no update with {what} within {WAIT} s")
            if predicate(update):
                return update

    def test_queue_statistics_count_a_waiting_email(self):
        self.queues_without_agents()
        r = self.email(1)
        self.assertEqual((r.task.status, r.task.queue_id), (proto.TASK_STATUS_WAITING, "care"))

        every = self.c.queue_statistics()
        self.assertIsInstance(every, proto.GetQueueStatisticsResponse)
        self.assertEqual([q.queue_id for q in every.queues], ["care", "sales"])
        self.assertIsNotNone(omniroute.to_datetime(every.at))
        care = every.queues[0]
        self.assertEqual((care.waiting, care.offered, care.assigned), (1, 0, 0))
        self.assertEqual(care.last_15_minutes.offered, 1)
        self.assertEqual(care.last_60_minutes.offered, 1)
        self.assertEqual(omniroute.to_timedelta(care.last_15_minutes.window),
                         dt.timedelta(minutes=15))
        self.assertEqual([(c.channel, c.waiting) for c in care.channels],
                         [(proto.CHANNEL_EMAIL, 1), (proto.CHANNEL_CHAT, 0)])
        self.assertEqual(every.queues[1].waiting, 0)

        # One queue by its id, or several in the order asked for.
        self.assertEqual([q.queue_id for q in self.c.queue_statistics("sales").queues], ["sales"])
        both = self.c.queue_statistics(["sales", "care"])
        self.assertEqual([(q.queue_id, q.waiting) for q in both.queues],
                         [("sales", 0), ("care", 1)])

    def test_an_unknown_queue_is_not_found_naming_its_place_in_queue_ids(self):
        self.queues_without_agents()
        error = self.assertError(grpc.StatusCode.NOT_FOUND, self.c.queue_statistics, "nope")
        self.assertTrue(error.message.startswith("queue_ids[0]"), error.message)
        self.assertEqual(error.method, "GetQueueStatistics")
        error = self.assertError(grpc.StatusCode.NOT_FOUND, self.c.queue_statistics,
                                 ["care", "nope"])
        self.assertTrue(error.message.startswith("queue_ids[1]"), error.message)

    def test_a_waiting_task_has_its_position_in_the_queue(self):
        self.queues_without_agents()
        first = self.email(1)
        second = self.email(2)
        self.assertNotEqual(first.task.task_id, second.task.task_id)
        self.assertEqual(self.c.get_task(first.task.task_id).wait_estimate.position, 1)
        self.assertEqual(self.c.get_task(second.task).wait_estimate.position, 2)

    def test_agent_statistics_of_an_agent(self):
        self.c.upsert_agent("agent-ana", channels=["EMAIL"])
        self.c.set_presence("agent-ana", "AVAILABLE")
        stats = self.c.agent_statistics("agent-ana")
        self.assertIsInstance(stats, proto.AgentStatistics)
        self.assertEqual(stats.agent_id, "agent-ana")
        self.assertEqual(stats.presence, proto.AGENT_PRESENCE_AVAILABLE)
        self.assertEqual(stats.handled, 0)
        self.assertEqual(omniroute.to_timedelta(stats.window), dt.timedelta(hours=1))
        self.assertIsNotNone(omniroute.to_datetime(stats.at))

        error = self.assertError(grpc.StatusCode.NOT_FOUND, self.c.agent_statistics, "nobody")
        self.assertTrue(error.message.startswith("agent_id"), error.message)
        self.assertIn("nobody", error.message)
        self.assertEqual(error.method, "GetAgentStatistics")

    def test_watch_queue_statistics_sends_every_queue_then_the_changes(self):
        self.queues_without_agents()
        updates = self.c.watch_queue_statistics(interval=0.1)
        self.addCleanup(updates.close)
        self.assertEqual(updates.method, "WatchQueueStatistics")
        first = updates.next(timeout=WAIT)
        self.assertEqual([(q.queue_id, q.waiting) for q in first.queues],
                         [("care", 0), ("sales", 0)])
        self.assertIsNotNone(omniroute.to_datetime(first.at))

        self.email(1)
        changed = self.update_where(
            updates, "care waiting 1",
            lambda u: any(q.queue_id == "care" and q.waiting == 1 for q in u.queues))
        care = next(q for q in changed.queues if q.queue_id == "care")
        self.assertEqual(care.last_15_minutes.offered, 1)
        # Only the queues whose figures changed: "sales" did not.
        self.assertNotIn("sales", [q.queue_id for q in changed.queues])

        # Closing cancels the call and ends the iteration.
        updates.close()
        self.assertTrue(updates.closed)
        self.assertEqual(list(updates), [])
        with self.assertRaises(StopIteration):
            updates.next(timeout=WAIT)

    def test_watch_queue_statistics_of_some_queues(self):
        self.queues_without_agents()
        with self.c.watch_queue_statistics("sales", interval=dt.timedelta(milliseconds=100)) as s:
            self.assertEqual([q.queue_id for q in s.next(timeout=WAIT).queues], ["sales"])
        self.assertTrue(s.closed)

    def test_watch_queue_statistics_refuses_a_bad_interval_or_an_unknown_queue(self):
        self.queues_without_agents()
        for interval in (0.01, dt.timedelta(milliseconds=10), dt.timedelta(minutes=2)):
            with self.subTest(interval=interval):
                updates = self.c.watch_queue_statistics(interval=interval)
                self.addCleanup(updates.close)
                error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, updates.next,
                                         timeout=WAIT)
                self.assertTrue(error.message.startswith("interval"), error.message)
                self.assertEqual(error.method, "WatchQueueStatistics")
        updates = self.c.watch_queue_statistics(["nope"])
        self.addCleanup(updates.close)
        error = self.assertError(grpc.StatusCode.NOT_FOUND, updates.next, timeout=WAIT)
        self.assertTrue(error.message.startswith("queue_ids[0]"), error.message)


class IntervalReportTest(ServerTest):
    """The interval report: queue figures per 15 minutes, queue and channel."""

    def test_an_ingested_email_is_offered_in_its_interval(self):
        self.route_to()  # queue "care", the default, nobody to answer
        before = dt.datetime.now(dt.timezone.utc)
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("report@example.com"),
                          external_id="<r1@example.com>", body="How much?")
        after = dt.datetime.now(dt.timezone.utc)
        self.assertEqual(r.task.queue_id, "care")

        report = self.c.interval_report(before - dt.timedelta(hours=1),
                                        after + dt.timedelta(hours=1))
        self.assertIsInstance(report, proto.IntervalReport)
        self.assertEqual(len(report.rows), 1, report)
        row = report.rows[0]
        self.assertEqual((row.queue_id, row.channel, row.offered, row.answered),
                         ("care", proto.CHANNEL_EMAIL, 1, 0))
        # Nothing answered or abandoned: nothing to average or divide.
        for field in ("average_speed_of_answer", "service_level", "average_handle_time",
                      "same_agent_rate"):
            self.assertFalse(row.HasField(field), field)
        # The interval holding the email: a quarter hour of UTC.
        start = omniroute.to_datetime(row.start)
        self.assertEqual((start.minute % 15, start.second), (0, 0))
        self.assertLessEqual(start, after)
        self.assertGreater(start + dt.timedelta(minutes=15), before)
        # The span widened to whole intervals.
        widened_from = omniroute.to_datetime(getattr(report, "from"))
        self.assertEqual((widened_from.minute % 15, widened_from.second), (0, 0))
        self.assertLessEqual(widened_from, before - dt.timedelta(hours=1))
        self.assertGreater(report.events_read, 0)

        # RFC 3339 strings, and epoch seconds, say the same.
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        again = self.c.interval_report((before - dt.timedelta(hours=1)).strftime(fmt),
                                       (after + dt.timedelta(hours=1)).timestamp())
        self.assertEqual([(x.queue_id, x.offered) for x in again.rows], [("care", 1)])

        # A span before the email: no rows.
        empty = self.c.interval_report(before - dt.timedelta(hours=3),
                                       before - dt.timedelta(hours=2))
        self.assertEqual(list(empty.rows), [])

    def test_to_before_from_is_the_servers_invalid_argument_naming_to(self):
        now = dt.datetime.now(dt.timezone.utc)
        error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, self.c.interval_report,
                                 now, now - dt.timedelta(hours=1))
        self.assertTrue(error.message.startswith("to"), error.message)
        self.assertEqual(error.method, "GetIntervalReport")
        # Longer than 31 days, too.
        error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, self.c.interval_report,
                                 now - dt.timedelta(days=40), now)
        self.assertTrue(error.message.startswith("to"), error.message)


class PagingTest(ServerTest):
    """Timelines and conversation lists read a page at a time."""

    def emails(self, client, n, address="owner@example.com"):
        """n emails of one customer, in one conversation: (conversation id, message ids)."""
        ids = []
        conversation = None
        for i in range(n):
            r = client.ingest(channel="EMAIL", sender=omniroute.email(address),
                              external_id=f"<p{i}.{address}>", body=f"email {i}")
            self.assertFalse(r.duplicate, f"email {i}")
            if conversation is None:
                conversation = r.conversation_id
            self.assertEqual(r.conversation_id, conversation, f"email {i}")
            ids.append(r.message_id)
        return conversation, ids

    def conversations(self, client, n, address="buyer@example.com"):
        """A customer with n conversations, each closed before the next opens."""
        ids = []
        customer = None
        for i in range(n):
            r = client.ingest(channel="EMAIL", sender=omniroute.email(address),
                              external_id=f"<c{i}.{address}>", body=f"problem {i}")
            self.assertEqual(r.outcome, proto.THREAD_OUTCOME_OPENED, f"email {i}")
            customer = customer or r.customer_id
            ids.append(r.conversation_id)
            client.set_conversation_status(r.conversation_id, "CLOSED", actor="agent-ana")
        return customer, ids

    def test_a_timeline_read_page_after_page_has_every_entry_once_in_order(self):
        conversation, ids = self.emails(self.c, 23)
        read, pages, token = [], 0, ""
        while True:
            entries, token = self.c.timeline_page(conversation, page_size=5, page_token=token)
            pages += 1
            self.assertLessEqual(len(entries), 5)
            read += [e.message.message_id for e in entries]
            if not token:
                break
            self.assertLess(pages, 50, "the pages never end")
        self.assertEqual(read, ids)
        self.assertIn(pages, (5, 6))  # 23 entries in pages of 5 (an empty last page allowed)
        # timeline() follows the pages by itself.
        whole = self.c.timeline(conversation)
        self.assertEqual([e.message.message_id for e in whole], ids)
        self.assertEqual([e.message.body for e in whole], [f"email {i}" for i in range(23)])

        page = self.c.timeline_page(conversation, page_size=1000)
        self.assertIsInstance(page, omniroute.Page)
        self.assertEqual([e.message.message_id for e in page.items], ids)
        self.assertEqual(page.next_page_token, "")

    def test_a_customers_conversations_read_page_after_page_are_each_there_once(self):
        customer, ids = self.conversations(self.c, 7)
        self.c.ingest(channel="EMAIL", sender=omniroute.email("someone.else@example.com"),
                      external_id="<other@example.com>")
        read, token = [], ""
        for _ in range(50):
            page = self.c.list_conversations_page(customer, page_size=3, page_token=token)
            self.assertLessEqual(len(page.items), 3)
            read += [c.conversation_id for c in page.items]
            token = page.next_page_token
            if not token:
                break
        self.assertEqual(read, sorted(ids))
        self.assertEqual([c.conversation_id for c in self.c.list_conversations(customer)],
                         sorted(ids))

    def test_a_page_size_out_of_range_or_a_token_of_another_list_is_refused(self):
        conversation, _ = self.emails(self.c, 4)
        elsewhere, _ = self.emails(self.c, 1, address="someone.else@example.com")
        customer, _ = self.conversations(self.c, 3)
        other = self.c.for_tenant(self.tenant + "-b")
        other.create_tenant()
        # The same ids in another tenant.
        other_conversation, _ = self.emails(other, 4)
        self.emails(other, 1, address="someone.else@example.com")
        other_customer, _ = self.conversations(other, 3)
        self.assertEqual((other_conversation, other_customer), (conversation, customer))

        token = self.c.timeline_page(conversation, page_size=2).next_page_token
        self.assertNotEqual(token, "")
        list_token = self.c.list_conversations_page(customer, page_size=1).next_page_token
        self.assertNotEqual(list_token, "")
        cases = [
            ("page_size", lambda: self.c.timeline_page(conversation, page_size=-1)),
            ("page_size", lambda: self.c.timeline_page(conversation, page_size=1001)),
            ("page_size", lambda: self.c.list_conversations_page(customer, page_size=1001)),
            ("page_token", lambda: self.c.timeline_page(conversation, page_token="forged")),
            ("page_token", lambda: self.c.timeline_page(elsewhere, page_token=token)),
            ("page_token", lambda: other.timeline_page(other_conversation, page_token=token)),
            ("page_token", lambda: self.c.timeline_page(conversation, page_token=list_token)),
            ("page_token", lambda: self.c.list_conversations_page(customer, page_token="forged")),
            ("page_token", lambda: self.c.list_conversations_page(customer, page_token=token)),
            ("page_token",
             lambda: other.list_conversations_page(other_customer, page_token=list_token)),
        ]
        for i, (field, call) in enumerate(cases):
            with self.subTest(case=i, field=field):
                error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, call)
                self.assertIn(field, error.message)
                self.assertIsNotNone(error.method)
        # Arguments of the wrong type never reach the server.
        error = self.assertError(grpc.StatusCode.INVALID_ARGUMENT, self.c.timeline_page,
                                 conversation, page_size="5")
        self.assertTrue(error.message.startswith("page_size"), error.message)
        self.assertIsNone(error.method)


if __name__ == "__main__":
    unittest.main()
