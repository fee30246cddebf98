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
    """

    def __init__(self, code: grpc.StatusCode, message: str, method: str | None = None,
                 *, outcome_unknown: bool = False):
        self.code = code
        self.message = message
        self.method = method
        self.outcome_unknown = outcome_unknown
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
                   outcome_unknown=outcome_unknown)


def invalid_argument(message: str) -> OmnirouteError:
    """A client-side refusal of an argument (nothing was sent)."""
    return OmnirouteError(grpc.StatusCode.INVALID_ARGUMENT, message)
