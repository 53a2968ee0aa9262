"""kill -9 at random moments never loses an acknowledged save, and the store always opens."""
from __future__ import annotations

import sys

import pytest

from tests.storage.conftest import TEST_KEY
from tests.storage.crash_harness import run_crash_trials

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs fork and SIGKILL")


@pytest.mark.slow
@pytest.mark.parametrize("data_key", [None, TEST_KEY], ids=["plain", "sealed"])
def test_no_acknowledged_save_is_lost_when_the_saving_process_is_killed(tmp_path, data_key):
    result = run_crash_trials(tmp_path, trials=200, seed=2026, data_key=data_key)
    assert result.failures == []
    assert result.trials == 200
    # The kills must have landed everywhere: before the store opened, and after many saves.
    assert result.killed_before_open > 0
    assert result.acknowledged > 500
