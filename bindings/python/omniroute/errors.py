"""The one exception type the omniroute client raises."""

from __future__ import annotations

import grpc

__all__ = ["OmnirouteError"]


class OmnirouteError(Exception):
    """A call that did not succeed.

    Every failure of a :class:`omniroute.Client` call is raised as this type,
    whether the server answered with an error status or the client refused
    the arguments before sending anything.

    Attributes:
        code: the ``grpc.StatusCode``. The server's codes are those of the
            API (proto/omniroute/v1/service.proto): ``INVALID_ARGUMENT``
            (the message names the field and the reason), ``NOT_FOUND``,
            ``ALREADY_EXISTS``, ``FAILED_PRECONDITION``,
            ``RESOURCE_EXHAUSTED``, ``UNAVAILABLE``. Arguments the client
            cannot convert (an unknown channel name, a wrong type) are
            ``INVALID_ARGUMENT`` too; a stream read that waited longer than
            its timeout is ``DEADLINE_EXCEEDED``; a call on a closed client
            is ``CANCELLED``.
        message: the status message, e.g. ``"external_id: required"``.
        method: the RPC's name (``"IngestMessage"``), or ``None`` when the
            client refused the call itself.
        outcome_unknown: True when the call may have been applied although
            it failed: the connection dropped after it was sent, and the
            call is not one a client repeats safely (see
            :mod:`omniroute.retry`). Read the state to learn what happened.
        retry_delay: seconds to wait before trying again, when the server
            said so: a call refused ``RESOURCE_EXHAUSTED`` because its
            tenant is over its request rate or holds all the streams it may
            (the ``google.rpc.RetryInfo`` of the status details). ``None``
            otherwise.
    """

    def __init__(self, code: grpc.StatusCode, message: str, method: str | None = None,
                 *, outcome_unknown: bool = False, retry_delay: float | None = None):
        self.code = code
        self.message = message
        self.method = method
        self.outcome_unknown = outcome_unknown
        self.retry_delay = retry_delay
        super().__init__(code, message)

    def __str__(self) -> str:
        where = f"{self.method}: " if self.method else ""
        unknown = " (the call may have been applied)" if self.outcome_unknown else ""
        return f"{where}{self.code.name}: {self.message}{unknown}"

    def __repr__(self) -> str:
        return f"OmnirouteError({self.code}, {self.message!r}, method={self.method!r})"

    @classmethod
    def from_rpc_error(cls, error: grpc.RpcError, method: str | None = None, *,
                       outcome_unknown: bool = False) -> "OmnirouteError":
        """Builds the error from what gRPC raised (a ``grpc.Call`` error)."""
        code = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
        details = error.details() if hasattr(error, "details") else str(error)
        return cls(code or grpc.StatusCode.UNKNOWN, details or "", method,
                   outcome_unknown=outcome_unknown, retry_delay=retry_delay_of(error))


_STATUS_DETAILS_KEY = "grpc-status-details-bin"
_RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo"


def retry_delay_of(error: grpc.RpcError) -> float | None:
    """The retry delay in seconds the status details of ``error`` carry, if any."""
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    for key, value in trailing or ():
        if key != _STATUS_DETAILS_KEY:
            continue
        from ._gen_import import status_details_pb2  # Generated: imported when needed.
        status = status_details_pb2.StatusDetails()
        try:
            status.ParseFromString(value)
        except Exception:  # noqa: BLE001 - details that do not parse carry no delay
            return None
        for detail in status.details:
            if detail.type_url == _RETRY_INFO_TYPE_URL:
                info = status_details_pb2.RetryInfo()
                try:
                    info.ParseFromString(detail.value)
                except Exception:  # noqa: BLE001
                    return None
                return info.retry_delay.seconds + info.retry_delay.nanos / 1e9
    return None


def invalid_argument(message: str) -> OmnirouteError:
    """A client-side refusal of an argument (nothing was sent)."""
    return OmnirouteError(grpc.StatusCode.INVALID_ARGUMENT, message)
