"""Limits per tenant seen from the client: a call over its tenant's request
rate, or a stream over its tenant's stream limit, raises OmnirouteError
RESOURCE_EXHAUSTED with the server's retry delay (the google.rpc.RetryInfo
of the status details) as ``retry_delay``; other errors have none.
"""

from __future__ import annotations

import sys
import unittest
from pathlib import Path

import grpc

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import omniroute  # noqa: E402
from omniroute.testing import Server  # noqa: E402

WAIT = 10.0

# One request per ten seconds after a burst of two: a third call within the
# test is refused, and the delay it is told is between 5 and 10 seconds
# whatever the machine's speed.
_server: Server | None = None


def setUpModule() -> None:
    global _server
    _server = Server(args=["--tenant_requests_per_second=0.1", "--tenant_burst=2",
                           "--tenant_max_streams=1"]).start()


def tearDownModule() -> None:
    if _server is not None:
        _server.stop()


class TenantLimitsTest(unittest.TestCase):
    def client(self, tenant: str) -> omniroute.Client:
        c = _server.client(tenant=tenant, timeout=WAIT)
        self.addCleanup(c.close)
        return c

    def test_a_tenant_over_its_rate_gets_the_retry_delay(self):
        c = self.client("rate")
        c.create_tenant()  # The first of the burst's two.
        c.ingest(channel="EMAIL", sender=omniroute.email("ann@example.com"),
                 external_id="<a1@example.com>", body="hello")
        with self.assertRaises(omniroute.OmnirouteError) as raised:
            c.ingest(channel="EMAIL", sender=omniroute.email("ann@example.com"),
                     external_id="<a2@example.com>", body="again")
        error = raised.exception
        self.assertEqual(error.code, grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        self.assertIn('tenant "rate"', error.message)
        self.assertIsNotNone(error.retry_delay)
        self.assertGreater(error.retry_delay, 5.0)
        self.assertLessEqual(error.retry_delay, 10.0)

        # Another tenant has its own bucket; an error of another kind has
        # no delay.
        other = self.client("rate-other")
        other.create_tenant()
        with self.assertRaises(omniroute.OmnirouteError) as invalid:
            other.ingest(channel="EMAIL", sender=omniroute.email("bob@example.com"),
                         external_id="", body="no id")
        self.assertEqual(invalid.exception.code, grpc.StatusCode.INVALID_ARGUMENT)
        self.assertIsNone(invalid.exception.retry_delay)

    def test_a_tenant_holding_its_streams_gets_the_retry_delay(self):
        c = self.client("streams")
        c.create_tenant()
        with c.watch(from_sequence=1) as first:
            self.assertEqual(first.next(timeout=WAIT).sequence, 1)
            with c.watch(from_sequence=1) as second:
                with self.assertRaises(omniroute.OmnirouteError) as raised:
                    second.next(timeout=WAIT)
        error = raised.exception
        self.assertEqual(error.code, grpc.StatusCode.RESOURCE_EXHAUSTED, str(error))
        self.assertIn("open streams", error.message)
        self.assertEqual(error.retry_delay, 1.0)


if __name__ == "__main__":
    unittest.main()
