"""Server streams (the change feed, an agent's offers) as Python iterators."""

from __future__ import annotations

import queue
import threading
from typing import Generic, Iterator, Optional, TypeVar

import grpc

from .errors import OmnirouteError

__all__ = ["Stream"]

T = TypeVar("T")

# What the reader thread puts after the last message.
_END = object()


class Stream(Generic[T]):
    """One server-streaming call, read as an iterator.

    ``for message in stream`` yields the messages in the order the server
    sent them and ends when the server ends the stream. A failed stream
    raises :class:`OmnirouteError` from the iteration (for example
    ``RESOURCE_EXHAUSTED`` when the reader fell too far behind the change
    feed; resume from the last sequence received + 1).

    :meth:`close` cancels the call; iteration then stops (StopIteration), and
    messages not read yet are dropped. Use the stream as a context manager so
    that it is closed whatever happens::

        with client.watch(from_sequence=1) as events:
            for event in events:
                ...

    :meth:`next` takes a timeout, for readers that must not wait forever;
    waiting longer raises ``OmnirouteError`` with ``DEADLINE_EXCEEDED``, and
    the stream stays open.

    A background thread reads the call into a small bounded buffer, so a
    slow reader still slows the server down (gRPC flow control) instead of
    piling messages up in memory.

    Thread safety: one reader at a time; :meth:`close` may be called from any
    thread.
    """

    def __init__(self, call: grpc.Call, method: str, buffer: int = 64):
        self._call = call
        self._method = method
        self._closed = threading.Event()
        self._queue: "queue.Queue[object]" = queue.Queue(maxsize=max(1, buffer))
        self._done = False
        # The thread holds the call, the buffer and the closed flag, never the
        # Stream itself, so an abandoned Stream can be collected (and its
        # __del__ cancels the call).
        self._thread = threading.Thread(
            target=_read, args=(call, self._queue, self._closed),
            name=f"omniroute-{method}", daemon=True,
        )
        self._thread.start()

    @property
    def method(self) -> str:
        """The RPC this stream reads ("WatchEvents", "StreamOffers")."""
        return self._method

    @property
    def closed(self) -> bool:
        """True once close() was called (or the client that made it closed)."""
        return self._closed.is_set()

    def __iter__(self) -> Iterator[T]:
        return self

    def __next__(self) -> T:
        return self.next()

    def next(self, timeout: Optional[float] = None) -> T:
        """The next message.

        Args:
            timeout: seconds to wait at most; None waits as long as it takes.

        Raises:
            StopIteration: the stream ended (closed, or finished by the server).
            OmnirouteError: the call failed, or ``timeout`` passed
                (``DEADLINE_EXCEEDED``; the stream stays usable).
        """
        if self._done or self._closed.is_set():
            raise StopIteration
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            raise OmnirouteError(
                grpc.StatusCode.DEADLINE_EXCEEDED,
                f"no message within {timeout} s (the stream is still open)",
                self._method,
            ) from None
        if self._closed.is_set():
            self._done = True
            raise StopIteration
        if item is _END:
            self._done = True
            raise StopIteration
        if isinstance(item, grpc.RpcError):
            self._done = True
            raise OmnirouteError.from_rpc_error(item, self._method) from None
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Cancels the call. Idempotent; never raises."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._call.cancel()
        # Wakes a reader blocked in next() (the buffer may be full; then the
        # reader is not blocked anyway).
        try:
            self._queue.put_nowait(_END)
        except queue.Full:
            pass

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # pragma: no cover - interpreter shutdown
            pass


def _read(call, buffer: "queue.Queue[object]", closed: threading.Event) -> None:
    def put(item: object) -> bool:
        # Blocks while the buffer is full, waking up to notice a close().
        while not closed.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    try:
        for message in call:
            if not put(message):
                return
    except grpc.RpcError as error:
        if closed.is_set():
            return
        put(error)
        return
    except Exception as error:  # a transport failure gRPC did not wrap
        if not closed.is_set():
            put(_wrap(error))
        return
    put(_END)


class _LocalRpcError(grpc.RpcError):
    def __init__(self, error: Exception):
        self._error = error

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return f"{type(self._error).__name__}: {self._error}"


def _wrap(error: Exception) -> grpc.RpcError:
    return _LocalRpcError(error)
