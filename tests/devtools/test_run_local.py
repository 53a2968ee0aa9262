"""`make run`'s launcher notices when its local server dies, restarts it, and gives up clearly."""
from __future__ import annotations

import io
import os
import signal
import time

import pytest

from devtools.run_local import ServerWatch, start_server, stop, wait_for_health
from tests.support.postgres import free_port

pytestmark = pytest.mark.timeout(180)


def wait_until(check, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def server(tmp_path):
    port = free_port()
    process = start_server(tmp_path, port)
    wait_for_health(f"http://127.0.0.1:{port}", process)
    yield tmp_path, port, process


def test_a_local_server_that_dies_is_reported_and_started_again(server):
    var, port, process = server
    out = io.StringIO()
    watch = ServerWatch(var, port, process, interval_s=0.2, out=out).start()
    try:
        os.kill(process.pid, signal.SIGKILL)
        assert wait_until(lambda: "the local server is back" in out.getvalue()), out.getvalue()
        assert "the local server stopped (exit code -9); restarting it (1 of 3)" in out.getvalue()
        assert watch.process is not process and watch.process.poll() is None
        wait_for_health(f"http://127.0.0.1:{port}", watch.process, timeout=5)
    finally:
        watch.stop()
        stop(watch.process)


def test_a_server_that_keeps_dying_makes_the_launcher_give_up_with_a_clear_message(server):
    var, port, process = server
    out = io.StringIO()
    watch = ServerWatch(var, port, process, max_restarts=0, interval_s=0.2, out=out).start()
    try:
        os.kill(process.pid, signal.SIGKILL)
        assert wait_until(lambda: watch.gave_up, timeout=20)
        text = out.getvalue()
        assert "giving up" in text and "offline" in text and "server.log" in text
    finally:
        watch.stop()
        stop(watch.process)
