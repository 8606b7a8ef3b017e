#!/usr/bin/python3
"""Load and abuse for the reading room, against 127.0.0.1 only, bounded in
count and time:

    abuse.py PORT

  burst      200 requests from 50 concurrent clients (search, entry, kwic,
             export pages): every one answered 200
  slow       40 clients that send half a request line and then wait, a
             client that sends its headers a byte at a time: meanwhile a
             normal request is answered within 2 s
  malformed  garbage, a bare request line, a request line of 20 KB, a header
             of 100 KB, a header without a colon, NUL bytes, bad percent
             escapes, HTTP/0.9, a POST with a body, a Content-Length that
             lies, a request split at every byte: the server answers each
             with a 4xx (or closes the connection) and keeps answering
Prints "abuse: N passed, M failed"."""
import concurrent.futures
import os
import socket
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))
from tally import check, finish  # noqa: E402

port = int(sys.argv[1])
host = "127.0.0.1"
base = "http://%s:%d" % (host, port)


def get(path, timeout=10):
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()
    except Exception as e:  # noqa: BLE001 -- any failure is a failed request
        return 0, str(e).encode()


def q(s):
    return urllib.parse.quote(s)


def raw(data, timeout=5, read=True):
    """Sends data on a fresh connection; returns what comes back (b"" when
    the server closed without answering)."""
    s = socket.create_connection((host, port), timeout=timeout)
    try:
        s.sendall(data)
        if not read:
            return b""
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
        return out
    except (ConnectionResetError, BrokenPipeError):
        return b""
    finally:
        s.close()


def status_of(resp):
    try:
        return int(resp.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def alive(desc):
    st, body = get("/search?q=" + q("井长制"), timeout=5)
    check(desc + ": the server still answers", st == 200 and "首创窨井".encode() in body)


# ---- burst
paths = ["/search?q=" + q("井长制"), "/search?q=" + q("下城区") + "&page=2", "/entry/44?q=" + q("井长制"),
         "/kwic?q=" + q("治水") + "&sort=left", "/export.csv?q=" + q("治水"), "/api/search?q=" + q("商圈")]
t0 = time.time()
with concurrent.futures.ThreadPoolExecutor(max_workers=50) as ex:
    codes = list(ex.map(lambda i: get(paths[i % len(paths)])[0], range(200)))
check("burst: 200 requests from 50 clients all answered 200 (%s)" %
      {c: codes.count(c) for c in set(codes)}, codes.count(200) == 200)
check("burst: within 60 s", time.time() - t0 < 60)
alive("after the burst")

# ---- slow clients
slow = []
for i in range(40):
    s = socket.create_connection((host, port), timeout=5)
    s.sendall(b"GET /search?q=")
    slow.append(s)
drip = socket.create_connection((host, port), timeout=5)
t0 = time.time()
st, body = get("/search?q=" + q("井长制"), timeout=5)
check("slow clients: a normal request is answered (%d)" % st, st == 200)
check("slow clients: within 2 s (%.2f s)" % (time.time() - t0), time.time() - t0 < 2)
for b in b"GET / HTTP/1.1\r\nHost: x\r\n":
    drip.sendall(bytes([b]))
drip.sendall(b"\r\n")
drip.settimeout(5)
check("a request sent a byte at a time is answered", status_of(drip.recv(4096)) == 200)
for s in slow + [drip]:
    s.close()
alive("after the slow clients")

# ---- malformed requests
cases = [
    ("garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n"),
    ("a bare request line", b"GET\r\n\r\n"),
    ("a request line of 20 KB", b"GET /search?q=" + b"A" * 20000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a header of 100 KB", b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"B" * 100000 + b"\r\n\r\n"),
    ("a header without a colon", b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n"),
    ("NUL bytes", b"GET /\x00/search?q=\x00 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("bad percent escapes", b"GET /search?q=%zz%e4%b8&fold=%%%% HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("invalid UTF-8 in the query", b"GET /search?q=%ff%fe%80 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("HTTP/0.9", b"GET /\r\n"),
    ("a POST with a body", b"POST /search HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nq=abc"),
    ("a Content-Length that lies", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999\r\n\r\nabc"),
    ("a negative Content-Length", b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"),
    ("an unknown method", b"BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a path escaping upwards", b"GET /../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("an encoded path escaping upwards", b"GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("an absolute file URL", b"GET file:///etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("a huge page number", b"GET /search?q=a&page=99999999999999999999 HTTP/1.1\r\nHost: x\r\n\r\n"),
    ("an entry id past 32 bits", b"GET /entry/99999999999 HTTP/1.1\r\nHost: x\r\n\r\n"),
]
for desc, data in cases:
    resp = raw(data, timeout=3)
    st = status_of(resp)
    ok = st == 0 or 400 <= st < 500
    if desc in ("NUL bytes", "a Content-Length that lies"):
        ok = ok or st == 200  # the path ends at the NUL; a GET's body is not read
    check("%s: a 4xx or a closed connection (%d)" % (desc, st), ok)
    check("%s: nothing from the disk" % desc, b"root:" not in resp)
st = status_of(raw(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"G", timeout=2))
check("a request followed by junk is answered", st == 200)
# many requests one after another on one kept-alive connection
s = socket.create_connection((host, port), timeout=5)
answered = 0
for i in range(30):
    s.sendall(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n")
    got = b""
    while b"\r\n\r\n" not in got:
        chunk = s.recv(65536)
        if not chunk:
            break
        got += chunk
    head, _, rest = got.partition(b"\r\n\r\n")
    n = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0]) if b"content-length: " in head.lower() else 0
    while len(rest) < n:
        chunk = s.recv(65536)
        if not chunk:
            break
        rest += chunk
    if status_of(got) == 200 and len(rest) == n:
        answered += 1
s.close()
check("30 requests on one kept-alive connection are answered (%d)" % answered, answered == 30)
# pipelined requests: the first is answered (libmicrohttpd then closes)
resp = raw(b"GET /style.css HTTP/1.1\r\nHost: x\r\n\r\n" * 50, timeout=3)
check("pipelined requests: the first is answered", status_of(resp) == 200)
alive("after the malformed requests")
finish("abuse")
