"""The files in deploy/: the systemd unit passes `systemd-analyze verify` without a single
warning (it exits 0 on bad values and only warns on stderr), the example config names
every setting of the broker's own table with its default and starts a broker, install.sh
installs into a prefix without overwriting edited config, and the alerting rules pass
promtool's checks and unit tests."""
import os
import re
import shutil
import signal
import stat
import subprocess
import urllib.error
import urllib.request

import pytest

from conftest import REPO_ROOT, broker_binary, broker_settings, free_port
from support import wait_until

DEPLOY = REPO_ROOT / "deploy"
UNIT = DEPLOY / "weir.service"
EXAMPLE_CONFIG = DEPLOY / "weir.toml"
INSTALLED_BINARY = "/usr/local/bin/weir"
# `#key = value`: a setting shown with its default; prose comments start with "# ".
COMMENTED_SETTING = re.compile(r"^#([a-z][a-z0-9_]*) = (.*)$")
ACTIVE_SETTING = re.compile(r"^([a-z][a-z0-9_]*) = (.*)$")


def systemd_analyze():
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (package systemd)")
    return analyze


def verify_unit(unit_path):
    result = subprocess.run([systemd_analyze(), "verify", str(unit_path)], capture_output=True, timeout=60,
                            env={**os.environ, "SYSTEMD_LOG_LEVEL": "notice"})
    return result.returncode, result.stderr.decode()


def unit_running_this_build(tmp_path):
    text = UNIT.read_text().replace(f"ExecStart={INSTALLED_BINARY} ", f"ExecStart={broker_binary().resolve()} ")
    unit = tmp_path / "weir.service"
    unit.write_text(text)
    return unit


def test_systemd_unit_verifies_without_warnings(tmp_path):
    text = UNIT.read_text()
    assert f"ExecStart={INSTALLED_BINARY} --config /etc/weir/weir.toml\n" in text
    assert "Type=notify\n" in text
    assert re.search(r"^WatchdogSec=\d+s$", text, flags=re.M)
    code, stderr = verify_unit(unit_running_this_build(tmp_path))
    assert code == 0 and stderr == "", stderr


def test_a_bad_directive_is_caught(tmp_path):
    """The check above can fail: systemd-analyze reports an unknown setting on stderr."""
    unit = unit_running_this_build(tmp_path)
    unit.write_text(unit.read_text().replace("[Service]\n", "[Service]\nProtectSystm=strict\n"))
    _, stderr = verify_unit(unit)
    assert "ProtectSystm" in stderr


def clean_environment(**settings):
    """This process's environment (sanitizer options and the like) without any broker
    setting a caller may have exported, plus `settings`."""
    return {**{k: v for k, v in os.environ.items() if k not in broker_settings()}, **settings}


def print_config(*args):
    return subprocess.run([str(broker_binary()), *args, "--print-config"], capture_output=True, text=True,
                          timeout=30, env=clean_environment())


def effective_settings(output):
    """{key: (value text, source)} from --print-config output."""
    settings = {}
    for line in output.splitlines():
        match = re.match(r"^([a-z][a-z0-9_]*) = (.*)  # (\w+)$", line)
        if match:
            settings[match.group(1)] = (match.group(2), match.group(3))
    return settings


def example_settings():
    """(commented {key: value}, active {key: value}) of deploy/weir.toml, each key once."""
    commented, active = {}, {}
    for line in EXAMPLE_CONFIG.read_text().splitlines():
        for pattern, found in ((COMMENTED_SETTING, commented), (ACTIVE_SETTING, active)):
            match = pattern.match(line)
            if match:
                key = match.group(1)
                assert key not in commented and key not in active, f"{key} appears twice in {EXAMPLE_CONFIG}"
                found[key] = match.group(2)
    return commented, active


