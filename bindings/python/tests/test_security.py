"""TLS and bearer tokens, against a real omniroute-server.

    /usr/bin/python3 -m unittest discover -s bindings/python/tests -p 'test_security.py' -v

The certificates are made by the openssl command in a temporary directory
(a CA, a server certificate for IP 127.0.0.1, a client certificate, and a
second CA that signed none of them); the API keys by
``omniroute-server --new_api_key``. One server speaks TLS and requires
credentials (--api_keys); another one also requires a client certificate
(--tls_client_ca).
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import unittest
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import omniroute  # noqa: E402
from omniroute._gen_import import service_pb2, service_pb2_grpc  # noqa: E402
from omniroute.testing import Server, new_api_key  # noqa: E402

from _faults import DroppingProxy, refused_address  # noqa: E402
from _tls import make_certificates  # noqa: E402

WAIT = 10.0
TENANT = "acme"

_dir = ""
certs: dict = {}
keys: dict = {}
keys_file = ""


def setUpModule():
    global _dir, keys_file
    _dir = tempfile.mkdtemp(prefix="omniroute-security-")
    certs.update(make_certificates(_dir))
    entries = []
    for name, spec in (("admin", "root:admin:*"), ("acme", "crm:integration:acme"),
                       ("other", "erp:integration:other")):
        keys[name], entry = new_api_key(spec)
        entries.append(entry)
    keys_file = os.path.join(_dir, "keys.textproto")
    with open(keys_file, "w") as f:
        f.write("".join(entries))


def tearDownModule():
    shutil.rmtree(_dir, ignore_errors=True)


def tls_server(*extra: str) -> Server:
    return Server(args=[f"--tls_cert={certs['server_cert']}", f"--tls_key={certs['server_key']}",
                        f"--api_keys={keys_file}", *extra]).start()


def read_until(events: omniroute.Stream, sequence: int) -> list:
    """The events up to sequence ``sequence``, each waited for at most WAIT seconds."""
    got = []
    while not got or got[-1].sequence < sequence:
        got.append(events.next(timeout=WAIT))
    return got


class TlsAndTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = tls_server()
        with cls.server.client(tls_ca=certs["ca"], token=keys["admin"], timeout=WAIT) as admin:
            admin.create_tenant(TENANT)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self, **kwargs) -> omniroute.Client:
        kwargs.setdefault("timeout", WAIT)
        c = self.server.client(tenant=TENANT, **kwargs)
        self.addCleanup(c.close)
        return c

    def assertFails(self, code: grpc.StatusCode, call) -> omniroute.OmnirouteError:
        with self.assertRaises(omniroute.OmnirouteError) as raised:
            call()
        self.assertEqual(raised.exception.code, code, str(raised.exception))
        return raised.exception

    def ingest(self, c: omniroute.Client, n: str):
        return c.ingest(channel="EMAIL", sender=omniroute.email(f"{n}@example.com"),
                        external_id=f"<{n}@example.com>", body=f"message {n}")

    def test_the_right_ca_and_token_make_unary_calls_and_a_stream_work(self):
        c = self.client(tls_ca=certs["ca"], token=keys["acme"])
        r = self.ingest(c, "u1")
        self.assertTrue(r.customer_created)
        self.assertEqual(c.get_customer(r.customer_id).customer_id, r.customer_id)
        with c.watch(from_sequence=1) as events:
            first = events.next(timeout=WAIT)
            self.assertEqual(first.sequence, 1)
            after = self.ingest(c, "u2")
            last = c.last_sequence()
            got = read_until(events, last)
        self.assertEqual(got[-1].sequence, last)
        recorded = [e.message_recorded.message_id for e in got
                    if e.WhichOneof("payload") == "message_recorded"]
        self.assertIn(after.message_id, recorded, "the stream delivers the ingest made meanwhile")

    def test_ca_and_client_certificate_given_as_pem_bytes(self):
        ca = Path(certs["ca"]).read_bytes()
        c = self.client(tls_ca=ca, token=keys["acme"])
        self.assertGreater(c.last_sequence(), 0)

    def test_a_call_on_the_raw_channel_carries_the_token(self):
        c = self.client(tls_ca=certs["ca"], token=keys["acme"])
        stub = service_pb2_grpc.EventServiceStub(c.channel)
        reply = stub.GetLastSequence(service_pb2.GetLastSequenceRequest(tenant_id=TENANT),
                                     timeout=WAIT)
        self.assertGreater(reply.sequence, 0)

    def test_no_token_is_unauthenticated(self):
        c = self.client(tls_ca=certs["ca"])
        self.assertFails(grpc.StatusCode.UNAUTHENTICATED, c.last_sequence)
        with c.watch(from_sequence=1) as events:
            error = self.assertFails(grpc.StatusCode.UNAUTHENTICATED,
                                     lambda: events.next(timeout=WAIT))
        self.assertEqual(error.method, "WatchEvents")

    def test_an_unknown_key_is_unauthenticated(self):
        token = keys["acme"][:-4] + ("AAAA" if not keys["acme"].endswith("AAAA") else "BBBB")
        c = self.client(tls_ca=certs["ca"], token=token)
        self.assertFails(grpc.StatusCode.UNAUTHENTICATED, c.last_sequence)

    def test_a_token_of_another_tenant_is_permission_denied(self):
        c = self.client(tls_ca=certs["ca"], token=keys["other"])
        error = self.assertFails(grpc.StatusCode.PERMISSION_DENIED, c.last_sequence)
        self.assertEqual(error.method, "GetLastSequence")
        self.assertFails(grpc.StatusCode.PERMISSION_DENIED, lambda: self.ingest(c, "denied"))
        with c.watch(from_sequence=1) as events:
            self.assertFails(grpc.StatusCode.PERMISSION_DENIED, lambda: events.next(timeout=WAIT))

    def test_a_ca_that_did_not_sign_the_server_certificate_fails_unavailable(self):
        c = self.client(tls_ca=certs["other_ca"], token=keys["acme"], retry=None)
        self.assertFails(grpc.StatusCode.UNAVAILABLE, c.last_sequence)

    def test_plain_text_to_a_tls_server_fails_unavailable(self):
        c = self.client(token=keys["acme"], retry=None)  # loopback: allowed
        self.assertFails(grpc.StatusCode.UNAVAILABLE, c.last_sequence)

    def test_a_retry_on_the_next_address_carries_the_token(self):
        # The first address refuses connections; the call goes on to the server.
        c = omniroute.Client([refused_address(), self.server.address], tenant=TENANT,
                             tls_ca=certs["ca"], token=keys["acme"], timeout=WAIT)
        self.addCleanup(c.close)
        self.assertGreater(c.last_sequence(), 0)
        self.assertEqual(c.addresses[1], self.server.address)
        with c.watch(from_sequence=1) as events:
            self.assertEqual(events.next(timeout=WAIT).sequence, 1)
            self.assertEqual(events.address, self.server.address)

    def test_a_stream_that_reconnects_carries_the_token(self):
        proxy = DroppingProxy(self.server.address, frames=False)
        self.addCleanup(proxy.close)
        c = omniroute.Client(proxy.address, tenant=TENANT, tls_ca=certs["ca"],
                             token=keys["acme"], timeout=WAIT)
        self.addCleanup(c.close)
        with c.watch(from_sequence=1) as events:
            got = read_until(events, c.last_sequence())
            proxy.drop_connections()
            self.ingest(c, "after-drop")
            got += read_until(events, c.last_sequence())
            self.assertGreaterEqual(events.reconnects, 1)
        self.assertGreaterEqual(proxy.dropped, 1)
        self.assertEqual([e.sequence for e in got], list(range(1, len(got) + 1)))


class MutualTlsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.server = tls_server(f"--tls_client_ca={certs['ca']}")

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def client(self, **kwargs) -> omniroute.Client:
        c = self.server.client(tls_ca=certs["ca"], token=keys["admin"], timeout=WAIT, **kwargs)
        self.addCleanup(c.close)
        return c

    def test_without_a_client_certificate_calls_fail(self):
        c = self.client(retry=None)
        with self.assertRaises(omniroute.OmnirouteError) as raised:
            c.ping(b"x")
        self.assertEqual(raised.exception.code, grpc.StatusCode.UNAVAILABLE,
                         str(raised.exception))

    def test_with_a_client_certificate_calls_work(self):
        c = self.client(tls_cert=certs["client_cert"], tls_key=certs["client_key"])
        self.assertEqual(c.ping(b"mtls"), b"mtls")
        self.assertIsInstance(c.list_tenants(), list)

    def test_client_certificate_and_key_as_pem_bytes(self):
        c = self.client(tls_cert=Path(certs["client_cert"]).read_bytes(),
                        tls_key=Path(certs["client_key"]).read_bytes())
        self.assertEqual(c.ping(b"bytes"), b"bytes")


class LocalRefusalTest(unittest.TestCase):
    """What the client refuses before sending anything (no server needed)."""

    def refused(self, **kwargs) -> omniroute.OmnirouteError:
        target = kwargs.pop("target", "127.0.0.1:1")
        with self.assertRaises(omniroute.OmnirouteError) as raised:
            omniroute.Client(target, tenant=TENANT, **kwargs).close()
        error = raised.exception
        self.assertEqual(error.code, grpc.StatusCode.INVALID_ARGUMENT, str(error))
        self.assertIsNone(error.method)
        return error

    def test_a_token_over_plain_text_to_another_machine_is_refused(self):
        for target in ("10.0.0.5:50051", "omniroute.example.com:443",
                       "dns:///omniroute.example.com:443", "[2001:db8::1]:50051"):
            with self.subTest(target=target):
                error = self.refused(target=target, token="omr_x_secret")
                self.assertIn("plain text", error.message)
                self.assertIn(target, error.message)

    def test_every_address_of_a_list_is_checked(self):
        error = self.refused(target=["127.0.0.1:50051", "10.0.0.6:50051"], token="omr_x_y")
        self.assertIn("10.0.0.6:50051", error.message)
        self.assertNotIn("127.0.0.1:50051", error.message)

    def test_a_token_over_plain_text_on_loopback_is_allowed(self):
        for target in ("127.0.0.1:50051", "127.0.0.2:50051", "localhost:50051",
                       "[::1]:50051", "dns:///localhost:50051", "unix:/tmp/omniroute.sock"):
            with self.subTest(target=target):
                omniroute.Client(target, tenant=TENANT, token="omr_x_secret").close()

    def test_tls_or_insecure_lets_a_token_go_to_another_machine(self):
        omniroute.Client("10.0.0.5:50051", token="omr_x_y", tls_ca=certs["ca"]).close()
        omniroute.Client("10.0.0.5:50051", token="omr_x_y", tls=True).close()
        omniroute.Client("10.0.0.5:50051", token="omr_x_y", insecure=True).close()
        omniroute.Client("10.0.0.5:50051").close()  # no token: plain text is the caller's choice

    def test_a_missing_ca_file_is_named(self):
        path = os.path.join(_dir, "no-such-ca.pem")
        error = self.refused(tls_ca=path)
        self.assertIn("tls_ca", error.message)
        self.assertIn(path, error.message)
        self.assertIn("No such file or directory", error.message)

    def test_an_unreadable_ca_file_is_named(self):
        error = self.refused(tls_ca=_dir)  # a directory
        self.assertIn(_dir, error.message)
        self.assertIn("Is a directory", error.message)

    def test_a_file_without_a_certificate_is_named(self):
        error = self.refused(tls_ca=keys_file)
        self.assertIn(f"tls_ca: {keys_file} holds no PEM certificate", error.message)
        error = self.refused(tls_ca=certs["ca"], tls_cert=certs["client_cert"],
                             tls_key=certs["client_cert"])
        self.assertIn("tls_key", error.message)
        self.assertIn("no PEM private key", error.message)

    def test_a_certificate_without_its_key_is_refused(self):
        error = self.refused(tls_ca=certs["ca"], tls_cert=certs["client_cert"])
        self.assertIn("tls_cert, tls_key: give both", error.message)

    def test_a_token_that_cannot_be_a_header_is_refused(self):
        self.assertIn("token", self.refused(token="two words").message)
        self.assertIn("token", self.refused(token="").message)

    def test_credentials_and_tls_arguments_do_not_mix(self):
        error = self.refused(credentials=grpc.ssl_channel_credentials(), tls_ca=certs["ca"])
        self.assertIn("credentials", error.message)


if __name__ == "__main__":
    unittest.main()
