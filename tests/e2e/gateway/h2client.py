"""A small HTTP/2 client for the tests (hyper-h2, python3-h2, on a TLS socket with ALPN h2): sends
several requests as concurrent streams on one connection, or misbehaves on purpose (resets,
pings, oversized header lists) where a browser would not."""
import socket
import ssl

import h2.config
import h2.connection
import h2.events
import h2.exceptions


class Connection:
    def __init__(self, port, host, cafile, timeout=20):
        ctx = ssl.create_default_context(cafile=cafile)
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        self.sock = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=timeout),
                                    server_hostname=host)
        self.alpn = self.sock.selected_alpn_protocol()
        self.host = host
        self.conn = h2.connection.H2Connection(h2.config.H2Configuration(
            client_side=True, header_encoding=None, validate_outbound_headers=False,
            normalize_outbound_headers=False, validate_inbound_headers=False))
        self.conn.initiate_connection()
        self.flush()
        self.responses = {}  # stream id -> {"status", "headers", "body", "reset"}
        self.pending = {}    # stream id -> body bytes not yet sent (flow control)
        self.goaway = None   # the error code of a GOAWAY received
        self.trailers = {}   # stream id -> trailer fields sent after its body
        self.closed = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def request(self, headers, body=b"", end=True, trailers=None):
        """Starts a stream; returns its id. `headers`: (name, value) pairs, pseudo-fields first;
        `trailers`: a header block sent after the body, ending the stream."""
        sid = self.conn.get_next_available_stream_id()
        self.conn.send_headers(sid, headers, end_stream=end and not body and not trailers)
        self.responses[sid] = {"status": 0, "headers": [], "body": b"", "reset": None, "done": False}
        if trailers:
            self.trailers[sid] = trailers
        if body:
            self.pending[sid] = body
            self._send_pending()
        elif trailers:
            self.conn.send_headers(sid, self.trailers.pop(sid), end_stream=True)
        self.flush()
        return sid

    def _send_pending(self):
        for sid in list(self.pending):
            body = self.pending[sid]
            n = min(len(body), self.conn.local_flow_control_window(sid), 16384)
            if n > 0:
                last = n == len(body)
                self.conn.send_data(sid, body[:n], end_stream=last and sid not in self.trailers)
                if last and sid in self.trailers:
                    self.conn.send_headers(sid, self.trailers.pop(sid), end_stream=True)
                body = body[n:]
            if body:
                self.pending[sid] = body
            else:
                del self.pending[sid]

    def _handle(self, event):
        r = self.responses.get(getattr(event, "stream_id", None))
        if isinstance(event, h2.events.ResponseReceived):
            r["headers"] = [(k.decode(), v.decode()) for k, v in event.headers]
            r["status"] = int(dict(r["headers"])[":status"])
        elif isinstance(event, h2.events.DataReceived):
            r["body"] += event.data
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            r["done"] = True
        elif isinstance(event, h2.events.StreamReset):
            if r is not None:
                r["reset"], r["done"] = int(event.error_code), True
        elif isinstance(event, h2.events.WindowUpdated):
            self._send_pending()
        elif isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = int(event.error_code)

    def pump(self, until, timeout=20):
        """Reads and handles frames until until() is true, the connection ends or timeout."""
        self.sock.settimeout(timeout)
        while not until() and not self.closed:
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, socket.timeout):
                data = b""
            if not data:
                self.closed = True
                break
            try:
                events = self.conn.receive_data(data)
            except h2.exceptions.ProtocolError:
                self.closed = True
                break
            for e in events:
                self._handle(e)
            try:
                self.flush()
            except OSError:
                self.closed = True

    def wait_all(self, timeout=20):
        self.pump(lambda: all(r["done"] for r in self.responses.values()), timeout)
        return self.responses

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def request_fields(method, target, host, headers=()):
    return [(":method", method), (":scheme", "https"), (":authority", host), (":path", target)] + list(headers)
