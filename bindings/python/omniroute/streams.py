"""Server streams (the change feed, an agent's offers, queue statistics) as
Python iterators that reconnect after a break."""

from __future__ import annotations

import queue
import threading
import time
from typing import Generic, Iterator, Optional, TypeVar

import grpc

from .errors import OmnirouteError
from .retry import owner_hint

__all__ = ["Stream"]

T = TypeVar("T")

# What the reader thread puts after the last message.
_END = object()


# A reconnected call that lived this long (seconds) was serving: its break is
# a new one, with a fresh budget.
_SETTLED = 1.0


class Stream(Generic[T]):
    """One server-streaming call, read as an iterator.

    ``for message in stream`` yields the messages in the order the server
    sent them and ends when the server ends the stream. A failed stream
    raises :class:`OmnirouteError` from the iteration (for example
    ``RESOURCE_EXHAUSTED`` when the reader fell too far behind the change
    feed; resume from the last sequence received + 1).

    A break of the connection (``UNAVAILABLE``, or ``CANCELLED`` by the
    server) does not end the stream: it reconnects, on the tenant's owner
    when a node names it, else on the client's next address, as the client's
    :class:`omniroute.RetryPolicy` says (for up to ``stream_budget`` seconds
    per break). The change feed resumes from the last sequence received + 1,
    so nothing is missed or repeated; an agent's offers are subscribed to
    again (the offers pending then come first, without repeating one
    already reported and still open); queue statistics are subscribed to
    again (the first update again holds every queue asked for). The error
    is raised once the budget is spent.

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

    def __init__(self, attempts: "Attempts", method: str, buffer: int = 64):
        self._attempts = attempts
        self._method = method
        self._closed = threading.Event()
        self._queue: "queue.Queue[object]" = queue.Queue(maxsize=max(1, buffer))
        self._done = False
        # The thread holds the attempts, the buffer and the closed flag, never
        # the Stream itself, so an abandoned Stream can be collected (and its
        # __del__ cancels the call).
        self._thread = threading.Thread(
            target=_read, args=(attempts, self._queue, self._closed),
            name=f"omniroute-{method}", daemon=True,
        )
        self._thread.start()

    @property
    def method(self) -> str:
        """The RPC this stream reads ("WatchEvents", "StreamOffers", "WatchQueueStatistics")."""
        return self._method

    @property
    def closed(self) -> bool:
        """True once close() was called (or the client that made it closed)."""
        return self._closed.is_set()

    @property
    def address(self) -> Optional[str]:
        """The server address the stream reads from now (or tried last)."""
        return self._attempts.address

    @property
    def reconnects(self) -> int:
        """How many times the stream was opened again after a break."""
        return self._attempts.reconnects

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
        if isinstance(item, OmnirouteError):
            self._done = True
            raise item
        if isinstance(item, grpc.RpcError):
            self._done = True
            raise OmnirouteError.from_rpc_error(item, self._method) from None
        return item  # type: ignore[return-value]

    def close(self) -> None:
        """Cancels the call. Idempotent; never raises."""
        if self._closed.is_set():
            return
        self._closed.set()
        self._attempts.cancel()
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


class Attempts:
    """The calls a Stream reads, one after the other: where each is opened,
    when, and from where the stream resumes (``resume``).

    ``pool`` is the client's (omniroute._pool.Pool); ``rpc`` an _pool.Rpc.
    """

    def __init__(self, pool, tenant: Optional[str], rpc, request, resume: "Resume"):
        self._pool = pool
        self._tenant = tenant
        self._rpc = rpc
        self._request = request
        self._resume = resume
        self._lock = threading.Lock()
        self._call = None
        self._cancelled = False
        self.address: str = pool.first(tenant)
        self.reconnects = 0
        self._opens = 0
        self._opened_at = 0.0
        self._delivered = False
        self._break_start: Optional[float] = None
        self._tried: set = set()
        self._backoff = 0.0

    def open(self):
        """The next call, or None once cancelled. Raises OmnirouteError
        (CANCELLED) if the client was closed."""
        request = self._resume.request(self._request)
        with self._lock:
            if self._cancelled:
                return None
            method = self._pool.endpoint(self.address).method(self._rpc)
            self._call = method(request)
        if self._opens > 0:
            self.reconnects += 1
        self._opens += 1
        self._tried.add(self.address)
        self._opened_at = time.monotonic()
        self._delivered = False
        return self._call

    def keep(self, message) -> bool:
        """Records a message received; False to drop it (already delivered)."""
        if not self._delivered:
            self._delivered = True
            self._pool.served(self._tenant, self.address)
        return self._resume.keep(message)

    def retry_after(self, error: grpc.RpcError) -> Optional[float]:
        """Seconds to wait before the next open(); None: raise ``error``."""
        policy = self._pool.policy
        code = error.code() if hasattr(error, "code") else None
        if policy is None or code not in (grpc.StatusCode.UNAVAILABLE,
                                          grpc.StatusCode.CANCELLED):
            return None
        if not self._resume.resumable():
            return None
        now = time.monotonic()
        if (self._break_start is None or self._delivered
                or now - self._opened_at >= _SETTLED):
            # A new break: a fresh budget.
            self._break_start = now
            self._backoff = policy.initial_backoff
            self._tried = {self.address}
        left = self._break_start + policy.stream_budget - now
        if left <= 0:
            return None
        hint = owner_hint(error) if code == grpc.StatusCode.UNAVAILABLE else None
        self.address = hint if hint is not None else self._pool.next_address(self.address)
        if self.address not in self._tried:
            return 0.0
        # Every address of this round failed: wait before the next one.
        pause = policy.pause(self._backoff)
        self._backoff = policy.next_backoff(self._backoff)
        self._tried.clear()
        return min(pause, left)

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True
            call = self._call
        if call is not None:
            call.cancel()


class Resume:
    """What a stream resumes from: this base starts again only before its
    first message (ExportCustomer)."""

    def __init__(self) -> None:
        self._received = False

    def request(self, request):
        return request

    def keep(self, message) -> bool:
        self._received = True
        return True

    def resumable(self) -> bool:
        return not self._received


class ResumeEvents(Resume):
    """The change feed: from the last sequence received + 1; nothing twice."""

    def __init__(self) -> None:
        super().__init__()
        self.last = 0

    def request(self, request):
        if self.last == 0:
            return request
        resumed = type(request)()
        resumed.CopyFrom(request)
        resumed.from_sequence = self.last + 1
        return resumed

    def keep(self, event) -> bool:
        if event.sequence <= self.last:
            return False
        self.last = event.sequence
        return True

    def resumable(self) -> bool:
        return True


class ResumeAgain(Resume):
    """A stream whose first message says it all again (queue statistics:
    every queue asked for): subscribed to again."""

    def resumable(self) -> bool:
        return True


class ResumeOffers(Resume):
    """An agent's offers: subscribed to again; an open offer reported once."""

    def __init__(self, offered_kind: int) -> None:
        super().__init__()
        self._offered_kind = offered_kind
        self._open: set = set()

    def keep(self, update) -> bool:
        task_id = update.task.task_id
        if update.kind == self._offered_kind:
            if task_id in self._open:
                return False
            self._open.add(task_id)
        else:
            self._open.discard(task_id)
        return True

    def resumable(self) -> bool:
        return True


