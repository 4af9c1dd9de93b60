"""A tiny raw Kafka client for tests that must send what no real client would.

Builds a few requests by hand (ApiVersions v0 and v3, Metadata v1, Produce v3, Fetch v4),
encodes and decodes magic-2 record batches (uncompressed) with their CRC-32C, and reads
response frames with a timeout. Field layouts follow Kafka's message definitions
(`clients/src/main/resources/common/message/*.json`); only the versions named here are
supported.
"""
import socket
import struct
import time

API_PRODUCE = 0
API_FETCH = 1
API_METADATA = 3
API_API_VERSIONS = 18

# Kafka error codes the tests look for.
NONE = 0
CORRUPT_MESSAGE = 2
UNKNOWN_TOPIC_OR_PARTITION = 3
LEADER_NOT_AVAILABLE = 5
UNSUPPORTED_VERSION = 35


class ConnectionClosed(Exception):
    """The broker closed (or reset) the connection."""


# --- CRC-32C (Castagnoli), as record batches use --------------------------------------

def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data, crc=0):
    crc ^= 0xFFFFFFFF
    table = _CRC32C_TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283  # the standard check value


# --- primitive encoders -----------------------------------------------------------------

def int8(value):
    return struct.pack(">b", value)


def int16(value):
    return struct.pack(">h", value)


def int32(value):
    return struct.pack(">i", value)


def int64(value):
    return struct.pack(">q", value)


def string(value):
    """STRING / NULLABLE_STRING: int16 length (-1 for null), then UTF-8 bytes."""
    if value is None:
        return int16(-1)
    data = value.encode()
    return int16(len(data)) + data


def bytes_field(value):
    """BYTES / NULLABLE_BYTES / RECORDS: int32 length (-1 for null), then the bytes."""
    if value is None:
        return int32(-1)
    return int32(len(value)) + value


def array(items, encode=lambda item: item):
    """ARRAY: int32 count (-1 for null), then each element."""
    if items is None:
        return int32(-1)
    return int32(len(items)) + b"".join(encode(item) for item in items)


def unsigned_varint(value):
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def varint(value):
    """Zigzag-encoded signed varint (records use these for lengths and deltas)."""
    return unsigned_varint((value << 1) ^ (value >> 63))


def compact_string(value):
    if value is None:
        return unsigned_varint(0)
    data = value.encode()
    return unsigned_varint(len(data) + 1) + data


EMPTY_TAGGED_FIELDS = unsigned_varint(0)


# --- primitive decoder ------------------------------------------------------------------

class Reader:
    def __init__(self, data):
        self.data = bytes(data)
        self.position = 0

    def remaining(self):
        return len(self.data) - self.position

    def take(self, count):
        if count < 0 or self.position + count > len(self.data):
            raise ValueError(f"need {count} bytes at {self.position}, have {self.remaining()}")
        chunk = self.data[self.position:self.position + count]
        self.position += count
        return chunk

    def _unpack(self, fmt, size):
        return struct.unpack(fmt, self.take(size))[0]

    def int8(self):
        return self._unpack(">b", 1)

    def int16(self):
        return self._unpack(">h", 2)

    def int32(self):
        return self._unpack(">i", 4)

    def uint32(self):
        return self._unpack(">I", 4)

    def int64(self):
        return self._unpack(">q", 8)

    def boolean(self):
        return self.int8() != 0

    def string(self):
        length = self.int16()
        return None if length < 0 else self.take(length).decode()

    def bytes_field(self):
        length = self.int32()
        return None if length < 0 else self.take(length)

    def array(self, decode):
        count = self.int32()
        return None if count < 0 else [decode(self) for _ in range(count)]

    def unsigned_varint(self):
        value = 0
        shift = 0
        while True:
            byte = self.take(1)[0]
            value |= (byte & 0x7F) << shift
            if not byte & 0x80:
                return value
            shift += 7
            if shift > 63:
                raise ValueError("varint too long")

    def varint(self):
        raw = self.unsigned_varint()
        return (raw >> 1) ^ -(raw & 1)

    def compact_array(self, decode):
        count = self.unsigned_varint() - 1
        return None if count < 0 else [decode(self) for _ in range(count)]

    def skip_tagged_fields(self):
        for _ in range(self.unsigned_varint()):
            self.unsigned_varint()  # tag
            self.take(self.unsigned_varint())


