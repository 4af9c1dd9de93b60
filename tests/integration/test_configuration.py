"""Configuration sources, their precedence, and every start-up error.

Sources, lowest precedence first: built-in defaults, the TOML file given with --config,
environment variables, command-line flags. `weir --print-config` shows each effective
value and its source; a bad value stops start-up with exit code 2 and a message naming
the setting and the reason. Most checks run the real binary with --print-config (it
loads and validates exactly as a start does, then exits); the precedence checks also
start a broker and see which port it actually listens on.
"""
import json
import os
import pathlib
import signal
import socket
import subprocess
import time
import tomllib

import pytest

import kafka_wire
from conftest import REPO_ROOT, broker_settings, broker_binary, free_port, port_accepts

# Every setting issue 4 and the operations design name, by environment variable.
DOCUMENTED_SETTINGS = (
    "BIND_ADDRESS", "ADVERTISED_ADDRESS", "STORAGE_PATH", "METRICS_BIND_ADDRESS", "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_IP", "CONNECTION_RATE_LIMIT", "RATE_LIMIT_BAN_SECS", "CONNECTION_ALLOW_LIST",
    "IDLE_TIMEOUT_SECS", "REQUEST_TIMEOUT_SECS", "BACKPRESSURE_THRESHOLD", "BACKPRESSURE_THRESHOLD_BYTES",
    "REQUEST_BUFFER_BUDGET_BYTES", "TLS_BIND_ADDRESS", "TLS_CERT_PATH", "TLS_KEY_PATH", "TLS_CA_PATH",
    "TLS_REQUIRE_CLIENT_CERT", "TLS_MIN_VERSION", "TLS_CIPHERS", "SHUTDOWN_TIMEOUT_SECS",
    "WEIR_LOG_LEVEL", "LOG_FORMAT", "MAX_REQUEST_BYTES", "NETWORK_THREADS", "NODE_ID",
    "AUTO_CREATE_TOPICS", "DEFAULT_PARTITIONS",
)


def clean_environment(settings=None, **more_settings):
    env = {k: v for k, v in os.environ.items() if k not in broker_settings()}
    env.update({k: str(v) for k, v in {**(settings or {}), **more_settings}.items()})
    return env


def run_weir(*args, env=None, cwd=None, timeout=20):
    return subprocess.run([str(broker_binary()), *map(str, args)], env=env or clean_environment(),
                          cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=timeout)


def effective(*args, env=None, cwd=None):
    """--print-config as {key: (value, source)}; the output must itself be valid TOML."""
    result = run_weir(*args, "--print-config", env=env, cwd=cwd)
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}"
    values = tomllib.loads(result.stdout)
    sources = {}
    for line in result.stdout.splitlines():
        if line.startswith("#") or not line.strip():
            continue
        key = line.split("=", 1)[0].strip()
        sources[key] = (values[key], line.rsplit("# ", 1)[1])
    return sources


def write_toml(tmp_path, text, name="weir.toml"):
    path = tmp_path / name
    path.write_text(text)
    return path


def reference_rows():
    """(env var, key, flag, default) from --print-config-reference's Markdown table."""
    result = run_weir("--print-config-reference")
    assert result.returncode == 0, result.stderr
    rows = []
    for line in result.stdout.splitlines():
        if line.startswith("| `"):
            cells = [cell.strip().strip("`") for cell in line.strip("|").split(" | ")]
            rows.append(tuple(cells[:4]))
    return rows


# --- defaults and sources ---------------------------------------------------------------

def test_defaults_are_reported_as_defaults():
    config = effective()
    assert config["max_connections"] == (10000, "default")
    assert config["max_connections_per_ip"] == (100, "default")
    assert config["connection_rate_limit"] == (100, "default")
    assert config["rate_limit_ban_secs"] == (60, "default")
    assert config["idle_timeout_secs"] == (600, "default")
    assert config["request_timeout_secs"] == (30, "default")
    assert config["backpressure_threshold"] == (1000, "default")
    assert config["tls_bind_address"] == ("", "default")
    assert config["bind_address"] == ("0.0.0.0:9092", "default")
    assert config["log_format"] == ("text", "default")
    assert {source for _, source in config.values()} == {"default"}


