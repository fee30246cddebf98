"""Several addresses and retries, against real omniroute-servers.

    /usr/bin/python3 -m unittest discover -s bindings/python/tests -p 'test_failover.py' -v

- an address that refuses connections, then a live server;
- a proxy that drops the connection after the server handled a call (its
  outcome unknown to the client) or under a stream;
- a cluster of two nodes (tools/cluster.sh: PostgreSQL 15 and two
  omniroute-server nodes): with --forward=false, a client given the
  non-owner's address only follows the owner hint; the change feed across
  the owner killed with SIGKILL, with and without forwarding. Skipped without
  PostgreSQL 15 ($PG_BIN, default /usr/lib/postgresql/15/bin).

The server binary is $OMNIROUTE_SERVER, default build/dev/tools/omniroute-server.
"""

from __future__ import annotations

import itertools
import os
import sys
import time
import unittest
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import omniroute  # noqa: E402
from omniroute import proto  # noqa: E402
from omniroute._gen_import import service_pb2, service_pb2_grpc  # noqa: E402
from omniroute.testing import Server  # noqa: E402

from _faults import (Cluster, DroppingProxy, missing_unix_socket, refused_address,  # noqa: E402
                     wait_for)

WAIT = 10.0
_names = itertools.count(1)


def tenant_name(prefix: str) -> str:
    return f"{prefix}-{os.getpid()}-{next(_names)}"


def read_through(events: omniroute.Stream, last: int, timeout: float) -> list:
    """The events up to and including sequence ``last``, read within ``timeout``."""
    got = []
    deadline = time.monotonic() + timeout
    while not got or got[-1].sequence < last:
        left = deadline - time.monotonic()
        if left <= 0:
            raise AssertionError(f"the stream reached sequence {got[-1].sequence if got else 0}, "
                                 f"not {last}, within {timeout} s")
        got.append(events.next(timeout=left))
    return got


class AddressListTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def test_addresses_are_a_list_or_a_string_with_commas(self):
        a, b = refused_address(), self.server.address
        for target in ([a, b], (a, b), f"{a}, {b}", f"{a},{b},{a}"):
            with omniroute.Client(target) as c:
                self.assertEqual(c.addresses, (a, b))
                self.assertEqual(c.target, f"{a},{b}")
        with self.assertRaises(ValueError):
            omniroute.Client([])
        with self.assertRaises(ValueError):
            omniroute.Client(" , ")
        with self.assertRaises(TypeError):
            omniroute.Client([a, 5])
        with self.assertRaises(TypeError):
            omniroute.Client(a, retry="often")
        with self.assertRaises(ValueError):
            omniroute.RetryPolicy(initial_backoff=0)

    def test_calls_skip_addresses_that_refuse_connections(self):
        tenant = tenant_name("refused")
        target = [refused_address(), missing_unix_socket(), self.server.address]
        with omniroute.Client(target, tenant=tenant, timeout=WAIT) as c:
            c.create_tenant()  # not idempotent: retried because nothing was sent
            r = c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                         external_id="<m1@example.com>", body="Hello")
            self.assertFalse(r.duplicate)
            self.assertEqual(c.link_identity(r.customer_id, omniroute.email("b@example.com"),
                                             actor="agent-ana").customer_id, r.customer_id)
            self.assertEqual(c.ping(b"x"), b"x")
            with c.watch(from_sequence=1) as events:
                got = read_through(events, c.last_sequence(), WAIT)
                self.assertEqual([e.sequence for e in got], list(range(1, len(got) + 1)))
                self.assertEqual(events.address, self.server.address)
            # A client for another tenant starts where the connection works.
            other = c.for_tenant(tenant_name("refused-b"))
            other.create_tenant()
            self.assertEqual(other.last_sequence(), 1)

    def test_wait_ready_waits_for_any_address(self):
        with omniroute.Client([refused_address(), self.server.address]) as c:
            c.wait_ready(timeout=WAIT)
            self.assertEqual(c.ping(b"y"), b"y")
        with omniroute.Client([refused_address(), missing_unix_socket()]) as c:
            with self.assertRaises(omniroute.OmnirouteError) as caught:
                c.wait_ready(timeout=0.3)
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)

    def test_without_retries_the_first_address_fails_the_call(self):
        with omniroute.Client([refused_address(), self.server.address], retry=None) as c:
            with self.assertRaises(omniroute.OmnirouteError) as caught:
                c.ping()
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            self.assertFalse(caught.exception.outcome_unknown)

    def test_retries_end_within_the_timeout(self):
        policy = omniroute.RetryPolicy(initial_backoff=0.01, max_backoff=0.05)
        with omniroute.Client([refused_address(), missing_unix_socket()], tenant="t",
                              timeout=0.5, retry=policy) as c:
            start = time.monotonic()
            with self.assertRaises(omniroute.OmnirouteError) as caught:
                c.last_sequence()
            self.assertLess(time.monotonic() - start, 2.0)
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            self.assertIn("gave up after", caught.exception.message)


