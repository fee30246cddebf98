"""Test helpers for failures: a proxy that drops connections, a local cluster,
an address that refuses connections.

Nothing here sleeps for a fixed time: every wait polls a condition until a
deadline.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from omniroute.testing import find_server_binary

REPO = Path(__file__).resolve().parents[3]


def wait_for(condition: Callable[[], object], timeout: float, what: str, interval: float = 0.02):
    """Polls ``condition`` until it returns a true value (returned) or the deadline passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(interval)


def refused_address() -> str:
    """A loopback address nothing listens on (a port bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{s.getsockname()[1]}"


def missing_unix_socket() -> str:
    """A unix socket address whose path does not exist."""
    return "unix:" + os.path.join(tempfile.gettempdir(), f"omniroute-none-{os.getpid()}.sock")


class DroppingProxy:
    """A TCP proxy in front of one gRPC server that drops connections on demand.

    - :meth:`drop_connections` closes every connection now (a stream breaks).
    - :meth:`drop_next_answer` closes the connection that carries the next
      answer the server starts to send (an HTTP/2 HEADERS frame on a call's
      stream) instead of passing it on: the server handled the call, the
      client never hears the outcome.

    ``frames=False`` passes the bytes through unread (a TLS connection,
    whose frames it cannot see): only :meth:`drop_connections` then works.
    """

    def __init__(self, upstream: str, frames: bool = True):
        self._frames = frames
        host, port = upstream.rsplit(":", 1)
        self._upstream = (host, int(port))
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.address = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._lock = threading.Lock()
        self._pairs: List[tuple] = []
        self._drop_answer = False
        self.dropped = 0
        self._closed = False
        threading.Thread(target=self._accept, daemon=True, name="proxy-accept").start()

    def drop_next_answer(self) -> None:
        with self._lock:
            self._drop_answer = True

    def drop_connections(self) -> None:
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self.dropped += len(pairs)
        for pair in pairs:
            _close(*pair)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        self.drop_connections()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self._upstream)
            except OSError:
                client.close()
                continue
            pair = (client, server)
            with self._lock:
                self._pairs.append(pair)
            threading.Thread(target=self._pump_up, args=pair, daemon=True).start()
            threading.Thread(target=self._pump_down, args=pair, daemon=True).start()

    def _pump_up(self, client: socket.socket, server: socket.socket) -> None:
        try:
            while True:
                data = client.recv(65536)
                if not data:
                    break
                server.sendall(data)
        except OSError:
            pass
        self._forget(client, server)

    def _pump_down(self, client: socket.socket, server: socket.socket) -> None:
        # Server to client: whole HTTP/2 frames (9-byte header, then the payload).
        buffer = b""
        try:
            while True:
                data = server.recv(65536)
                if not data:
                    break
                if not self._frames:
                    client.sendall(data)
                    continue
                buffer += data
                out = b""
                while len(buffer) >= 9:
                    length = int.from_bytes(buffer[0:3], "big")
                    if len(buffer) < 9 + length:
                        break
                    frame_type = buffer[3]
                    stream_id = int.from_bytes(buffer[5:9], "big") & 0x7FFFFFFF
                    if frame_type == 0x1 and stream_id != 0:
                        with self._lock:
                            drop, self._drop_answer = self._drop_answer, False
                            if drop:
                                self.dropped += 1
                        if drop:
                            if out:
                                client.sendall(out)
                            _close(client, server)
                            self._forget(client, server)
                            return
                    out += buffer[:9 + length]
                    buffer = buffer[9 + length:]
                if out:
                    client.sendall(out)
        except OSError:
            pass
        self._forget(client, server)

    def _forget(self, client: socket.socket, server: socket.socket) -> None:
        with self._lock:
            if (client, server) in self._pairs:
                self._pairs.remove((client, server))
        _close(client, server)


def _close(*sockets: socket.socket) -> None:
    for s in sockets:
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        s.close()


def server_forwards() -> bool:
    """Whether the server binary has --forward (a node forwards calls for a
    tenant it does not serve, unless started with --forward=false)."""
    out = subprocess.run([find_server_binary(), "--helpfull"], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=30).stdout
    return "--forward" in out


class Cluster:
    """tools/cluster.sh: a throw-away PostgreSQL 15 and N omniroute-server nodes.

    Attributes:
        addresses: each node's "host:port", by node id ("node-1", ...).
        pids: each node's process id.
    """

    _NODE = re.compile(r"^(node-\d+) (\S+) \(pid (\d+), log (\S+)\)$")

    def __init__(self, nodes: int = 2, lease_ms: int = 1000, server_args: Sequence[str] = (),
                 start_timeout: float = 60.0):
        self.addresses: Dict[str, str] = {}
        self.pids: Dict[str, int] = {}
        self.logs: Dict[str, str] = {}
        env = dict(os.environ, OMNIROUTE_SERVER=find_server_binary())
        self._stderr = tempfile.TemporaryFile()
        # A session of its own, so that whatever the script leaves behind can
        # be ended by its id if it does not stop.
        self._process = subprocess.Popen(
            ["bash", str(REPO / "tools" / "cluster.sh"), f"--nodes={nodes}",
             f"--lease_ms={lease_ms}", "--", *server_args],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr,
            env=env, start_new_session=True, text=True,
        )
        lines: "queue.Queue[Optional[str]]" = queue.Queue()

        def read() -> None:
            for line in self._process.stdout:
                lines.put(line.rstrip("\n"))
            lines.put(None)

        threading.Thread(target=read, daemon=True, name="cluster-stdout").start()
        deadline = time.monotonic() + start_timeout
        try:
            while True:
                try:
                    line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    raise RuntimeError(f"cluster.sh: no nodes within {start_timeout} s:\n"
                                       + self.stderr())
                if line is None:
                    raise RuntimeError(f"cluster.sh exited with {self._process.wait()}:\n"
                                       + self.stderr())
                match = self._NODE.match(line)
                if match:
                    node, address, pid, log = match.groups()
                    self.addresses[node] = address
                    self.pids[node] = int(pid)
                    self.logs[node] = log
                elif line.startswith("store "):
                    break
        except BaseException:
            self.stop()
            raise

    def node_of(self, address: str) -> str:
        return next(node for node, a in self.addresses.items() if a == address)

    def kill(self, node: str) -> None:
        """SIGKILL: the node dies without handing anything off."""
        os.kill(self.pids[node], signal.SIGKILL)

    def stderr(self) -> str:
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM to the script, which stops the nodes and PostgreSQL."""
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self._process.pid, signal.SIGKILL)
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()
        self._stderr.close()