# --- record batches (magic 2) -----------------------------------------------------------

def encode_record(offset_delta, key, value, headers=(), timestamp_delta=0):
    body = int8(0)  # attributes, unused
    body += varint(timestamp_delta) + varint(offset_delta)
    body += varint(-1) if key is None else varint(len(key)) + key
    body += varint(-1) if value is None else varint(len(value)) + value
    body += varint(len(headers))
    for header_key, header_value in headers:
        name = header_key.encode()
        body += varint(len(name)) + name
        body += varint(-1) if header_value is None else varint(len(header_value)) + header_value
    return varint(len(body)) + body


def record_batch(records, *, base_offset=0, base_timestamp=None, producer_id=-1,
                 producer_epoch=-1, base_sequence=-1, attributes=0, corrupt_crc=False):
    """A magic-2 batch of uncompressed records; each record is (key, value[, headers]).

    With corrupt_crc the stored CRC is off by one, which a broker must reject with
    CORRUPT_MESSAGE.
    """
    if base_timestamp is None:
        base_timestamp = int(time.time() * 1000)
    encoded = b"".join(
        encode_record(index, record[0], record[1], record[2] if len(record) > 2 else ())
        for index, record in enumerate(records))
    after_crc = (int16(attributes) + int32(len(records) - 1) + int64(base_timestamp)
                 + int64(base_timestamp) + int64(producer_id) + int16(producer_epoch)
                 + int32(base_sequence) + int32(len(records)) + encoded)
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc = (crc + 1) & 0xFFFFFFFF
    after_length = int32(0) + int8(2) + struct.pack(">I", crc) + after_crc  # leader epoch 0
    return int64(base_offset) + int32(len(after_length)) + after_length


def decode_record_batches(data):
    """Decodes a RECORDS field into dicts with offset, timestamp, key, value, headers.

    Checks each batch's CRC-32C. Compressed batches are not supported (the raw tests only
    read back what they wrote uncompressed). A partial batch at the end, which Kafka may
    return when a fetch is cut at max_bytes, is ignored.
    """
    records = []
    reader = Reader(data or b"")
    while reader.remaining() >= 12:
        base_offset = reader.int64()
        batch_length = reader.int32()
        if batch_length > reader.remaining():
            break
        batch = Reader(reader.take(batch_length))
        batch.int32()  # partition leader epoch
        magic = batch.int8()
        if magic != 2:
            raise ValueError(f"batch at offset {base_offset} has magic {magic}, want 2")
        crc = batch.uint32()
        if crc32c(batch.data[batch.position:]) != crc:
            raise ValueError(f"batch at offset {base_offset} fails its CRC-32C")
        attributes = batch.int16()
        if attributes & 0x07:
            raise ValueError(f"batch at offset {base_offset} is compressed; not supported here")
        batch.int32()  # last offset delta
        base_timestamp = batch.int64()
        batch.int64()  # max timestamp
        batch.int64()  # producer id
        batch.int16()  # producer epoch
        batch.int32()  # base sequence
        count = batch.int32()
        control = bool(attributes & 0x20)
        for _ in range(count):
            length = batch.varint()
            record = Reader(batch.take(length))
            record.int8()
            timestamp_delta = record.varint()
            offset_delta = record.varint()
            key_length = record.varint()
            key = None if key_length < 0 else record.take(key_length)
            value_length = record.varint()
            value = None if value_length < 0 else record.take(value_length)
            headers = []
            for _ in range(record.varint()):
                name = record.take(record.varint()).decode()
                header_length = record.varint()
                headers.append((name, None if header_length < 0 else record.take(header_length)))
            if not control:
                records.append({"offset": base_offset + offset_delta,
                                "timestamp": base_timestamp + timestamp_delta,
                                "key": key, "value": value, "headers": headers})
    return records


# --- requests ---------------------------------------------------------------------------

def request_header(api_key, api_version, correlation_id, client_id="weir-integration",
                   flexible=False):
    """Request header v1, or v2 (v1 plus empty tagged fields) for flexible versions."""
    header = int16(api_key) + int16(api_version) + int32(correlation_id) + string(client_id)
    return header + EMPTY_TAGGED_FIELDS if flexible else header


def api_versions_v0_body():
    return b""


