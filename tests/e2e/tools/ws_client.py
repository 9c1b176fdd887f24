"""ws_client.py - a minimal WebSocket client for e2e cases: opens a
GET path of the run's API server (the admin kubeconfig's client
certificate, the cluster's CA) with the offered subprotocols and reads
the server's messages until it closes. Only the server's loopback address
is contacted."""
import base64, os, socket, ssl, struct, tempfile, urllib.parse

import yaml


def _ssl_context():
    kc = yaml.safe_load(open(os.environ["KUBECONFIG"]))
    cluster, user = kc["clusters"][0]["cluster"], kc["users"][0]["user"]
    ctx = ssl.create_default_context(cadata=base64.b64decode(cluster["certificate-authority-data"]).decode())
    ctx.check_hostname = False
    with tempfile.TemporaryDirectory() as d:
        cert, key = os.path.join(d, "c.pem"), os.path.join(d, "k.pem")
        open(cert, "wb").write(base64.b64decode(user["client-certificate-data"]))
        open(key, "wb").write(base64.b64decode(user["client-key-data"]))
        ctx.load_cert_chain(cert, key)
    return ctx, urllib.parse.urlparse(cluster["server"])


def _read_exact(s, n):
    b = b""
    while len(b) < n:
        d = s.recv(n - len(b))
        if not d:
            raise EOFError
        b += d
    return b


def messages(path, protocols, timeout=20):
    """(accepted subprotocol or None, [payload bytes of each data message]) until the server's close."""
    ctx, url = _ssl_context()
    raw = socket.create_connection((url.hostname, url.port), timeout=timeout)
    s = ctx.wrap_socket(raw)
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall((f"GET {path} HTTP/1.1\r\nHost: {url.netloc}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Protocol: {', '.join(protocols)}\r\n\r\n").encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += _read_exact(s, 1)
    lines = head.decode().split("\r\n")
    assert " 101 " in lines[0], lines[0]
    proto = next((l.split(":", 1)[1].strip() for l in lines if l.lower().startswith("sec-websocket-protocol:")), None)
    out = []
    try:
        while True:
            b0, b1 = _read_exact(s, 2)
            n = b1 & 0x7F
            if n == 126:
                n = struct.unpack(">H", _read_exact(s, 2))[0]
            elif n == 127:
                n = struct.unpack(">Q", _read_exact(s, 8))[0]
            payload = _read_exact(s, n)
            if b0 & 0x0F == 8:
                break
            if b0 & 0x0F in (1, 2):
                out.append(payload)
    except EOFError:
        pass
    s.close()
    return proto, out
