"""Python client of the omniroute gRPC API (omniroute.v1).

::

    import omniroute

    with omniroute.Client("127.0.0.1:50051", tenant="acme") as c:
        c.create_tenant()
        r = c.ingest(channel="EMAIL", sender=omniroute.email("a@b.c"),
                     external_id="<m1@b.c>", body="My order never came.")
        print(r.customer_id, r.conversation_id, r.outcome)

- :class:`Client`: one object per server (or per cluster: several
  addresses); every RPC is a method with keyword arguments.
- :class:`OmnirouteError`: the one exception type, with ``.code`` (a
  ``grpc.StatusCode``) and ``.message``.
- :class:`RetryPolicy`: how a client given several addresses (a cluster)
  retries; :mod:`omniroute.retry` says which calls are retried.
- :class:`Page`: one page of a long list (``timeline_page``,
  ``list_conversations_page``): its items and the next page's token.
- :func:`email`, :func:`phone`, :func:`handle`, ...: identities;
  :func:`agent`, :func:`customer`, :func:`system`: actors; :func:`rule`,
  :func:`relax_levels`, :func:`overflow`: routing configuration.
- :mod:`omniroute.proto`: the API's messages and enums.
- :mod:`omniroute.testing`: starts a real omniroute-server for tests.

The stubs are generated from proto/omniroute/v1 by bindings/python/generate.sh.
"""

from . import proto
from ._gen_import import service_pb2 as _service_pb2
from .client import Client
from .errors import OmnirouteError
from .paging import Page
from .retry import RetryPolicy
from .streams import Stream
from .values import (
    agent,
    crm_id,
    custom_identity,
    customer,
    email,
    enum_name,
    handle,
    identity,
    overflow,
    phone,
    relax_levels,
    rule,
    social_id,
    system,
    to_datetime,
    to_timedelta,
)

# The kinds of an offer stream's updates (OfferUpdate.kind).
OFFERED = _service_pb2.OfferUpdate.KIND_OFFERED
ASSIGNED = _service_pb2.OfferUpdate.KIND_ASSIGNED
DECLINED = _service_pb2.OfferUpdate.KIND_DECLINED
EXPIRED = _service_pb2.OfferUpdate.KIND_EXPIRED
WITHDRAWN = _service_pb2.OfferUpdate.KIND_WITHDRAWN

__version__ = "0.1.0"

__all__ = [
    "Client",
    "OmnirouteError",
    "Page",
    "RetryPolicy",
    "Stream",
    "proto",
    "agent",
    "crm_id",
    "custom_identity",
    "customer",
    "email",
    "enum_name",
    "handle",
    "identity",
    "overflow",
    "phone",
    "relax_levels",
    "rule",
    "social_id",
    "system",
    "to_datetime",
    "to_timedelta",
    "OFFERED",
    "ASSIGNED",
    "DECLINED",
    "EXPIRED",
    "WITHDRAWN",
]
