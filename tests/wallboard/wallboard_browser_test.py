#!/usr/bin/env python3
# Copyright omniroute authors. Licensed under the Apache License 2.0.
"""The wallboard in a real browser.

Starts omniroute-server (its embedded store in a temporary directory, gRPC and
the metrics listener on 127.0.0.1 port 0), drives it with the omniroute
command-line client, and opens /wallboard in Debian's headless Chromium through
chromium-driver (python3-selenium): the page loads, shows the tenant's queues,
and follows an ingested email and an agent who takes it. Each wait is for a
condition on the page, bounded by a deadline.

Environment: OMNIROUTE_SERVER and OMNIROUTE_CLI, the two binaries.
Run with /usr/bin/python3 (Debian's python3-selenium).
"""

import json
import os
import shutil
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

SERVER = os.environ.get("OMNIROUTE_SERVER", "")
CLI = os.environ.get("OMNIROUTE_CLI", "")
TENANT = "wallboard"
# Generous: a loaded CI machine starts Chromium slowly. Never waited out
# when the page behaves.
DEADLINE_S = 30


def read_port(path):
    try:
        with open(path, encoding="ascii") as f:
            text = f.read().strip()
        return int(text) if text else None
    except (FileNotFoundError, ValueError):
        return None


class WallboardBrowserTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        for name, path in (("OMNIROUTE_SERVER", SERVER), ("OMNIROUTE_CLI", CLI)):
            if not path or not os.access(path, os.X_OK):
                raise RuntimeError(f"{name} must name the built binary (got {path!r})")
        cls.dir = tempfile.mkdtemp(prefix="omniroute-wallboard-")
        port_file = os.path.join(cls.dir, "port")
        metrics_port_file = os.path.join(cls.dir, "metrics_port")
        cls.log = open(os.path.join(cls.dir, "server.log"), "wb")
        cls.server = subprocess.Popen(
            [SERVER, "--listen=127.0.0.1:0", f"--port_file={port_file}",
             f"--data_dir={os.path.join(cls.dir, 'data')}",
             "--metrics_listen=127.0.0.1:0", f"--metrics_port_file={metrics_port_file}"],
            stdin=subprocess.DEVNULL, stdout=cls.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + DEADLINE_S
        # The server writes each port file (whole, by rename) once listening.
        while True:
            port, metrics_port = read_port(port_file), read_port(metrics_port_file)
            if port is not None and metrics_port is not None:
                break
            if cls.server.poll() is not None or time.monotonic() > deadline:
                cls.tearDownClass()
                raise RuntimeError("omniroute-server did not start; see its log")
            time.sleep(0.01)
        cls.grpc_address = f"127.0.0.1:{port}"
        cls.base = f"http://127.0.0.1:{metrics_port}"
        cls.cli("create-tenant", TENANT, tenant=False)
        cls.cli("queue-upsert", "email", "--channels=EMAIL")
        cls.cli("queue-upsert", "chat", "--channels=CHAT")
        cls.cli("routing-settings", "--default-queue=email")
        cls.cli("agent-upsert", "bea", "--channels=EMAIL", "--capacity=1")

        options = Options()
        for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", "--window-size=1600,900"):
            options.add_argument(flag)
        options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
        cls.driver = webdriver.Chrome(
            service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
            options=options)

    @classmethod
    def tearDownClass(cls):
        driver = getattr(cls, "driver", None)
        if driver is not None:
            driver.quit()
        if cls.server.poll() is None:
            cls.server.terminate()
            try:
                cls.server.wait(timeout=DEADLINE_S)
            except subprocess.TimeoutExpired:
                cls.server.kill()
                cls.server.wait()
        cls.log.close()
        shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def cli(cls, *args, tenant=True):
        command = [CLI, f"--server={cls.grpc_address}", "--json"]
        if tenant:
            command.append(f"--tenant={TENANT}")
        result = subprocess.run(command + list(args), capture_output=True, text=True,
                                timeout=DEADLINE_S, check=False)
        if result.returncode != 0:
            raise AssertionError(f"omniroute {' '.join(args)}: {result.stderr}")
        return result.stdout

    def cell(self, queue, field):
        return self.driver.find_element(
            By.CSS_SELECTOR, f'#queue-{queue} td[data-field="{field}"]').text

    def wait_for(self, what, condition):
        try:
            WebDriverWait(self.driver, DEADLINE_S).until(lambda _: condition())
        except Exception as e:  # TimeoutException, or a cell not there yet
            rows = self.driver.find_element(By.ID, "queues").text
            raise AssertionError(f"{what}; the board shows:\n{rows}") from e

    def test_shows_the_queues_and_follows_an_email_and_an_agent(self):
        self.driver.get(f"{self.base}/wallboard?tenant={TENANT}")
        self.assertIn("omniroute", self.driver.title)
        # Both queues, in configuration order, nothing waiting.
        self.wait_for("both queues shown",
                      lambda: [r.get_attribute("id") for r in
                               self.driver.find_elements(By.CSS_SELECTOR, "#queues tr")]
                      == ["queue-email", "queue-chat"])
        self.assertEqual(self.cell("email", "waiting"), "0")
        self.assertEqual(self.driver.find_element(By.ID, "tenant").text, TENANT)
        self.assertIn("1 offline", self.driver.find_element(By.ID, "agents").text)

        # An email arrives; nobody is signed in: it waits.
        ingested = json.loads(self.cli("ingest", "--channel=EMAIL",
                                       "--from=email:ann@example.com", "--id=mail-1",
                                       "Where is my parcel?"))
        task = int(ingested["task"]["taskId"])
        self.wait_for("the email shown waiting", lambda: self.cell("email", "waiting") == "1")
        self.assertEqual(self.cell("chat", "waiting"), "0")

        # Bea signs in and accepts it: nothing waits, she is busy.
        self.cli("presence", "bea", "AVAILABLE")
        self.cli("accept", str(task), "bea")
        self.wait_for("Bea shown busy", lambda: self.cell("email", "agents_busy") == "1")
        self.assertEqual(self.cell("email", "waiting"), "0")
        self.assertEqual(self.cell("email", "agents_available"), "0")
        # One answer, within target, in the last 15 minutes.
        self.assertEqual(self.cell("email", "service_level"), "100%")
        self.assertIn("1 available", self.driver.find_element(By.ID, "agents").text)

    def test_the_event_stream_refuses_a_missing_or_unknown_tenant(self):
        for query, status, says in (("", 400, "tenant: required"),
                                    ("?tenant=nobody", 404, '"nobody" is not served here')):
            with self.subTest(query=query):
                with self.assertRaises(urllib.error.HTTPError) as raised:
                    urllib.request.urlopen(f"{self.base}/wallboard/events{query}",
                                           timeout=DEADLINE_S)
                self.assertEqual(raised.exception.code, status)
                self.assertIn(says, raised.exception.read().decode())


if __name__ == "__main__":
    unittest.main(verbosity=2)
