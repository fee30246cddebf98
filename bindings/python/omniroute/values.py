"""Building the API's values from Python ones, and reading them back.

Identities and actors are built with small functions::

    omniroute.email("Owner@Example.com")
    omniroute.phone("+33 6 12 34 56 78")
    omniroute.handle("@PhoneOwner", network="x")
    omniroute.agent("agent-ana")

Enums are given as their name without the prefix, in any case ("EMAIL",
"email", "private_social"), as the full proto name ("CHANNEL_EMAIL"), or as
the proto value itself (``proto.CHANNEL_EMAIL``). Durations are
``datetime.timedelta``, a number of seconds, or ``google.protobuf.Duration``;
times are ``datetime.datetime`` (naive ones are read as UTC, as protobuf
does), seconds since the epoch, an RFC 3339 string
("2026-12-07T09:00:00Z", "2026-12-07T10:00:00+01:00"), or
``google.protobuf.Timestamp``.
"""

from __future__ import annotations

import datetime as _dt
import re
from typing import Any, Iterable, Mapping, Optional, Union

from google.protobuf import duration_pb2, timestamp_pb2
from google.protobuf.internal.enum_type_wrapper import EnumTypeWrapper

from ._gen_import import routing_pb2, service_pb2, types_pb2
from .errors import invalid_argument

__all__ = [
    "email",
    "phone",
    "handle",
    "social_id",
    "crm_id",
    "custom_identity",
    "identity",
    "agent",
    "customer",
    "system",
    "enum_name",
    "to_datetime",
    "to_timedelta",
    "rule",
    "relax_levels",
    "overflow",
]

EnumLike = Union[str, int]
DurationLike = Union[_dt.timedelta, int, float, duration_pb2.Duration]
TimeLike = Union[_dt.datetime, int, float, str, timestamp_pb2.Timestamp]

# ------------------------------------------------------------ identities


def identity(kind: EnumLike, value: str, network: str = "") -> service_pb2.RawIdentity:
    """An identity of any kind, as a channel gives it (normalized by the server).

    ``kind`` is an IdentityKind ("EMAIL", "PHONE", "SOCIAL_HANDLE",
    "SOCIAL_ID", "CRM_ID", "CUSTOM"). Returns a ``RawIdentity``, the type
    requests take.
    """
    return service_pb2.RawIdentity(
        kind=to_enum(types_pb2.IdentityKind, kind, "identity.kind"),
        network=_str(network, "identity.network"),
        value=_str(value, "identity.value"),
    )


def email(address: str) -> service_pb2.RawIdentity:
    """An email address (trimmed and lower-cased by the server)."""
    return identity("EMAIL", address)


def phone(number: str) -> service_pb2.RawIdentity:
    """A phone number; E.164 or national (completed with the tenant's country code)."""
    return identity("PHONE", number)


def handle(value: str, *, network: str) -> service_pb2.RawIdentity:
    """A handle on a social network, e.g. ``handle("@PhoneOwner", network="x")``."""
    return identity("SOCIAL_HANDLE", value, network)


def social_id(value: str, *, network: str) -> service_pb2.RawIdentity:
    """The stable user id a social network assigns."""
    return identity("SOCIAL_ID", value, network)


def crm_id(value: str, *, network: str = "") -> service_pb2.RawIdentity:
    """The customer's id in a CRM (network: the CRM's name, optional)."""
    return identity("CRM_ID", value, network)


def custom_identity(value: str, *, network: str) -> service_pb2.RawIdentity:
    """Any other identity, in a namespace (network) chosen by the integrator."""
    return identity("CUSTOM", value, network)


def to_raw_identity(value: Any, field: str):
    """A RawIdentity from a RawIdentity or a (normalized) Identity."""
    if isinstance(value, service_pb2.RawIdentity):
        return value
    if isinstance(value, types_pb2.Identity):
        return service_pb2.RawIdentity(kind=value.kind, network=value.network, value=value.value)
    raise invalid_argument(
        f"{field}: expected an identity (omniroute.email(...), omniroute.phone(...), "
        f"omniroute.handle(..., network=...)), got {type(value).__name__}"
    )


# ------------------------------------------------------------ actors


def agent(agent_id: str) -> types_pb2.Actor:
    """An agent as the actor of a command (who asked for a handoff, a link...)."""
    return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_AGENT, id=_str(agent_id, "actor.id"))


