"""Test certificates made with the openssl command: two CAs, a server
certificate for IP 127.0.0.1 and a client certificate, both signed by "ca"."""

from __future__ import annotations

import os
import shutil
import subprocess

_EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]


def _run(*args: str) -> None:
    result = subprocess.run(["openssl", *args], stdin=subprocess.DEVNULL,
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {' '.join(args)}: exit {result.returncode}:\n"
                           f"{result.stderr}")


def make_certificates(directory: str) -> dict:
    """Writes the files into ``directory``; returns their paths by name:
    ca, other_ca (a CA that signed nothing here), server_cert, server_key,
    client_cert, client_key."""
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command is needed to make test certificates")
    d = directory
    for ca in ("ca", "other-ca"):
        _run("req", "-x509", *_EC, "-keyout", f"{d}/{ca}.key", "-out", f"{d}/{ca}.pem",
             "-days", "2", "-subj", f"/CN=omniroute test {ca}")
    with open(os.path.join(d, "server.ext"), "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    with open(os.path.join(d, "client.ext"), "w") as f:
        f.write("extendedKeyUsage=clientAuth\n")
    for leaf in ("server", "client"):
        _run("req", *_EC, "-keyout", f"{d}/{leaf}.key", "-out", f"{d}/{leaf}.csr",
             "-subj", f"/CN=omniroute test {leaf}")
        _run("x509", "-req", "-in", f"{d}/{leaf}.csr", "-CA", f"{d}/ca.pem",
             "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-days", "2",
             "-extfile", f"{d}/{leaf}.ext", "-out", f"{d}/{leaf}.pem")
    return {
        "ca": f"{d}/ca.pem",
        "other_ca": f"{d}/other-ca.pem",
        "server_cert": f"{d}/server.pem",
        "server_key": f"{d}/server.key",
        "client_cert": f"{d}/client.pem",
        "client_key": f"{d}/client.key",
    }
