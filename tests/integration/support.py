"""Small helpers shared by the integration tests (no fixtures here; see conftest.py)."""
import itertools
import os
import subprocess
import time

import pytest

_topic_numbers = itertools.count()


def unique_topic(prefix):
    """A topic name no other test in this run uses (each test has its own broker anyway,
    but distinct names make broker logs easier to read)."""
    return f"{prefix}-{os.getpid()}-{next(_topic_numbers)}"


def run_command(args, *, timeout, input_bytes=None, env=None, cwd=None):
    """Runs a client command line; a timeout becomes a test failure showing its output."""
    args = [str(arg) for arg in args]
    try:
        return subprocess.run(args, input=input_bytes, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=timeout, env=env, cwd=cwd)
    except subprocess.TimeoutExpired as expired:
        stderr = (expired.stderr or b"").decode(errors="replace")[-5000:]
        stdout = (expired.stdout or b"").decode(errors="replace")[-2000:]
        pytest.fail(f"{args[0]} did not finish within {timeout} s: {' '.join(args)}\n"
                    f"stderr:\n{stderr}\nstdout (end):\n{stdout}", pytrace=False)


def wait_until(condition, *, timeout, interval=0.1, what="condition"):
    """Polls `condition()` until it returns a true value, which is returned."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}", pytrace=False)
        time.sleep(interval)