def customer() -> types_pb2.Actor:
    """The customer as the actor of a command."""
    return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_CUSTOMER)


def system() -> types_pb2.Actor:
    """An automated system as the actor of a command."""
    return types_pb2.Actor(kind=types_pb2.ACTOR_KIND_SYSTEM)


def to_actor(value: Any, field: str = "actor") -> Optional[types_pb2.Actor]:
    """An Actor from an Actor, an agent id (str), or None (unset)."""
    if value is None:
        return None
    if isinstance(value, types_pb2.Actor):
        return value
    if isinstance(value, str):
        return agent(value)
    raise invalid_argument(
        f"{field}: expected an agent id, omniroute.agent(...), omniroute.customer() or "
        f"omniroute.system(), got {type(value).__name__}"
    )


# ------------------------------------------------------------ enums


def _prefix(enum: EnumTypeWrapper) -> str:
    # Every enum of the API starts with <PREFIX>_UNSPECIFIED = 0.
    first = enum.Name(0)
    return first[: -len("UNSPECIFIED")] if first.endswith("UNSPECIFIED") else ""


def to_enum(enum: EnumTypeWrapper, value: Any, field: str) -> int:
    """The number of an enum value given by name (with or without prefix) or number."""
    if isinstance(value, bool):
        pass  # a bool is an int in Python, never a meaningful enum value
    elif isinstance(value, int):
        if value in enum.values():
            return int(value)
    elif isinstance(value, str):
        name = value.strip().upper().replace("-", "_").replace(" ", "_")
        prefix = _prefix(enum)
        for candidate in (name, prefix + name):
            if candidate in enum.keys():
                return enum.Value(candidate)
    choices = ", ".join(enum_name(enum, v) for v in enum.values() if v != 0)
    enum_type = enum.DESCRIPTOR.name
    raise invalid_argument(f"{field}: {value!r} is not a {enum_type} (one of {choices})")


def to_enums(enum: EnumTypeWrapper, values: Any, field: str) -> list:
    """A list of enum numbers from one value or an iterable of values."""
    if values is None:
        return []
    if isinstance(values, (str, int)):
        values = [values]
    return [to_enum(enum, v, f"{field}[{i}]") for i, v in enumerate(values)]


def enum_name(enum: EnumTypeWrapper, value: int) -> str:
    """The name of an enum value without its prefix: ``enum_name(proto.Channel, 3) == "EMAIL"``.

    A number the enum does not know is returned as its digits.
    """
    try:
        name = enum.Name(value)
    except ValueError:
        return str(value)
    prefix = _prefix(enum)
    return name[len(prefix):] if prefix and name.startswith(prefix) else name


# ------------------------------------------------------------ time