class DroppedConnectionTest(unittest.TestCase):
    """The connection drops after the server handled the call: the outcome is
    unknown to the client. Safe calls are retried; the others raise."""

    @classmethod
    def setUpClass(cls) -> None:
        cls.server = Server().start()

    @classmethod
    def tearDownClass(cls) -> None:
        cls.server.stop()

    def setUp(self) -> None:
        self.proxy = DroppingProxy(self.server.address)
        self.addCleanup(self.proxy.close)
        self.tenant = tenant_name("drop")
        self.c = omniroute.Client(self.proxy.address, tenant=self.tenant, timeout=WAIT)
        self.addCleanup(self.c.close)
        self.c.create_tenant()

    def test_an_ingest_is_retried_and_stored_once(self):
        self.proxy.drop_next_answer()
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                          external_id="<m1@example.com>", body="Hello")
        self.assertEqual(self.proxy.dropped, 1)
        self.assertTrue(r.duplicate, "the dropped attempt stored it; the retry found it")
        self.assertEqual(self.c.get_conversation(r.conversation_id).message_count, 1)

    def test_a_link_whose_answer_was_lost_is_not_repeated(self):
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                          external_id="<m1@example.com>", body="Hello")
        self.proxy.drop_next_answer()
        with self.assertRaises(omniroute.OmnirouteError) as caught:
            self.c.link_identity(r.customer_id, omniroute.email("b@example.com"),
                                 actor="agent-ana")
        self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
        self.assertTrue(caught.exception.outcome_unknown)
        self.assertIn("may have been applied", str(caught.exception))
        # It was applied, once.
        self.assertEqual(self.c.find_customer(omniroute.email("b@example.com")).customer_id,
                         r.customer_id)

    def test_a_commitment_whose_answer_was_lost_is_recorded_once(self):
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                          external_id="<m1@example.com>", body="Call me back")
        self.proxy.drop_next_answer()
        with self.assertRaises(omniroute.OmnirouteError) as caught:
            self.c.record_commitment(r.conversation_id, kind="CALLBACK",
                                     due_at=time.time() + 3600, actor="agent-ana")
        self.assertTrue(caught.exception.outcome_unknown)
        self.assertEqual(len(self.c.list_commitments(r.conversation_id)), 1)

    def test_an_answer_with_an_external_id_is_retried_and_its_id_found(self):
        r = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                          external_id="<m1@example.com>", body="Hello")
        self.proxy.drop_next_answer()
        message_id = self.c.record_outbound(r.conversation_id, channel="EMAIL",
                                            external_id="<a1@brand.example>", body="Hi")
        self.assertEqual(self.proxy.dropped, 1)
        outbound = [e.message for e in self.c.timeline(r.conversation_id)
                    if e.message.direction == proto.DIRECTION_OUTBOUND]
        self.assertEqual([m.message_id for m in outbound], [message_id])
        # Without the drop, a second copy is still refused.
        with self.assertRaises(omniroute.OmnirouteError) as caught:
            self.c.record_outbound(r.conversation_id, channel="EMAIL",
                                   external_id="<a1@brand.example>", body="Hi")
        self.assertEqual(caught.exception.code, grpc.StatusCode.ALREADY_EXISTS)
        self.assertFalse(caught.exception.outcome_unknown)

    def test_the_change_feed_resumes_after_a_drop_without_gap_or_repeat(self):
        sender = omniroute.email("a@example.com")
        with self.c.watch(from_sequence=1) as events:
            for i in range(3):
                self.c.ingest(channel="EMAIL", sender=sender, external_id=f"<a{i}@x>", body="a")
            got = read_through(events, self.c.last_sequence(), WAIT)
            self.proxy.drop_connections()
            for i in range(3):
                self.c.ingest(channel="EMAIL", sender=sender, external_id=f"<b{i}@x>", body="b")
            got += read_through(events, self.c.last_sequence(), WAIT)
            self.assertGreaterEqual(events.reconnects, 1)
        self.assertEqual([e.sequence for e in got], list(range(1, len(got) + 1)))

    def test_the_offer_stream_subscribes_again_without_repeating_an_open_offer(self):
        self.c.upsert_queue("care", channels=["EMAIL"])
        self.c.configure_routing(default_queue_id="care")
        self.c.upsert_agent("ana", channels=["EMAIL"])
        self.c.set_presence("ana", "AVAILABLE")
        with self.c.offers("ana") as offers:
            first = self.c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                                  external_id="<m1@x>", body="one")
            update = offers.next(timeout=WAIT)
            self.assertEqual((update.kind, update.task.task_id),
                             (omniroute.OFFERED, first.task.task_id))
            self.proxy.drop_connections()
            wait_for(lambda: offers.reconnects >= 1, WAIT, "the offer stream reconnects")
            # The first offer is still open: the new subscription sends it
            # among the pending ones, and the stream drops it.
            second = self.c.ingest(channel="EMAIL", sender=omniroute.email("b@example.com"),
                                   external_id="<m2@x>", body="two")
            seen = []
            while not any(u.kind == omniroute.OFFERED and u.task.task_id == second.task.task_id
                          for u in seen):
                seen.append(offers.next(timeout=WAIT))
        self.assertNotIn((omniroute.OFFERED, first.task.task_id),
                         [(u.kind, u.task.task_id) for u in seen])
        self.assertEqual(self.c.accept_offer(update).status, proto.TASK_STATUS_ASSIGNED)