def api_versions_v3_body(software_name="weir-integration", software_version="1.0"):
    return compact_string(software_name) + compact_string(software_version) + EMPTY_TAGGED_FIELDS


def metadata_v1_body(topics):
    """topics None means all topics (and, on v1, asks to auto-create none)."""
    return array(None if topics is None else [string(name) for name in topics])


def produce_v3_body(topic, partition, records_bytes, acks=-1, timeout_ms=10000):
    partitions = array([int32(partition) + bytes_field(records_bytes)])
    return string(None) + int16(acks) + int32(timeout_ms) + array([string(topic) + partitions])


def fetch_v4_body(topic, partition, offset, max_wait_ms=0, min_bytes=0,
                  max_bytes=50 * 1024 * 1024, partition_max_bytes=10 * 1024 * 1024):
    partitions = array([int32(partition) + int64(offset) + int32(partition_max_bytes)])
    return (int32(-1) + int32(max_wait_ms) + int32(min_bytes) + int32(max_bytes)
            + int8(0) + array([string(topic) + partitions]))


# --- response decoders (body after the correlation id) --------------------------------

def decode_api_versions_v0(body):
    reader = Reader(body)
    error_code = reader.int16()
    apis = reader.array(lambda r: (r.int16(), r.int16(), r.int16()))
    return error_code, {key: (low, high) for key, low, high in apis}


def decode_api_versions_v3(body):
    reader = Reader(body)
    error_code = reader.int16()

    def entry(r):
        key, low, high = r.int16(), r.int16(), r.int16()
        r.skip_tagged_fields()
        return key, low, high

    apis = reader.compact_array(entry)
    reader.int32()  # throttle time
    reader.skip_tagged_fields()
    return error_code, {key: (low, high) for key, low, high in apis}


def decode_metadata_v1(body):
    reader = Reader(body)
    brokers = reader.array(lambda r: {"node_id": r.int32(), "host": r.string(),
                                      "port": r.int32(), "rack": r.string()})
    controller_id = reader.int32()

    def partition(r):
        return {"error_code": r.int16(), "partition": r.int32(), "leader": r.int32(),
                "replicas": r.array(Reader.int32), "isr": r.array(Reader.int32)}

    def topic(r):
        return {"error_code": r.int16(), "name": r.string(), "is_internal": r.boolean(),
                "partitions": r.array(partition)}

    topics = reader.array(topic)
    return {"brokers": brokers, "controller_id": controller_id,
            "topics": {t["name"]: t for t in topics}}


def decode_produce_v3(body):
    """{(topic, partition): (error_code, base_offset)}"""
    reader = Reader(body)
    result = {}
    for name, partitions in reader.array(
            lambda r: (r.string(), r.array(lambda p: (p.int32(), p.int16(), p.int64(), p.int64())))):
        for partition, error_code, base_offset, _log_append_time in partitions:
            result[(name, partition)] = (error_code, base_offset)
    reader.int32()  # throttle time
    return result


def decode_fetch_v4(body):
    """{(topic, partition): {"error_code", "high_watermark", "records"}}"""
    reader = Reader(body)
    reader.int32()  # throttle time
    result = {}

    def partition(r):
        index, error_code, high_watermark, _last_stable = r.int32(), r.int16(), r.int64(), r.int64()
        r.array(lambda a: (a.int64(), a.int64()))  # aborted transactions
        return index, {"error_code": error_code, "high_watermark": high_watermark,
                       "records": r.bytes_field()}

    for name, partitions in reader.array(lambda r: (r.string(), r.array(partition))):
        for index, data in partitions:
            result[(name, index)] = data
    return result


# --- connection -------------------------------------------------------------------------

