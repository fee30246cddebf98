"""The omniroute.v1 messages and enums, in one namespace.

Everything proto/omniroute/v1/{types,routing,events,service}.proto defines is
here under its proto name, for example::

    from omniroute import proto

    proto.Channel.CHANNEL_EMAIL          # an enum value (an int)
    proto.CHANNEL_EMAIL                  # the same value
    proto.RawIdentity(kind=proto.IDENTITY_KIND_EMAIL, value="a@b.c")
    proto.Event                          # what Client.watch() yields

The client returns these messages as they are; their fields are documented
in the .proto files.
"""

from ._gen_import import events_pb2, routing_pb2, service_pb2, types_pb2

__all__: list = []


def _export(module) -> None:
    # Only what the .proto file declares: message classes, enum types and
    # their values (not the generated module's own helpers).
    names = list(module.DESCRIPTOR.message_types_by_name)
    for enum_name, enum in module.DESCRIPTOR.enum_types_by_name.items():
        names.append(enum_name)
        names.extend(value.name for value in enum.values)
    for name in names:
        globals()[name] = getattr(module, name)
        __all__.append(name)


for _module in (types_pb2, routing_pb2, events_pb2, service_pb2):
    _export(_module)
del _module
