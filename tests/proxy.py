"""A TCP proxy the tests can cut: the bridge reaches PostgreSQL and AMI
through it, so a test can make the database or AMI vanish mid-call."""
import socket
import threading


class Proxy:

    def __init__(self, target_port, host='127.0.0.1'):
        self.target = (host, target_port)
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind((host, 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        self.accepting = threading.Event()
        self.accepting.set()
        self._lock = threading.Lock()
        self._connections = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self._closed:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.accepting.is_set():
                client.close()
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._connections.append((client, upstream))
            for a, b in [(client, upstream), (upstream, client)]:
                threading.Thread(target=self._pipe, args=(a, b),
                    daemon=True).start()

    @staticmethod
    def _pipe(source, target):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self):
        "Drop every connection and refuse new ones"
        self.accepting.clear()
        with self._lock:
            connections, self._connections = self._connections, []
        for pair in connections:
            for sock in pair:
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                except OSError:
                    pass

    def restore(self):
        self.accepting.set()

    def close(self):
        self._closed = True
        self.cut()
        self.server.close()
