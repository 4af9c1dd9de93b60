"""deploy/weir.service passes `systemd-analyze verify` without a single warning (it
exits 0 on bad values and only warns on stderr), with ExecStart pointed at this build."""
import os
import shutil
import subprocess

import pytest

from conftest import REPO_ROOT, broker_binary

UNIT = REPO_ROOT / "deploy" / "weir.service"
INSTALLED_BINARY = "/usr/local/bin/weir"


def test_systemd_unit_verifies_without_warnings(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY}\n" in text
    assert "Type=notify\n" in text
    unit = tmp_path / "weir.service"
    unit.write_text(text.replace(f"ExecStart={INSTALLED_BINARY}", f"ExecStart={broker_binary().resolve()}"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, timeout=60,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    assert result.returncode == 0 and result.stderr == b"", result.stderr.decode()


def test_a_bad_directive_is_caught(tmp_path):
    """The check above can fail: systemd-analyze reports an unknown setting on stderr."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    unit = tmp_path / "weir.service"
    text = UNIT.read_text().replace(f"ExecStart={INSTALLED_BINARY}", f"ExecStart={broker_binary().resolve()}")
    unit.write_text(text.replace("[Service]\n", "[Service]\nProtectSystm=strict\n"))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, timeout=60)
    assert b"ProtectSystm" in result.stderr
