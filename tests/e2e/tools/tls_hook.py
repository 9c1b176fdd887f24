"""An HTTPS JSON endpoint on 127.0.0.1 for the cases that make the server
call out (admission webhooks, CRD conversion webhooks, aggregated APIs):
a throw-away CA and a serving certificate for 127.0.0.1 and the names given
(made with openssl), and a threaded server that hands each POSTed JSON body
to a function and answers its result. Every call is recorded."""
import base64, json, os, ssl, subprocess, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from server import free_port


def make_certs(d, names=()):
    """A CA and a certificate for 127.0.0.1 and names in d; the CA's PEM, base64 (a caBundle)."""
    def run(*a):
        subprocess.run(["openssl", *a], check=True, capture_output=True, cwd=d, timeout=60)
    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "1",
        "-subj", "/CN=e2e-hook-ca")
    run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=hook")
    with open(os.path.join(d, "san.ext"), "w") as f:
        f.write("subjectAltName=" + ",".join(["IP:127.0.0.1"] + ["DNS:" + n for n in names]) + "\n")
    run("x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "tls.crt",
        "-days", "1", "-extfile", "san.ext")
    return base64.b64encode(open(os.path.join(d, "ca.crt"), "rb").read()).decode()


class Hook:
    """Serves answer(path, body) -> (status, json) over TLS; calls holds (path with query, body) of each call."""

    def __init__(self, d, answer, names=()):
        self.ca = make_certs(d, names)
        self.calls = []
        self.lock = threading.Lock()
        self.port = free_port()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"null")
                with hook.lock:
                    hook.calls.append((self.path, body))
                code, out = answer(self.path.split("?")[0], body)
                data = json.dumps(out).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.srv = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "tls.crt"), os.path.join(d, "tls.key"))
        self.srv.socket = ctx.wrap_socket(self.srv.socket, server_side=True)
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def url(self, path):
        return f"https://127.0.0.1:{self.port}{path}"

    def bodies(self, path):
        with self.lock:
            return [b for p, b in self.calls if p.split("?")[0] == path]

    def close(self):
        self.srv.shutdown()
        self.srv.server_close()