def test_file_overrides_defaults(tmp_path):
    path = write_toml(tmp_path, 'max_connections = 50\nconnection_allow_list = ["10.0.0.0/8", "::1"]\n'
                                'tls_require_client_cert = true\nstorage_path = "/srv/weir"\n')
    config = effective("--config", path)
    assert config["max_connections"] == (50, "file")
    assert config["connection_allow_list"] == ("10.0.0.0/8,::1", "file")
    assert config["tls_require_client_cert"] == (True, "file")
    assert config["storage_path"] == ("/srv/weir", "file")
    assert config["max_connections_per_ip"] == (100, "default")


def test_environment_overrides_file(tmp_path):
    path = write_toml(tmp_path, "max_connections = 50\nidle_timeout_secs = 60\n")
    config = effective("--config", path, env=clean_environment(MAX_CONNECTIONS=70))
    assert config["max_connections"] == (70, "env")
    assert config["idle_timeout_secs"] == (60, "file")


def test_flag_overrides_environment_and_file(tmp_path):
    path = write_toml(tmp_path, "max_connections = 50\nrate_limit_ban_secs = 5\n")
    env = clean_environment(MAX_CONNECTIONS=70, RATE_LIMIT_BAN_SECS=6, REQUEST_TIMEOUT_SECS=7)
    config = effective("--config", path, "--max-connections", 90, "--rate-limit-ban-secs=8", env=env)
    assert config["max_connections"] == (90, "flag")
    assert config["rate_limit_ban_secs"] == (8, "flag")
    assert config["request_timeout_secs"] == (7, "env")


def test_flag_overrides_default_and_an_empty_flag_unsets_a_listener(tmp_path):
    config = effective("--metrics-bind-address", "127.0.0.1:9644", "--log-format", "json")
    assert config["metrics_bind_address"] == ("127.0.0.1:9644", "flag")
    assert config["log_format"] == ("json", "flag")
    path = write_toml(tmp_path, 'metrics_bind_address = "127.0.0.1:9644"\n')
    config = effective("--config", path, "--metrics-bind-address", "")
    assert config["metrics_bind_address"] == ("", "flag")


def test_every_setting_has_a_working_flag_environment_variable_and_key(tmp_path):
    """Sets every setting to its own default through each source in turn; each reports
    that source, so no table entry is missing a path."""
    rows = reference_rows()
    defaults = effective()
    for env_var, key, flag, _ in rows:
        value, _ = defaults[key]
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        toml_value = text if isinstance(value, bool) else json.dumps(value)
        path = write_toml(tmp_path, f"{key} = {toml_value}\n", name=f"{key}.toml")
        assert effective("--config", path)[key] == (value, "file"), key
        assert effective(env=clean_environment({env_var: text}))[key] == (value, "env"), env_var
        assert effective(flag, text)[key] == (value, "flag"), flag


def test_print_config_output_is_a_config_file_that_reproduces_itself(tmp_path):
    env = clean_environment(MAX_CONNECTIONS=70, CONNECTION_ALLOW_LIST="192.0.2.0/24",
                            STORAGE_PATH='dir with "quotes"')
    first = run_weir("--print-config", "--node-id", 3, env=env)
    assert first.returncode == 0, first.stderr
    path = write_toml(tmp_path, first.stdout)
    second = effective("--config", path)
    values = {key: value for key, (value, _) in effective(env=env).items()}
    assert {key: value for key, (value, _) in second.items()} == {**values, "node_id": 3}