def _read(attempts: Attempts, buffer: "queue.Queue[object]", closed: threading.Event) -> None:
    def put(item: object) -> bool:
        # Blocks while the buffer is full, waking up to notice a close().
        while not closed.is_set():
            try:
                buffer.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    while True:
        try:
            call = attempts.open()
        except OmnirouteError as error:  # the client was closed
            if not closed.is_set():
                put(error)
            return
        except Exception as error:  # a transport failure gRPC did not wrap
            if not closed.is_set():
                put(_wrap(error))
            return
        if call is None:
            return
        try:
            for message in call:
                if attempts.keep(message) and not put(message):
                    return
        except grpc.RpcError as error:
            if closed.is_set():
                return
            pause = attempts.retry_after(error)
            if pause is None:
                put(error)
                return
            if pause > 0 and closed.wait(pause):
                return
            continue
        except Exception as error:  # a transport failure gRPC did not wrap
            if not closed.is_set():
                put(_wrap(error))
            return
        put(_END)
        return


class _LocalRpcError(grpc.RpcError):
    def __init__(self, error: Exception):
        self._error = error

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.UNKNOWN

    def details(self) -> str:
        return f"{type(self._error).__name__}: {self._error}"


def _wrap(error: Exception) -> grpc.RpcError:
    return _LocalRpcError(error)
