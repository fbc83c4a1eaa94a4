"""What a test needs from the machine: skipped here when it is missing, a failure in CI.

`.ci/run` installs every program the tests drive, so in CI (`CI` set) a
missing one is a broken set-up, said loudly, never a quiet skip.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest


def missing(reason: str) -> NoReturn:
    """Skip the test with `reason`, or fail it in CI."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it in .ci/run)", pytrace=False)
    pytest.skip(reason)
