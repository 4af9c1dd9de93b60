"""A TCP relay between clients and one broker that a test can cut.

Clients bootstrap through the relay and the broker advertises the relay's address
(ADVERTISED_ADDRESS), so every client connection passes through it. cut() closes every
relayed connection at once: to a client this is the broker dropping its sockets, with
whatever requests were in flight lost in either direction.
"""
import socket
import threading


class TcpRelay:
    def __init__(self):
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(64)
        self.port = self.listener.getsockname()[1]
        self.target_port = None
        self.cuts = 0
        self.accepted = 0
        self._lock = threading.Lock()
        self._pairs = []
        self._closed = False
        self._acceptor = threading.Thread(target=self._accept_loop, daemon=True)

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def start(self, target_port):
        self.target_port = target_port
        self._acceptor.start()
        return self

    def cut(self):
        """Closes every relayed connection; new connections are relayed as before."""
        with self._lock:
            pairs, self._pairs = self._pairs, []
            self.cuts += 1
        for client, upstream in pairs:
            for sock in (client, upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                sock.close()
        return len(pairs)

    def close(self):
        self._closed = True
        try:
            self.listener.close()
        except OSError:
            pass
        self.cut()

    def _accept_loop(self):
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            for sock in (client, upstream):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(None)
            with self._lock:
                self._pairs.append((client, upstream))
                self.accepted += 1
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source, destination):
        try:
            while True:
                data = source.recv(1 << 16)
                if not data:
                    break
                destination.sendall(data)
        except OSError:
            pass
        for sock in (source, destination):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
