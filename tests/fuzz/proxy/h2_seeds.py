"""Writes the seed corpus of fuzz_h2_framing (corpus/h2_framing): a control byte, then a client's
frames after the connection preface, made with hyper-h2 (python3-h2). Rerun after changing it:
    /usr/bin/python3 tests/fuzz/proxy/h2_seeds.py"""
import os

import h2.config
import h2.connection
import h2.errors

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus", "h2_framing")
HEAD = [(":method", "GET"), (":scheme", "https"), (":authority", "signin.aws.amazon.com"),
        (":path", "/oauth?client_id=arn%3Aaws%3Asignin")]


def client():
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True,
                                                             validate_outbound_headers=False,
                                                             normalize_outbound_headers=False))
    c.initiate_connection()
    c.local_settings.acknowledge()
    return c


def after_preface(c):
    """The client's bytes without the 24-byte preface (the target sends that itself); its
    SETTINGS frame stays first, as RFC 9113 §3.4 requires."""
    return c.data_to_send()[24:]


def seeds():
    c = client()
    c.update_settings({})
    c.send_headers(1, HEAD + [("cookie", "aws-userInfo=%7B%22arn%22%3A%22x%22%7D"), ("cookie", "a=b")],
                   end_stream=True)
    yield "get_two_cookies", 0x08, after_preface(c)
    c = client()
    post = [(":method", "POST"), (":scheme", "https"), (":authority", "signin.aws.amazon.com"),
            (":path", "/authenticate"), ("content-type", "application/x-www-form-urlencoded"),
            ("content-length", "27")]
    c.send_headers(1, post)
    c.send_data(1, b"action=authenticate&x=1", end_stream=False)
    c.send_data(1, b"&y=2", end_stream=True)
    yield "post_body", 0x11, after_preface(c)
    c = client()
    for sid in range(1, 40, 2):
        c.send_headers(sid, HEAD, end_stream=True)
        c.reset_stream(sid, h2.errors.ErrorCodes.CANCEL)
    yield "rapid_reset", 0x03, after_preface(c)
    c = client()
    for i in range(30):
        c.ping(bytes([i]) * 8)
    yield "ping_flood", 0x05, after_preface(c)
    c = client()
    c.send_headers(1, HEAD + [("host", "evil.example"), ("connection", "close")], end_stream=True)
    c.send_headers(3, HEAD, end_stream=False)
    c.send_data(3, b"x" * 3000, end_stream=True)
    yield "malformed_and_oversized", 0x40, after_preface(c)
    c = client()
    for sid in range(1, 21, 2):
        c.send_headers(sid, HEAD, end_stream=(sid % 4 == 1))
    c.increment_flow_control_window(1 << 20)
    yield "many_streams", 0x02, after_preface(c)
    # Blocks an HTTP/1.1 origin could read otherwise (e2e_evasion's HTTP/2 desync list): a
    # pseudo-field after a regular one, upper case and a tab in names, te: gzip, two
    # content-lengths and a list, SP in :path and :method, :authority with another port or
    # userinfo, host with another port than :authority, content-length longer than the DATA.
    c = client()
    form = [("content-type", "application/x-www-form-urlencoded")]
    blocks = [
        HEAD[:3] + form + HEAD[3:],
        HEAD + [("X-Account", "1"), ("x\ta", "1")],
        HEAD + [("te", "gzip")],
        HEAD + [("content-length", "3"), ("content-length", "3")],
        HEAD + [("content-length", "3, 3")],
        HEAD[:3] + [(":path", "/switchrole HTTP/1.1")],
        [(":method", "POST /switchrole")] + HEAD[1:],
        HEAD[:2] + [(":authority", "signin.aws.amazon.com:8443")] + HEAD[3:],
        HEAD[:2] + [(":authority", "x@signin.aws.amazon.com")] + HEAD[3:],
        HEAD + [("host", "signin.aws.amazon.com:8443")],
    ]
    sid = 1
    for block in blocks:
        c.send_headers(sid, block, end_stream=True)
        sid += 2
    c.send_headers(sid, post[:4] + form + [("content-length", "67")])
    c.send_data(sid, b"account=111122223333&roleName=Dev", end_stream=True)
    yield "desync_fields", 0x10, after_preface(c)
    # A header block that never ends: HEADERS without END_HEADERS, then CONTINUATION frames
    # (empty and not) past nghttp2's limit of 8 (the 2024 CONTINUATION flood).
    c = client()
    c.send_headers(1, HEAD, end_stream=True)
    wire = bytearray(after_preface(c))
    at = 0
    while wire[at + 3] != 0x1:  # the HEADERS frame, after SETTINGS
        at += 9 + int.from_bytes(wire[at:at + 3], "big")
    wire[at + 4] &= ~0x4  # no END_HEADERS
    for i in range(40):
        payload = b"" if i % 2 else b"\x40\x05x-pad\x01a"  # a literal x-pad: a
        wire += len(payload).to_bytes(3, "big") + b"\x09\x00" + (1).to_bytes(4, "big") + payload
    yield "continuation_flood", 0x04, bytes(wire)


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, control, data in seeds():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([control]) + data)