def _postgres_missing() -> str:
    pg_bin = os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin")
    if not os.access(os.path.join(pg_bin, "initdb"), os.X_OK):
        return f"no PostgreSQL 15 in {pg_bin} (set PG_BIN)"
    return ""


class _ClusterCase(unittest.TestCase):
    """Two nodes on one PostgreSQL, lease 1 s. Each test stays well under 60 s."""

    forward = False

    def setUp(self) -> None:
        missing = _postgres_missing()
        if missing:
            self.fail(missing + ": the cluster tests need it (bash tools/install-deps.sh)")
        self.started = time.monotonic()
        args = [] if self.forward else ["--forward=false"]
        self.cluster = Cluster(nodes=2, lease_ms=1000, server_args=args)
        self.addCleanup(self.cluster.stop)
        self.all = list(self.cluster.addresses.values())

    def tearDown(self) -> None:
        self.assertLess(time.monotonic() - self.started, 60.0)

    def owner(self, tenant: str) -> str:
        """The address of the node that serves ``tenant`` once both nodes agree."""
        if self.forward:
            return wait_for(lambda: self.holder(tenant), 20, f"one node holds {tenant}")

        def agreed():
            answers = {}
            for address in self.all:
                with omniroute.Client(address, tenant=tenant, retry=None, timeout=2) as c:
                    try:
                        c.last_sequence()
                        answers[address] = "serves"
                    except omniroute.OmnirouteError as e:
                        answers[address] = e.message
            serving = [a for a, answer in answers.items() if answer == "serves"]
            if len(serving) != 1:
                return None
            others = [answer for a, answer in answers.items() if a != serving[0]]
            return serving[0] if all(serving[0] in answer for answer in others) else None
        return wait_for(agreed, 20, f"one node serves {tenant} and the other names it")

    def holder(self, tenant: str):
        """The address of the one node that holds ``tenant`` (GetNodeStatus), or None."""
        holders = []
        for address in self.all:
            with omniroute.Client(address, retry=None, timeout=2) as c:
                stub = service_pb2_grpc.DiagnosticsServiceStub(c.channel)
                status = stub.GetNodeStatus(service_pb2.GetNodeStatusRequest(), timeout=2)
                if tenant in status.held_tenant_ids:
                    holders.append(address)
        return holders[0] if len(holders) == 1 else None


