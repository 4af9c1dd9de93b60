"""The TLS listener beside the plaintext one, with a CA, server and client certificates
made here by the `openssl` command line: kcat and confluent-kafka produce and consume
over TLS; with client certificates required a client without one is refused; a
plaintext client on the TLS port is refused while TLS and plaintext clients carry on."""
import shutil
import socket
import ssl
import subprocess
import time

import pytest

import kafka_wire as wire
from conftest import free_port
from support import run_command, unique_topic

KCAT = shutil.which("kcat")
OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")

RECORDS = 200


def openssl(*args, cwd):
    result = subprocess.run([OPENSSL, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=30)
    assert result.returncode == 0, f"openssl {' '.join(args)}: {result.stderr.decode(errors='replace')}"


class Certificates:
    """A CA, a server certificate for 127.0.0.1/localhost and a client certificate."""

    def __init__(self, folder):
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        ec_key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        openssl("req", "-x509", *ec_key, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
                "-subj", "/CN=weir test CA", "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=folder)
        self._issue("server", "/CN=localhost",
                    "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n", ec_key)
        self._issue("client", "/CN=weir test client", "extendedKeyUsage=clientAuth\n", ec_key)

    def _issue(self, name, subject, extensions, ec_key):
        (self.folder / f"{name}.ext").write_text(extensions)
        openssl("req", *ec_key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject,
                cwd=self.folder)
        openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", f"{name}.pem", "-days", "2", "-extfile", f"{name}.ext",
                cwd=self.folder)

    def path(self, name):
        return str(self.folder / name)

    def librdkafka_settings(self, with_client_certificate=True):
        settings = {"security.protocol": "ssl", "ssl.ca.location": self.path("ca.pem")}
        if with_client_certificate:
            settings["ssl.certificate.location"] = self.path("client.pem")
            settings["ssl.key.location"] = self.path("client.key")
        return settings


class TlsBroker:
    def __init__(self, broker, tls_port, certificates):
        self.broker = broker
        self.tls_port = tls_port
        self.certificates = certificates

    @property
    def tls_bootstrap(self):
        return f"127.0.0.1:{self.tls_port}"

    def connect_tls(self, with_client_certificate=True, maximum_version=None, ciphers=None):
        """A kafka_wire connection over TLS, handshake done."""
        context = ssl.create_default_context(cafile=self.certificates.path("ca.pem"))
        if maximum_version is not None:
            context.maximum_version = maximum_version
        if ciphers is not None:
            context.set_ciphers(ciphers)
        if with_client_certificate:
            context.load_cert_chain(self.certificates.path("client.pem"), self.certificates.path("client.key"))
        raw = socket.create_connection(("127.0.0.1", self.tls_port), timeout=10)
        connection = wire.Connection.__new__(wire.Connection)
        connection.timeout = 10
        connection.sock = context.wrap_socket(raw, server_hostname="127.0.0.1")
        connection.next_correlation_id = 1
        return connection


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    return Certificates(tmp_path_factory.mktemp("certificates"))


def start_tls_broker(broker_factory, certificates, require_client_certificate, **settings):
    tls_port = free_port()
    broker = broker_factory(TLS_BIND_ADDRESS=f"127.0.0.1:{tls_port}",
                            TLS_CERT_PATH=certificates.path("server.pem"),
                            TLS_KEY_PATH=certificates.path("server.key"),
                            TLS_CA_PATH=certificates.path("ca.pem"),
                            TLS_REQUIRE_CLIENT_CERT="true" if require_client_certificate else "false",
                            CONNECTION_RATE_LIMIT=0, **settings)
    return TlsBroker(broker, tls_port, certificates)


@pytest.fixture
def mutual_tls(broker_factory, certificates):
    return start_tls_broker(broker_factory, certificates, require_client_certificate=True)


def kcat_args(tls, *args):
    settings = tls.certificates.librdkafka_settings()
    settings_args = [arg for key, value in settings.items() for arg in ("-X", f"{key}={value}")]
    return [KCAT, "-b", tls.tls_bootstrap, *settings_args, *args]


@pytest.mark.skipif(KCAT is None, reason="kcat is not installed (apt-get install kcat)")
def test_kcat_produces_and_consumes_over_tls(mutual_tls):
    topic = unique_topic("tls-kcat")
    lines = [f"key-{n}:value-{n}" for n in range(RECORDS)]
    produced = run_command(kcat_args(mutual_tls, "-P", "-t", topic, "-K:", "-X", "acks=all",
                                     "-X", "enable.idempotence=false"),
                           input_bytes="".join(line + "\n" for line in lines).encode(), timeout=60)
    assert produced.returncode == 0, produced.stderr.decode(errors="replace")[-3000:]
    consumed = run_command(kcat_args(mutual_tls, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                                     "-f", "%k:%s\\n"), timeout=60)
    assert consumed.returncode == 0, consumed.stderr.decode(errors="replace")[-3000:]
    assert consumed.stdout.decode().split("\n")[:-1] == lines


def test_confluent_kafka_produces_and_consumes_over_tls(mutual_tls):
    from confluent_kafka import Consumer, KafkaError, Producer, TopicPartition
    import confluent_kafka

    topic = unique_topic("tls-confluent")
    settings = {"bootstrap.servers": mutual_tls.tls_bootstrap, **mutual_tls.certificates.librdkafka_settings()}
    producer = Producer({**settings, "acks": "all", "enable.idempotence": False, "retries": 0})
    errors = []
    for n in range(RECORDS):
        producer.produce(topic, key=f"key-{n}".encode(), value=f"value-{n}".encode(),
                         on_delivery=lambda error, _: error is not None and errors.append(str(error)))
    assert producer.flush(30) == 0
    assert not errors, errors[:5]

    consumer = Consumer({**settings, "group.id": "weir-integration-unused", "enable.auto.commit": False,
                         "enable.partition.eof": True})
    values = []
    try:
        consumer.assign([TopicPartition(topic, 0, confluent_kafka.OFFSET_BEGINNING)])
        deadline = time.monotonic() + 30
        while len(values) < RECORDS and time.monotonic() < deadline:
            for message in consumer.consume(num_messages=1000, timeout=1.0):
                if message.error() is None:
                    values.append(message.value().decode())
                elif message.error().code() != KafkaError._PARTITION_EOF:
                    pytest.fail(f"consumer error: {message.error()}")
    finally:
        consumer.close()
    assert values == [f"value-{n}" for n in range(RECORDS)]


def test_metadata_on_the_tls_port_advertises_the_tls_port(mutual_tls):
    with mutual_tls.connect_tls() as connection:
        metadata = wire.metadata_v1(connection, [])
    ports = [broker["port"] for broker in metadata["brokers"]]
    assert ports == [mutual_tls.tls_port], metadata["brokers"]
    with wire.Connection.to(mutual_tls.broker.bootstrap) as plaintext:
        metadata = wire.metadata_v1(plaintext, [])
    assert [broker["port"] for broker in metadata["brokers"]] == [mutual_tls.broker.port]


def test_tls_advertised_address_overrides_what_metadata_on_the_tls_port_says(broker_factory, certificates):
    tls_port = free_port()
    broker = broker_factory(TLS_BIND_ADDRESS=f"127.0.0.1:{tls_port}", TLS_ADVERTISED_ADDRESS="localhost:19093",
                            TLS_CERT_PATH=certificates.path("server.pem"),
                            TLS_KEY_PATH=certificates.path("server.key"))
    tls = TlsBroker(broker, tls_port, certificates)
    with tls.connect_tls(with_client_certificate=False) as connection:
        metadata = wire.metadata_v1(connection, [])
    assert [(b["host"], b["port"]) for b in metadata["brokers"]] == [("localhost", 19093)], metadata["brokers"]


def test_a_client_without_a_certificate_is_refused_when_one_is_required(mutual_tls):
    answered = False
    try:
        with mutual_tls.connect_tls(with_client_certificate=False) as connection:
            # TLS 1.3 finishes the client's side of the handshake before the server
            # checks the certificate; the refusal arrives on the first read.
            answered = wire.api_versions_v0(connection)[0] == wire.NONE
    except (ssl.SSLError, wire.ConnectionClosed, ConnectionResetError, BrokenPipeError):
        pass
    assert not answered, "a client without a certificate was served"
    # librdkafka without a certificate cannot even fetch metadata.
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import KafkaException
    admin = AdminClient({"bootstrap.servers": mutual_tls.tls_bootstrap,
                         **mutual_tls.certificates.librdkafka_settings(with_client_certificate=False)})
    with pytest.raises(KafkaException):
        admin.list_topics(timeout=3)
    # The same client with its certificate is served.
    with mutual_tls.connect_tls() as connection:
        assert wire.api_versions_v0(connection)[0] == wire.NONE
    log = mutual_tls.broker.log_text()
    assert "TLS handshake failed" in log
    assert "BEGIN" not in log and "PRIVATE" not in log


def test_a_plaintext_client_on_the_tls_port_is_refused_without_harming_others(mutual_tls):
    with mutual_tls.connect_tls() as tls_client, wire.Connection.to(mutual_tls.broker.bootstrap) as plaintext:
        assert wire.api_versions_v0(tls_client)[0] == wire.NONE
        for _ in range(5):
            with wire.Connection(host="127.0.0.1", port=mutual_tls.tls_port) as confused:
                confused.send_request(wire.API_API_VERSIONS, 0, wire.api_versions_v0_body())
                problem = confused.wait_closed(10)
                assert problem is None, problem
        assert wire.api_versions_v0(tls_client)[0] == wire.NONE
        assert wire.api_versions_v0(plaintext)[0] == wire.NONE
    assert mutual_tls.broker.log_text().count("TLS handshake failed") >= 5
    mutual_tls.broker.assert_running()


def test_optional_client_certificates_let_clients_without_one_in(broker_factory, certificates):
    tls = start_tls_broker(broker_factory, certificates, require_client_certificate=False)
    with tls.connect_tls(with_client_certificate=False) as connection:
        assert wire.api_versions_v0(connection)[0] == wire.NONE


def served(tls, **client_options):
    try:
        with tls.connect_tls(**client_options) as connection:
            return wire.api_versions_v0(connection)[0] == wire.NONE
    except (ssl.SSLError, wire.ConnectionClosed, ConnectionResetError, BrokenPipeError):
        return False


def test_clients_below_the_minimum_tls_version_are_refused(broker_factory, certificates):
    tls = start_tls_broker(broker_factory, certificates, False, TLS_MIN_VERSION="1.3")
    assert not served(tls, maximum_version=ssl.TLSVersion.TLSv1_2)
    assert served(tls)


def test_only_the_configured_tls_1_2_ciphers_are_accepted(broker_factory, certificates):
    tls = start_tls_broker(broker_factory, certificates, False, TLS_CIPHERS="ECDHE-ECDSA-AES256-GCM-SHA384")
    tls_1_2 = ssl.TLSVersion.TLSv1_2
    assert not served(tls, maximum_version=tls_1_2, ciphers="ECDHE-ECDSA-AES128-GCM-SHA256")
    assert served(tls, maximum_version=tls_1_2, ciphers="ECDHE-ECDSA-AES256-GCM-SHA384")


def test_a_key_that_does_not_match_the_certificate_stops_start_up(tmp_path, certificates):
    from conftest import broker_binary
    env = {"PATH": "/usr/bin:/bin", "BIND_ADDRESS": f"127.0.0.1:{free_port()}",
           "STORAGE_PATH": str(tmp_path / "data"), "TLS_BIND_ADDRESS": f"127.0.0.1:{free_port()}",
           "TLS_CERT_PATH": certificates.path("server.pem"), "TLS_KEY_PATH": certificates.path("client.key")}
    result = subprocess.run([str(broker_binary())], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            timeout=30)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 2, stderr
    assert "TLS_KEY_PATH" in stderr and "mismatch" in stderr, stderr
    assert "PRIVATE" not in stderr


def test_open_tls_connections_do_not_hold_up_a_graceful_stop(mutual_tls):
    idle = mutual_tls.connect_tls()
    handshaking = socket.create_connection(("127.0.0.1", mutual_tls.tls_port), timeout=10)
    try:
        assert wire.api_versions_v0(idle)[0] == wire.NONE
        started = time.monotonic()
        mutual_tls.broker.stop(timeout=10)
        assert time.monotonic() - started < 5, "stopping took longer than the idle TLS connections justify"
        assert idle.wait_closed(5) is None
    finally:
        idle.close()
        handshaking.close()