def to_duration(value: Any, field: str) -> Optional[duration_pb2.Duration]:
    """A Duration from a timedelta, a number of seconds or a Duration; None stays None."""
    if value is None:
        return None
    if isinstance(value, duration_pb2.Duration):
        return value
    d = duration_pb2.Duration()
    if isinstance(value, _dt.timedelta):
        d.FromTimedelta(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        d.FromNanoseconds(int(round(value * 1e9)))
    else:
        raise invalid_argument(
            f"{field}: expected a timedelta or a number of seconds, got {type(value).__name__}"
        )
    return d


# RFC 3339's date-time: a full date and time with its offset from UTC.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")


def to_timestamp(value: Any, field: str) -> Optional[timestamp_pb2.Timestamp]:
    """A Timestamp from a datetime, seconds since the epoch, an RFC 3339 string
    or a Timestamp; None stays None."""
    if value is None:
        return None
    if isinstance(value, timestamp_pb2.Timestamp):
        return value
    t = timestamp_pb2.Timestamp()
    if isinstance(value, _dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(_dt.timezone.utc).replace(tzinfo=None)
        t.FromDatetime(value)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        t.FromNanoseconds(int(round(value * 1e9)))
    elif isinstance(value, str):
        text = value.strip()
        ok = _RFC3339.fullmatch(text) is not None
        if ok:
            try:
                t.FromJsonString(text.upper())
            except ValueError:  # out of range: month 13, hour 25
                ok = False
        if not ok:
            raise invalid_argument(
                f"{field}: {value!r} is not an RFC 3339 time (write e.g. 2026-12-07T09:00:00Z)"
            )
    else:
        raise invalid_argument(
            f"{field}: expected a datetime, seconds since the epoch or an RFC 3339 string, "
            f"got {type(value).__name__}"
        )
    return t


def to_datetime(timestamp: timestamp_pb2.Timestamp) -> Optional[_dt.datetime]:
    """A Timestamp as an aware UTC datetime; None when the field is unset (zero)."""
    if timestamp is None or (timestamp.seconds == 0 and timestamp.nanos == 0):
        return None
    return _dt.datetime.fromtimestamp(timestamp.seconds, _dt.timezone.utc) + _dt.timedelta(
        microseconds=timestamp.nanos // 1000
    )


def to_timedelta(duration: duration_pb2.Duration) -> _dt.timedelta:
    """A Duration as a timedelta."""
    return duration.ToTimedelta()


# ------------------------------------------------------------ plain values


def _str(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise invalid_argument(f"{field}: expected a str, got {type(value).__name__}")
    return value


def to_str(value: Any, field: str) -> str:
    """A str argument; None is the empty string."""
    return _str(value, field)


def to_strs(values: Any, field: str) -> list:
    """A list of str from one str or an iterable of str."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    try:
        items = list(values)
    except TypeError:
        raise invalid_argument(
            f"{field}: expected a str or a list of str, got {type(values).__name__}"
        ) from None
    return [_str(v, f"{field}[{i}]") for i, v in enumerate(items)]


def to_id(value: Any, field: str) -> int:
    """A server-assigned id (a positive int); the server answers for 0."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_argument(f"{field}: expected an int id, got {type(value).__name__}")
    if value < 0:
        raise invalid_argument(f"{field}: {value} is negative")
    return value


def to_int(value: Any, field: str) -> int:
    """An int argument (bools refused)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_argument(f"{field}: expected an int, got {type(value).__name__}")
    return value


def pairs(value: Any, field: str) -> Iterable:
    """(key, value) pairs from a mapping or an iterable of pairs."""
    if value is None:
        return []
    if isinstance(value, Mapping):
        return list(value.items())
    try:
        result = [tuple(p) for p in value]
    except TypeError:
        raise invalid_argument(
            f"{field}: expected a mapping or (key, value) pairs, got {type(value).__name__}"
        ) from None
    for i, p in enumerate(result):
        if len(p) != 2:
            raise invalid_argument(f"{field}[{i}]: expected a (key, value) pair")
    return result


# ------------------------------------------------------------ routing


def rule(
    queue_id: str,
    *,
    name: str = "",
    channels: Any = (),
    language: str = "",
    tags: Any = (),
    min_tier: int = 0,
    visibility: Any = None,
) -> routing_pb2.RoutingRule:
    """A routing rule for Client.configure_routing: every condition given must hold.

    ``rule("social", channels=["PUBLIC_SOCIAL", "PRIVATE_SOCIAL"])`` sends the
    tasks of those channels to the queue "social". Empty conditions match
    anything.
    """
    return routing_pb2.RoutingRule(
        name=_str(name, "rule.name"),
        channels=to_enums(types_pb2.Channel, channels, "rule.channels"),
        language=_str(language, "rule.language"),
        tags=to_strs(tags, "rule.tags"),
        min_tier=to_int(min_tier, "rule.min_tier"),
        visibility=to_enum(types_pb2.Visibility, visibility, "rule.visibility")
        if visibility is not None else 0,
        queue_id=_str(queue_id, "rule.queue_id"),
    )


def relax_levels(after: DurationLike, levels: int) -> routing_pb2.ExpansionStep:
    """A queue expansion step: after waiting ``after``, required levels drop by ``levels``."""
    return routing_pb2.ExpansionStep(
        after=to_duration(after, "expansion_step.after"),
        relax_levels=to_int(levels, "expansion_step.relax_levels"),
    )


def overflow(after: DurationLike, queue_id: str) -> routing_pb2.ExpansionStep:
    """A queue expansion step: after waiting ``after``, the task moves to ``queue_id``."""
    return routing_pb2.ExpansionStep(
        after=to_duration(after, "expansion_step.after"),
        overflow_queue_id=_str(queue_id, "expansion_step.overflow_queue_id"),
    )