def test_the_effective_configuration_is_what_the_broker_uses(tmp_path):
    """The flag's port wins over the environment's and the file's: the broker listens
    there and nowhere else, and stores its data where the file says."""
    file_port, env_port, flag_port = free_port(), free_port(), free_port()
    data = tmp_path / "from-file"
    path = write_toml(tmp_path, f'bind_address = "127.0.0.1:{file_port}"\nstorage_path = "{data}"\n')
    env = clean_environment(BIND_ADDRESS=f"127.0.0.1:{env_port}")
    log = open(tmp_path / "broker.log", "w")
    process = subprocess.Popen([str(broker_binary()), "--config", str(path), "--bind-address",
                                f"127.0.0.1:{flag_port}"], env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 20
        while not port_accepts(flag_port):
            assert process.poll() is None, (tmp_path / "broker.log").read_text()
            assert time.monotonic() < deadline, "broker did not listen on the flag's port"
            time.sleep(0.05)
        with kafka_wire.Connection("127.0.0.1", flag_port) as connection:
            assert kafka_wire.api_versions_v0(connection)[0] == 0
        assert not port_accepts(env_port) and not port_accepts(file_port)
        assert (data / "CURRENT").exists(), "RocksDB not in the folder the file named"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


# --- help and reference -----------------------------------------------------------------

def test_help_lists_every_setting_with_flag_environment_variable_and_default():
    result = run_weir("--help")
    assert result.returncode == 0
    rows = reference_rows()
    assert {row[0] for row in rows} >= set(DOCUMENTED_SETTINGS)
    for env_var, key, flag, default in rows:
        entry = result.stdout.split(f"  {flag} ", 1)
        assert len(entry) == 2, f"{flag} missing from --help"
        assert f"{env_var}, default {default}\n" in entry[1].split("\n  --", 1)[0], env_var
    assert "--config FILE" in result.stdout and "--print-config" in result.stdout


def test_docs_configuration_md_is_the_generated_reference():
    result = run_weir("--print-config-reference")
    committed = (REPO_ROOT / "docs" / "configuration.md").read_text()
    assert result.stdout == committed, (
        "docs/configuration.md is stale: regenerate it with "
        "`build/dev/server/weir --print-config-reference > docs/configuration.md`")


# --- start-up errors: exit code 2 and a message naming the setting and the reason --------

BAD_ENVIRONMENT = [
    ({"MAX_CONNECTIONS": "lots"}, "MAX_CONNECTIONS: 'lots' is not an integer from 1 to 1000000"),
    ({"MAX_CONNECTIONS_PER_IP": "0"}, "MAX_CONNECTIONS_PER_IP: '0' is not an integer from 1 to 1000000"),
    ({"CONNECTION_RATE_LIMIT": "-1"}, "CONNECTION_RATE_LIMIT: '-1' is not an integer from 0 to 1000000"),
    ({"RATE_LIMIT_BAN_SECS": "5m"}, "RATE_LIMIT_BAN_SECS: '5m' is not an integer"),
    ({"CONNECTION_ALLOW_LIST": "10.0.0.0/8,10.1.2.300"},
     "CONNECTION_ALLOW_LIST: '10.1.2.300' is not an IP address or CIDR network"),
    ({"CONNECTION_ALLOW_LIST": "10.0.0.0/40"}, "CONNECTION_ALLOW_LIST: '10.0.0.0/40' has no prefix length from 0 to 32"),
    ({"IDLE_TIMEOUT_SECS": "0"}, "IDLE_TIMEOUT_SECS: '0' is not an integer from 1 to"),
    ({"REQUEST_TIMEOUT_SECS": "1.5"}, "REQUEST_TIMEOUT_SECS: '1.5' is not an integer from 1 to 86400"),
    ({"BACKPRESSURE_THRESHOLD": "0"}, "BACKPRESSURE_THRESHOLD: '0' is not an integer from 1 to 1000000"),
    ({"BACKPRESSURE_THRESHOLD_BYTES": "1k"}, "BACKPRESSURE_THRESHOLD_BYTES: '1k' is not an integer from 1024 to"),
    ({"REQUEST_BUFFER_BUDGET_BYTES": "2048"},
     "REQUEST_BUFFER_BUDGET_BYTES: 2048 is less than MAX_REQUEST_BYTES (104857600)"),
    ({"MAX_REQUEST_BYTES": "10"}, "MAX_REQUEST_BYTES: '10' is not an integer from 1024 to 2147483647"),
    ({"NETWORK_THREADS": "999"}, "NETWORK_THREADS: '999' is not an integer from 0 to 256"),
    ({"NODE_ID": "-1"}, "NODE_ID: '-1' is not an integer from 0 to 2147483647"),
    ({"DEFAULT_PARTITIONS": "0"}, "DEFAULT_PARTITIONS: '0' is not an integer from 1 to 100000"),
    ({"AUTO_CREATE_TOPICS": "maybe"}, "AUTO_CREATE_TOPICS: 'maybe' is not true or false"),
    ({"BIND_ADDRESS": "localhost"}, "BIND_ADDRESS: 'localhost' is not host:port"),
    ({"BIND_ADDRESS": "127.0.0.1:70000"}, "BIND_ADDRESS: '127.0.0.1:70000' has no port from 0 to 65535"),
    ({"ADVERTISED_ADDRESS": "broker:0"}, "ADVERTISED_ADDRESS: 'broker:0' needs a non-zero port"),
    ({"METRICS_BIND_ADDRESS": "[::1]9644"}, "METRICS_BIND_ADDRESS: '[::1]9644' is not host:port"),
    ({"STORAGE_PATH": ""}, "STORAGE_PATH: must not be empty"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1"}, "TLS_BIND_ADDRESS: '127.0.0.1' is not host:port"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093"}, "TLS_CERT_PATH: must be set when TLS_BIND_ADDRESS is"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093", "TLS_CERT_PATH": "{cert}"},
     "TLS_KEY_PATH: must be set when TLS_BIND_ADDRESS is"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093", "TLS_CERT_PATH": "{missing}", "TLS_KEY_PATH": "{cert}"},
     "TLS_CERT_PATH: cannot read '{missing}': No such file or directory"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093", "TLS_CERT_PATH": "{cert}", "TLS_KEY_PATH": "{missing}"},
     "TLS_KEY_PATH: cannot read '{missing}': No such file or directory"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093", "TLS_CERT_PATH": "{cert}", "TLS_KEY_PATH": "{cert}",
      "TLS_CA_PATH": "{missing}"}, "TLS_CA_PATH: cannot read '{missing}': No such file or directory"),
    ({"TLS_BIND_ADDRESS": "127.0.0.1:9093", "TLS_CERT_PATH": "{cert}", "TLS_KEY_PATH": "{cert}",
      "TLS_REQUIRE_CLIENT_CERT": "true"}, "TLS_CA_PATH: must be set when TLS_REQUIRE_CLIENT_CERT is true"),
    ({"TLS_REQUIRE_CLIENT_CERT": "required"}, "TLS_REQUIRE_CLIENT_CERT: 'required' is not true or false"),
    ({"TLS_MIN_VERSION": "1.1"}, "TLS_MIN_VERSION: '1.1' is not 1.2 or 1.3"),
    ({"TLS_CIPHERS": "NO-SUCH-CIPHER"}, "TLS_CIPHERS: 'NO-SUCH-CIPHER' selects no cipher OpenSSL knows"),
    ({"SHUTDOWN_TIMEOUT_SECS": "forever"}, "SHUTDOWN_TIMEOUT_SECS: 'forever' is not an integer from 0 to 3600"),
    ({"WEIR_LOG_LEVEL": "verbose"}, "WEIR_LOG_LEVEL: 'verbose' is not debug, info, warn or error"),
    ({"LOG_FORMAT": "xml"}, "LOG_FORMAT: 'xml' is not text or json"),
]


