"""kafkajs 2.2.4: runs `node --test` in node/ against a fresh broker.

The kafkajs package comes from node/package-lock.json (`npm ci` in node/, which
`scripts/dev deps` does).
"""
import os
import pathlib
import shutil

import pytest

from support import run_command

NODE_DIR = pathlib.Path(__file__).resolve().parent / "node"
NODE = shutil.which("node")


def test_kafkajs_admin_and_producer(broker):
    if NODE is None:
        pytest.skip("node is not installed (apt-get install nodejs npm)")
    if not (NODE_DIR / "node_modules" / "kafkajs").is_dir():
        pytest.skip(f"kafkajs is not installed: run `npm ci` in {NODE_DIR.name}/ "
                    f"(or scripts/dev deps)")
    env = dict(os.environ, WEIR_BOOTSTRAP=broker.bootstrap,
               KAFKAJS_NO_PARTITIONER_WARNING="1")
    result = run_command([NODE, "--test", "--test-reporter=spec"], env=env, cwd=NODE_DIR,
                         timeout=150)
    output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
    assert result.returncode == 0, f"node --test exited {result.returncode}\n{output[-20000:]}"
