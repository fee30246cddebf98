"""A real omniroute-server for tests: started on port 0 with its own data dir.

::

    from omniroute.testing import Server

    with Server() as server:                 # finds the binary, waits until ready
        with server.client(tenant="t1") as c:
            c.create_tenant()

The binary is the ``binary`` argument, else the OMNIROUTE_SERVER environment
variable, else build/dev/tools/omniroute-server of the source tree this
package lives in, else ``omniroute-server`` on PATH.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Optional, Sequence, Tuple

import grpc

from .client import Client

__all__ = ["Server", "find_server_binary", "new_api_key"]

_REPO_DEFAULT = Path("build/dev/tools/omniroute-server")


def find_server_binary(binary: Optional[str] = None) -> str:
    """The omniroute-server to run; raises FileNotFoundError if there is none."""
    candidates = []
    if binary:
        candidates.append(Path(binary))
    elif os.environ.get("OMNIROUTE_SERVER"):
        candidates.append(Path(os.environ["OMNIROUTE_SERVER"]))
    else:
        # bindings/python/omniroute/testing.py -> the repository root.
        repo = Path(__file__).resolve().parents[3]
        candidates.append(repo / _REPO_DEFAULT)
        candidates.append(Path.cwd() / _REPO_DEFAULT)
        on_path = shutil.which("omniroute-server")
        if on_path:
            candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate.resolve())
    raise FileNotFoundError(
        "omniroute-server not found (tried: "
        + ", ".join(str(c) for c in candidates)
        + "); build it or set OMNIROUTE_SERVER"
    )


def new_api_key(spec: str, binary: Optional[str] = None) -> Tuple[str, str]:
    """A new API key made by ``omniroute-server --new_api_key=spec``
    ("ID:ROLE:TENANT[:AGENT]"): (the key, its entry for an --api_keys file).

    Raises:
        RuntimeError: the server refused the spec (its message says why).
    """
    result = subprocess.run([find_server_binary(binary), f"--new_api_key={spec}"],
                            stdin=subprocess.DEVNULL, capture_output=True, text=True,
                            timeout=30)
    if result.returncode != 0:
        raise RuntimeError(f"omniroute-server --new_api_key={spec}: exit {result.returncode}: "
                           f"{result.stderr.strip()}")
    keys = [line[2:].strip() for line in result.stdout.splitlines()
            if line.startswith("# omr_")]
    start = result.stdout.find("key {")
    if len(keys) != 1 or start < 0:
        raise RuntimeError(f"omniroute-server --new_api_key={spec}: unexpected output:\n"
                           f"{result.stdout}")
    return keys[0], result.stdout[start:]


class Server:
    """An omniroute-server process on 127.0.0.1, port 0, with a temporary data dir.

    :meth:`start` returns once the server accepts connections; :meth:`stop`
    sends SIGTERM (a graceful shutdown) and waits, then kills it if it did
    not stop in time. Both are bounded by ``start_timeout``/``stop_timeout``.

    Attributes:
        address: "127.0.0.1:PORT" once started.
        data_dir: the event store's directory: the ``data_dir`` argument
            (left in place), or one in a temporary directory that stop()
            removes unless ``keep_data`` is set.
        log_path: the server's stderr.
    """

    def __init__(
        self,
        binary: Optional[str] = None,
        *,
        args: Sequence[str] = (),
        data_dir: Optional[str] = None,
        start_timeout: float = 20.0,
        stop_timeout: float = 10.0,
        keep_data: bool = False,
    ):
        self.binary = find_server_binary(binary)
        self.args = list(args)
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._workdir = tempfile.mkdtemp(prefix="omniroute-test-")
        self.data_dir = data_dir or os.path.join(self._workdir, "data")
        self.keep_data = keep_data
        self.port_file = os.path.join(self._workdir, "port")
        self.log_path = os.path.join(self._workdir, "server.log")
        self.port: Optional[int] = None
        self.address: Optional[str] = None
        self._process: Optional[subprocess.Popen] = None
        self._log = None

    def start(self) -> "Server":
        """Starts the process and waits until it serves.

        Raises:
            RuntimeError: the server exited or did not serve in time (the
                message holds its log); the process is stopped and the
                temporary directory removed.
        """
        if self._process is not None:
            raise RuntimeError("omniroute-server: already started")
        try:
            return self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self) -> "Server":
        os.makedirs(self._workdir, exist_ok=True)
        if os.path.exists(self.port_file):
            os.remove(self.port_file)
        self._log = open(self.log_path, "wb")
        self._process = subprocess.Popen(
            [self.binary, "--listen=127.0.0.1:0", f"--data_dir={self.data_dir}",
             f"--port_file={self.port_file}", *self.args],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + self.start_timeout
        # The server writes the port file (whole, by rename) once listening.
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"omniroute-server exited with {self._process.returncode} before "
                    f"listening:\n{self.log()}")
            port = _read_port(self.port_file)
            if port is not None:
                break
            if time.monotonic() > deadline:
                self._kill()
                raise RuntimeError(
                    f"omniroute-server did not listen within {self.start_timeout} s:\n"
                    f"{self.log()}")
            time.sleep(0.01)
        self.port = port
        self.address = f"127.0.0.1:{port}"
        if any(a.startswith("--tls_cert") for a in self.args):
            # A TLS listener: a plain-text channel would never be ready, and
            # the test's credentials are its own. It accepts connections.
            self._wait_accepts(deadline)
            return self
        channel = grpc.insecure_channel(self.address)
        try:
            grpc.channel_ready_future(channel).result(
                timeout=max(0.1, deadline - time.monotonic()))
        except grpc.FutureTimeoutError:
            self._kill()
            raise RuntimeError(
                f"omniroute-server on {self.address} did not accept a connection:\n{self.log()}"
            ) from None
        finally:
            channel.close()
        return self

    def _wait_accepts(self, deadline: float) -> None:
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=max(0.1, deadline - time.monotonic())):
                    return
            except OSError as e:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    self._kill()
                    raise RuntimeError(f"omniroute-server on {self.address} did not accept a "
                                       f"connection ({e}):\n{self.log()}") from None
            time.sleep(0.01)

    def client(self, tenant: Optional[str] = None, **kwargs) -> Client:
        """A Client connected to this server."""
        if self.address is None:
            raise RuntimeError("omniroute-server: not started")
        return Client(self.address, tenant=tenant, **kwargs)

    def log(self) -> str:
        """What the server wrote to stderr so far."""
        try:
            with open(self.log_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self) -> Optional[int]:
        """SIGTERM, then waits; returns the exit code (None if never started)."""
        code = None
        if self._process is not None:
            if self._process.poll() is None:
                self._process.send_signal(signal.SIGTERM)
                try:
                    self._process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    self._kill()
            code = self._process.returncode
            self._process = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if not self.keep_data:
            shutil.rmtree(self._workdir, ignore_errors=True)
        return code

    def _kill(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def __enter__(self) -> "Server":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def _read_port(path: str) -> Optional[int]:
    try:
        with open(path) as f:
            text = f.read().strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None