class ClusterTest(_ClusterCase):
    """Nodes that do not forward calls: the client follows the owner hints itself."""

    def test_a_client_given_only_the_non_owner_follows_the_owner_hint(self):
        tenant = tenant_name("hint")
        with omniroute.Client(self.all, tenant=tenant, timeout=20) as c:
            c.create_tenant()
        owner = self.owner(tenant)
        other = next(a for a in self.all if a != owner)

        # Without retries the non-owner refuses, naming the owner.
        with omniroute.Client(other, tenant=tenant, retry=None) as plain:
            with self.assertRaises(omniroute.OmnirouteError) as caught:
                plain.last_sequence()
            self.assertEqual(caught.exception.code, grpc.StatusCode.UNAVAILABLE)
            self.assertIn(owner, caught.exception.message)

        with omniroute.Client(other, tenant=tenant, timeout=20) as c:
            r = c.ingest(channel="EMAIL", sender=omniroute.email("a@example.com"),
                         external_id="<m1@x>", body="Hello")
            # Not idempotent, refused with the hint before being applied:
            # retried on the owner, recorded once.
            c.record_commitment(r.conversation_id, kind="CALLBACK",
                                due_at=time.time() + 3600, actor="agent-ana")
            self.assertEqual(len(c.list_commitments(r.conversation_id)), 1)
            with c.watch(from_sequence=1) as events:
                got = read_through(events, c.last_sequence(), WAIT)
                self.assertEqual(events.address, owner)
            self.assertEqual([e.sequence for e in got], list(range(1, len(got) + 1)))

        # A fresh client whose first call is a stream finds the owner too.
        with omniroute.Client(other, tenant=tenant, timeout=20) as c:
            with c.watch(from_sequence=1) as events:
                self.assertEqual(events.next(timeout=WAIT).sequence, 1)
                self.assertEqual(events.address, owner)

        # Tenants created through one node land where they are placed.
        names = [tenant_name("placed") for _ in range(4)]
        with omniroute.Client(other, timeout=20) as c:
            for name in names:
                c.for_tenant(name).create_tenant()
                self.assertEqual(c.for_tenant(name).last_sequence(), 1)

    def test_the_change_feed_resumes_on_the_other_node_after_a_kill(self):
        tenant = tenant_name("kill")
        sender = omniroute.email("a@example.com")
        with omniroute.Client(self.all, tenant=tenant, timeout=20) as c:
            c.create_tenant()
            owner = self.owner(tenant)
            survivor = next(a for a in self.all if a != owner)
            for i in range(3):
                c.ingest(channel="EMAIL", sender=sender, external_id=f"<before{i}@x>", body="b")
            with c.watch(from_sequence=1) as events:
                got = read_through(events, c.last_sequence(), WAIT)
                self.assertEqual(events.address, owner)

                self.cluster.kill(self.cluster.node_of(owner))
                killed = time.monotonic()
                # Retried until the survivor takes the tenant (lease 1 s).
                for i in range(3):
                    c.ingest(channel="EMAIL", sender=sender, external_id=f"<after{i}@x>",
                             body="a")
                failover = time.monotonic() - killed
                got += read_through(events, c.last_sequence(), 30)
                self.assertEqual(events.address, survivor)
                self.assertGreaterEqual(events.reconnects, 1)
            sequences = [e.sequence for e in got]
            self.assertEqual(sequences, list(range(1, len(sequences) + 1)),
                             "no gap and no repeat across the kill")
            self.assertEqual(c.get_conversation(
                c.find_customer(sender).conversation_ids[0]).message_count, 6)
            self.assertLess(failover, 20)



class ForwardingClusterTest(_ClusterCase):
    """The same two nodes forwarding calls for the tenants they do not serve
    (the server's default): a stream may be relayed through the other node,
    and the change feed still resumes without gap or repeat when the owner dies."""

    forward = True

    def test_the_change_feed_resumes_on_the_other_node_after_a_kill(self):
        tenant = tenant_name("kill-fw")
        sender = omniroute.email("a@example.com")
        with omniroute.Client(self.all, tenant=tenant, timeout=20) as c:
            c.create_tenant()
            owner = self.owner(tenant)
            for i in range(3):
                c.ingest(channel="EMAIL", sender=sender, external_id=f"<before{i}@x>", body="b")
            with c.watch(from_sequence=1) as events:
                got = read_through(events, c.last_sequence(), WAIT)
                self.cluster.kill(self.cluster.node_of(owner))
                for i in range(3):
                    c.ingest(channel="EMAIL", sender=sender, external_id=f"<after{i}@x>",
                             body="a")
                got += read_through(events, c.last_sequence(), 30)
                self.assertNotEqual(events.address, owner)
            sequences = [e.sequence for e in got]
            self.assertEqual(sequences, list(range(1, len(sequences) + 1)),
                             "no gap and no repeat across the kill")


if __name__ == "__main__":
    unittest.main()