def assert_refused(result, expected):
    assert result.returncode == 2, f"exit {result.returncode}, stderr: {result.stderr}"
    assert expected in result.stderr, f"wanted {expected!r} in {result.stderr!r}"
    assert result.stdout == ""


@pytest.mark.parametrize("settings, expected", BAD_ENVIRONMENT,
                         ids=[f"{'+'.join(s)}={list(s.values())[-1]}" for s, _ in BAD_ENVIRONMENT])
def test_bad_environment_value_stops_start_up(tmp_path, settings, expected):
    cert = tmp_path / "cert.pem"
    cert.write_text("not checked until the TLS listener loads it\n")
    paths = {"cert": cert, "missing": tmp_path / "missing.pem"}
    env = clean_environment({"STORAGE_PATH": tmp_path / "data", "BIND_ADDRESS": f"127.0.0.1:{free_port()}",
                             **{k: v.format(**paths) for k, v in settings.items()}})
    # Without --print-config: a real start, which must refuse before opening storage.
    assert_refused(run_weir(env=env), "weir: invalid configuration: " + expected.format(**paths))
    assert not (tmp_path / "data").exists()


def test_bad_value_in_the_file_names_the_key_and_the_file(tmp_path):
    path = write_toml(tmp_path, "max_connections_per_ip = 0\n")
    assert_refused(run_weir("--config", path),
                   f"max_connections_per_ip in {path}: '0' is not an integer from 1 to 1000000")


def test_wrong_toml_type_is_refused(tmp_path):
    path = write_toml(tmp_path, "idle_timeout_secs = 1.5\n")
    assert_refused(run_weir("--config", path),
                   f"idle_timeout_secs in {path}: expected a string, integer, boolean or array of strings")