def test_example_config_lists_every_setting_once_with_its_default():
    defaults = effective_settings(print_config().stdout)
    assert len(defaults) > 30
    commented, active = example_settings()
    assert sorted(commented.keys() | active.keys()) == sorted(defaults), (
        "deploy/weir.toml must list every setting of `weir --print-config`, and only those")
    for key, value in commented.items():
        # An unset setting prints its derived value (advertised_address): "" stands for it.
        if value != '""':
            assert value == defaults[key][0], f"{key}: {EXAMPLE_CONFIG.name} shows {value}, the default is {defaults[key][0]}"


def test_example_config_is_accepted_with_every_line_uncommented(tmp_path):
    result = print_config("--config", str(EXAMPLE_CONFIG))
    assert result.returncode == 0, result.stderr
    settings = effective_settings(result.stdout)
    _, active = example_settings()
    for key, value in active.items():
        assert settings[key] == (value, "file")
    # Every commented value is a valid value too, so uncommenting a line never breaks it.
    uncommented = tmp_path / "weir.toml"
    uncommented.write_text(re.sub(r"^#([a-z][a-z0-9_]* = )", r"\1", EXAMPLE_CONFIG.read_text(), flags=re.M))
    result = print_config("--config", str(uncommented))
    assert result.returncode == 0, result.stderr
    assert all(source == "file" for _, source in effective_settings(result.stdout).values())


def test_an_unknown_key_in_the_example_config_would_be_refused(tmp_path):
    """The checks above can fail: the loader refuses a key that is not a setting."""
    broken = tmp_path / "weir.toml"
    broken.write_text(EXAMPLE_CONFIG.read_text() + "max_conections = 5\n")
    result = print_config("--config", str(broken))
    assert result.returncode == 2 and "max_conections" in result.stderr


