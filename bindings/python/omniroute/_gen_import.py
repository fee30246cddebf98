"""Imports the generated stubs, or says how to generate them."""

from __future__ import annotations

try:
    from ._gen import (events_pb2, export_pb2, routing_pb2, service_pb2, service_pb2_grpc,
                       status_details_pb2, types_pb2)
except ImportError as error:  # pragma: no cover - depends on the checkout
    if getattr(error, "name", None) and "omniroute._gen" not in str(error.name):
        raise
    raise ImportError(
        "omniroute: the generated stubs (omniroute/_gen) are missing; "
        "run bindings/python/generate.sh first"
    ) from error

__all__ = ["events_pb2", "export_pb2", "routing_pb2", "service_pb2", "service_pb2_grpc",
           "status_details_pb2", "types_pb2"]
