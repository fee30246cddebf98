"""What the call groups of Client share: building requests, naming tasks."""

from __future__ import annotations

from typing import Any, Optional

from . import values as v
from ._gen_import import routing_pb2, service_pb2
from .errors import invalid_argument

__all__: list = []


def _message(cls, **fields):
    """Builds a message; a value protobuf refuses is an INVALID_ARGUMENT."""
    try:
        return cls(**fields)
    except (TypeError, ValueError) as error:
        raise invalid_argument(f"{cls.DESCRIPTOR.name}: {error}") from None


def _task_id(task: Any, field: str = "task_id") -> int:
    """The task id of an int, a Task or an OfferUpdate."""
    if isinstance(task, service_pb2.OfferUpdate):
        return task.task.task_id
    if isinstance(task, service_pb2.Task):
        return task.task_id
    return v.to_id(task, field)


def _offer_agent(task: Any) -> str:
    """The agent a Task or OfferUpdate was offered to or assigned to, if any."""
    if isinstance(task, service_pb2.OfferUpdate):
        task = task.task
    if isinstance(task, service_pb2.Task):
        return task.offer.agent_id or task.agent_id
    return ""


def _skills(skills: Any, field: str) -> list:
    return [
        _message(routing_pb2.SkillLevel, skill=v.to_str(name, f"{field} name"),
                 level=v.to_int(level, f"{field}[{name!r}]"))
        for name, level in v.pairs(skills, field)
    ]


class Calls:
    """The plumbing a call group relies on; Client provides it."""

    _tenant: Optional[str]

    def _unary(self, stub_method, name: str, request):  # pragma: no cover - abstract
        raise NotImplementedError

    def _stream(self, stub_method, name: str, request):  # pragma: no cover - abstract
        raise NotImplementedError

    def _tid(self) -> str:
        return self._tenant or ""