def http_status(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
            return response.status
    except (urllib.error.URLError, ConnectionError):
        return None


@pytest.mark.weir_timeout(60)
def test_a_broker_starts_with_the_example_config_and_becomes_ready(tmp_path):
    """As under systemd: --config the example, with the environment overriding the data
    folder and addresses (the example's storage_path is the unit's StateDirectory)."""
    kafka_port, metrics_port = free_port(), free_port()
    env = clean_environment(STORAGE_PATH=str(tmp_path / "data"), BIND_ADDRESS=f"127.0.0.1:{kafka_port}",
                            METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}")
    log_path = tmp_path / "broker.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(broker_binary()), "--config", str(EXAMPLE_CONFIG)], env=env,
                                   cwd=tmp_path, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        wait_until(lambda: process.poll() is not None or http_status(metrics_port, "/ready") == 200,
                   timeout=20, what="/ready to answer 200")
        assert process.poll() is None, log_path.read_text()
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0, log_path.read_text()
    assert (tmp_path / "data" / "CURRENT").exists()


def run_install(env):
    return subprocess.run(["sh", str(DEPLOY / "install.sh")], capture_output=True, text=True, timeout=60,
                          env={"PATH": os.environ["PATH"], "WEIR_BINARY": str(broker_binary().resolve()), **env})


def mode(path):
    return stat.S_IMODE(path.stat().st_mode)


def test_install_into_a_prefix_gives_a_unit_that_verifies_and_keeps_edited_config(tmp_path):
    root = tmp_path / "root"
    env = {"PREFIX": str(root / "usr"), "SYSCONFDIR": str(root / "etc"),
           "UNITDIR": str(root / "etc" / "systemd" / "system")}
    result = run_install(env)
    assert result.returncode == 0, result.stderr
    binary = root / "usr" / "bin" / "weir"
    unit = root / "etc" / "systemd" / "system" / "weir.service"
    config_dir = root / "etc" / "weir"
    assert binary.read_bytes() == broker_binary().read_bytes() and mode(binary) == 0o755
    assert mode(config_dir) == 0o755
    assert (config_dir / "weir.toml").read_text() == EXAMPLE_CONFIG.read_text()
    assert mode(config_dir / "weir.toml") == 0o644
    assert mode(config_dir / "weir.env") == 0o600
    for doc in ("operations.md", "configuration.md", "weir-alerts.yml"):
        assert (root / "usr" / "share" / "doc" / "weir" / doc).is_file()
    text = unit.read_text()
    assert f"ExecStart={binary} --config {config_dir}/weir.toml\n" in text
    assert f"EnvironmentFile=-{config_dir}/weir.env\n" in text
    directives = "\n".join(line for line in text.splitlines() if not line.startswith("#"))
    assert not re.search(r"(=|=-|file://)(/usr/local|/etc/weir)", directives), directives
    code, stderr = verify_unit(unit)
    assert code == 0 and stderr == "", stderr
    # The installed binary reads the installed config.
    result = print_config("--config", str(config_dir / "weir.toml"))
    assert result.returncode == 0 and 'storage_path = "/var/lib/weir"  # file' in result.stdout

    # A second install (an upgrade) replaces binary and unit, never the edited config.
    (config_dir / "weir.toml").write_text('log_level = "debug"\n')
    (config_dir / "weir.env").write_text("NODE_ID=7\n")
    unit.write_text("stale\n")
    result = run_install(env)
    assert result.returncode == 0, result.stderr
    assert (config_dir / "weir.toml").read_text() == 'log_level = "debug"\n'
    assert (config_dir / "weir.env").read_text() == "NODE_ID=7\n"
    assert (config_dir / "weir.toml.example").read_text() == EXAMPLE_CONFIG.read_text()
    assert unit.read_text() == text


def test_install_with_destdir_stages_the_default_layout(tmp_path):
    stage = tmp_path / "stage"
    result = run_install({"DESTDIR": str(stage)})
    assert result.returncode == 0, result.stderr
    assert (stage / "usr" / "local" / "bin" / "weir").is_file()
    assert (stage / "etc" / "weir" / "weir.toml").is_file()
    unit = (stage / "etc" / "systemd" / "system" / "weir.service").read_text()
    # The staged unit names the final paths, not the staging folder.
    assert unit == UNIT.read_text()


def test_install_refuses_a_missing_binary(tmp_path):
    result = run_install({"DESTDIR": str(tmp_path), "WEIR_BINARY": str(tmp_path / "nothing")})
    assert result.returncode != 0 and "no weir binary" in result.stderr
    assert not (tmp_path / "etc").exists()


def promtool():
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not installed (package prometheus)")
    return path


def test_alert_rules_pass_promtool_check():
    result = subprocess.run([promtool(), "check", "rules", str(DEPLOY / "weir-alerts.yml")], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(r"SUCCESS: \d+ rules found", result.stdout)


def test_alert_rules_unit_tests_pass():
    result = subprocess.run([promtool(), "test", "rules", "weir-alerts.test.yml"], cwd=DEPLOY, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_alert_rules_use_only_metrics_the_broker_exports_or_well_known_ones(tmp_path):
    """An alert on a misspelt or renamed weir_ series never fires: every weir_ and process_
    name in an enabled rule must be in the broker's /metrics HELP lines."""
    kafka_port, metrics_port = free_port(), free_port()
    env = clean_environment(STORAGE_PATH=str(tmp_path / "data"), BIND_ADDRESS=f"127.0.0.1:{kafka_port}",
                            METRICS_BIND_ADDRESS=f"127.0.0.1:{metrics_port}")
    process = subprocess.Popen([str(broker_binary())], env=env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: process.poll() is not None or http_status(metrics_port, "/ready") == 200,
                   timeout=20, what="/ready to answer 200")
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=5) as response:
            exposition = response.read().decode()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    exported = set(re.findall(r"^# HELP (\S+) ", exposition, flags=re.M))
    # weir_request_errors_total gets its first series with the first error answered.
    exported.add("weir_request_errors_total")
    enabled = "\n".join(line for line in (DEPLOY / "weir-alerts.yml").read_text().splitlines()
                        if not line.lstrip().startswith("#"))
    used = set(re.findall(r"\b((?:weir|process)_[a-z0-9_]+)", enabled))
    used = {re.sub(r"_(bucket|sum|count)$", "", name) for name in used}
    assert used and used <= exported, f"not exported: {sorted(used - exported)}"