class Connection:
    """One TCP connection speaking Kafka framing. Every read has a timeout."""

    def __init__(self, host, port, timeout=10.0):
        self.timeout = timeout
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.next_correlation_id = 1

    @classmethod
    def to(cls, bootstrap, timeout=10.0):
        host, port = bootstrap.rsplit(":", 1)
        return cls(host, int(port), timeout)

    def close(self):
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ConnectionClosed(f"send failed: {error}") from error

    def send_frame(self, payload):
        self.send_raw(int32(len(payload)) + payload)

    def send_request(self, api_key, api_version, body, flexible_header=False):
        correlation_id = self.next_correlation_id
        self.next_correlation_id += 1
        self.send_frame(request_header(api_key, api_version, correlation_id,
                                       flexible=flexible_header) + body)
        return correlation_id

    def _read_exactly(self, count, timeout):
        deadline = time.monotonic() + timeout
        chunks = []
        while count > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no complete response within {timeout} s")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(min(count, 1 << 20))
            except socket.timeout as error:
                raise TimeoutError(f"no complete response within {timeout} s") from error
            except ConnectionResetError as error:
                raise ConnectionClosed("connection reset by the broker") from error
            if not chunk:
                raise ConnectionClosed("connection closed by the broker")
            chunks.append(chunk)
            count -= len(chunk)
        return b"".join(chunks)

    def read_frame(self, timeout=None):
        """The next response frame, without its size prefix."""
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        (size,) = struct.unpack(">i", self._read_exactly(4, timeout))
        if size < 4:
            raise ValueError(f"response frame size {size} is too small")
        return self._read_exactly(size, max(0.001, deadline - time.monotonic()))

    def read_response(self, correlation_id, flexible_header=False, timeout=None):
        """The body of the response to `correlation_id` (response header v0, or v1 with
        tagged fields when flexible_header)."""
        reader = Reader(self.read_frame(timeout))
        got = reader.int32()
        if got != correlation_id:
            raise AssertionError(f"response correlation id {got}, expected {correlation_id}")
        if flexible_header:
            reader.skip_tagged_fields()
        return reader.data[reader.position:]

    def request(self, api_key, api_version, body, timeout=None):
        """Sends a non-flexible request and returns its response body."""
        correlation_id = self.send_request(api_key, api_version, body)
        return self.read_response(correlation_id, timeout=timeout)

    def wait_closed(self, timeout=10.0):
        """Returns None once the broker closes the connection; if it sends anything or
        keeps the connection open for `timeout` seconds, returns a description of that."""
        deadline = time.monotonic() + timeout
        received = b""
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return (f"connection still open after {timeout} s"
                        + (f"; received {len(received)} bytes: {received[:64].hex()}"
                           if received else ""))
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                if received:
                    return (f"broker sent {len(received)} bytes ({received[:64].hex()}) "
                            f"before closing")
                return None


# --- conveniences -----------------------------------------------------------------------

def api_versions_v0(connection):
    return decode_api_versions_v0(connection.request(API_API_VERSIONS, 0, api_versions_v0_body()))


def metadata_v1(connection, topics):
    return decode_metadata_v1(connection.request(API_METADATA, 1, metadata_v1_body(topics)))


def produce_v3(connection, topic, partition, batch, acks=-1):
    return decode_produce_v3(connection.request(API_PRODUCE, 3,
                                                produce_v3_body(topic, partition, batch, acks)))


def fetch_v4(connection, topic, partition, offset, **options):
    response = decode_fetch_v4(connection.request(API_FETCH, 4,
                                                  fetch_v4_body(topic, partition, offset, **options)))
    return response[(topic, partition)]


def fetch_all(connection, topic, partition, start=0, max_fetches=1000):
    """Every record from `start` to the high watermark, fetching until it is reached
    (a broker may return fewer batches than fit). Returns (records, last response)."""
    records = []
    offset = start
    for _ in range(max_fetches):
        fetched = fetch_v4(connection, topic, partition, offset)
        if fetched["error_code"] != NONE:
            return records, fetched
        batch = decode_record_batches(fetched["records"])
        records.extend(r for r in batch if r["offset"] >= offset)
        if records:
            offset = records[-1]["offset"] + 1
        if offset >= fetched["high_watermark"] or not batch:
            return records, fetched
    raise AssertionError(f"{topic}/{partition}: high watermark not reached in {max_fetches} fetches")


def ensure_topic(connection, topic, timeout=10.0):
    """Asks Metadata v1 for `topic` (auto-creating it) until it has a leader; returns
    the topic's metadata."""
    deadline = time.monotonic() + timeout
    while True:
        metadata = metadata_v1(connection, [topic])
        entry = metadata["topics"].get(topic)
        if (entry and entry["error_code"] == NONE and entry["partitions"]
                and all(p["error_code"] == NONE and p["leader"] >= 0 for p in entry["partitions"])):
            return entry
        if time.monotonic() >= deadline:
            raise AssertionError(f"topic {topic} not ready after {timeout} s: {entry}")
        time.sleep(0.1)