def test_unknown_toml_key_is_refused(tmp_path):
    path = write_toml(tmp_path, "max_connections = 5\nmax_conections_per_ip = 5\n")
    assert_refused(run_weir("--config", path), f"max_conections_per_ip in {path}: unknown setting")


def test_toml_table_is_an_unknown_key(tmp_path):
    path = write_toml(tmp_path, "[tls]\ncert_path = 'x'\n")
    assert_refused(run_weir("--config", path), f"tls in {path}: unknown setting")


def test_unreadable_config_file_is_refused(tmp_path):
    assert_refused(run_weir("--config", tmp_path / "absent.toml"),
                   f"--config: cannot read '{tmp_path / 'absent.toml'}': No such file or directory")
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    assert_refused(run_weir("--config", folder), f"--config: cannot read '{folder}': it is a folder")


def test_invalid_toml_is_refused_with_its_position(tmp_path):
    path = write_toml(tmp_path, "max_connections = 5\nbind_address = \n")
    assert_refused(run_weir("--config", path), f"--config: '{path}' is not valid TOML (line 2")


def test_bad_flag_value_names_the_flag():
    assert_refused(run_weir("--max-connections", "0"),
                   "weir: invalid configuration: --max-connections: '0' is not an integer from 1 to 1000000")


def test_environment_is_checked_even_when_a_flag_overrides_it():
    assert_refused(run_weir("--max-connections", "5", env=clean_environment(MAX_CONNECTIONS="x")),
                   "MAX_CONNECTIONS: 'x' is not an integer")


def test_unknown_flag_and_missing_value_are_refused():
    assert_refused(run_weir("--max-conections", "5"), "--max-conections")
    result = run_weir("--max-connections")
    assert result.returncode == 2 and "--max-connections" in result.stderr, result.stderr
    assert_refused(run_weir("stray"), "stray")


# --- logs -----------------------------------------------------------------------------

def test_json_log_lines_parse_and_carry_connection_events(broker_factory):
    broker = broker_factory(LOG_FORMAT="json", WEIR_LOG_LEVEL="debug")
    with kafka_wire.Connection.to(broker.bootstrap) as connection:
        kafka_wire.api_versions_v0(connection)
    with kafka_wire.Connection.to(broker.bootstrap) as connection:
        connection.send_raw(kafka_wire.int32(-5))  # a broken frame: closed with a reason
        assert connection.wait_closed() is None
    broker.stop()
    events = [json.loads(line) for line in broker.log_text().splitlines()
              if not line.startswith("--- test harness")]
    assert events, "no log lines"
    for event in events:
        assert {"ts", "level", "msg"} <= event.keys(), event
        assert event["level"] in ("debug", "info", "warn", "error")
        assert event["ts"].endswith("Z") and "T" in event["ts"]
    closes = [e for e in events if e["msg"] == "connection closed"]
    # The harness's readiness probe connects too, so at least our two.
    assert len(closes) >= 2, events
    assert all(e["peer"].startswith("127.0.0.1:") for e in closes)
    assert any(e["reason"] == "peer closed" for e in closes), closes
    assert any(e["reason"] == "negative frame size (-5 bytes)" for e in closes), closes
    assert any(e["msg"] == "stopped" for e in events)


def test_text_log_lines_are_key_value_pairs(broker):
    broker.stop()
    lines = [line for line in broker.log_text().splitlines() if not line.startswith("--- test harness")]
    assert lines
    for line in lines:
        assert line.startswith("ts=") and " level=" in line and " msg=" in line, line


# --- start-up failures that are not bad values: exit code 1 and the reason ------------

def test_a_busy_port_stops_start_up_naming_the_address(tmp_path):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        address = f"127.0.0.1:{holder.getsockname()[1]}"
        result = run_weir(env=clean_environment(BIND_ADDRESS=address, STORAGE_PATH=tmp_path / "data"))
    assert result.returncode == 1, result.stderr
    assert "cannot listen" in result.stderr and address in result.stderr
    assert "Address already in use" in result.stderr


def test_storage_that_cannot_open_stops_start_up_naming_the_path(tmp_path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    result = run_weir(env=clean_environment(BIND_ADDRESS=f"127.0.0.1:{free_port()}", STORAGE_PATH=not_a_folder))
    assert result.returncode == 1, result.stderr
    assert "cannot open storage" in result.stderr and str(not_a_folder) in result.stderr
