"""Serve the portal on another local port as one signed-in person, so that page audits which cannot
sign in (Lighthouse, axe: ``../shared/tools/ux-audit/audit.sh``) can look at pages behind the login.

    .venv/bin/python tools/signed_in_proxy.py --as member@demo.hamvatan.tj --password demo-member-2026
    .venv/bin/python tools/signed_in_proxy.py --as auditor@demo.hamvatan.tj --password demo-auditor-2026 \\
        --totp-secret RFQZ7DJCCTOMEQN7JWBN5PDS5QI7WBQ3 --listen 5071

It signs in to ``--upstream`` (default http://127.0.0.1:5000) through the real sign-in form (and the
code page for staff), then forwards every GET and HEAD it receives on ``--listen`` with that session's
cookie. Other methods are refused: an audit only reads. For local use on the loopback interface only.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import http.cookiejar
import re
import sys
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "proxy-authenticate",
}
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _csrf(html: str) -> str:
    match = CSRF.search(html)
    if not match:
        raise SystemExit("no CSRF token on the sign-in page")
    return match.group(1)


def sign_in(upstream: str, email: str, password: str, totp_secret: str | None) -> str:
    """The Cookie header of a fresh signed-in session."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path: str, fields: dict) -> tuple[str, str]:
        body = urllib.parse.urlencode(fields).encode()
        request = urllib.request.Request(upstream + path, data=body, method="POST")  # noqa: S310 (http only)
        with opener.open(request) as r:
            return r.geturl(), r.read().decode()

    with opener.open(upstream + "/login") as r:
        token = _csrf(r.read().decode())
    url, html = post("/login", {"csrf_token": token, "email": email, "password": password})
    if urllib.parse.urlparse(url).path == "/login/code":
        if not totp_secret:
            raise SystemExit("this account asks for a code: give --totp-secret")
        import pyotp

        url, html = post("/login/code", {"csrf_token": _csrf(html), "code": pyotp.TOTP(totp_secret).now()})
    if urllib.parse.urlparse(url).path.startswith("/login"):
        raise SystemExit(f"sign-in refused for {email}")
    return "; ".join(f"{c.name}={c.value}" for c in jar)


def make_handler(upstream: str, cookie: str):
    target = urllib.parse.urlparse(upstream)

    class Forward(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self, head_only: bool) -> None:
            conn = http.client.HTTPConnection(target.hostname, target.port or 80, timeout=60)
            headers = {
                k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP | {"cookie", "host"}
            }
            headers["Host"] = target.netloc
            headers["Cookie"] = cookie
            conn.request(self.command, self.path, headers=headers)
            resp = conn.getresponse()
            body = resp.read()
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() in HOP_BY_HOP | {"content-length", "set-cookie"}:
                    continue
                if k.lower() == "location":
                    v = v.replace(upstream, "")
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if not head_only:
                self.wfile.write(body)
            conn.close()

        def do_GET(self):  # noqa: N802 (the name http.server calls)
            self._forward(False)

        def do_HEAD(self):  # noqa: N802
            self._forward(True)

        def _refuse(self):
            self.send_error(405, "read only")

        do_POST = do_PUT = do_PATCH = do_DELETE = _refuse  # noqa: N815

        def log_message(self, fmt, *args):
            pass

    return Forward


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--upstream", default="http://127.0.0.1:5000")
    ap.add_argument("--listen", type=int, default=5070, help="a port browsers accept (not 5060 or 5061)")
    ap.add_argument("--as", dest="email", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--totp-secret")
    args = ap.parse_args(argv)
    upstream = args.upstream.rstrip("/")
    cookie = sign_in(upstream, args.email, args.password, args.totp_secret)
    server = ThreadingHTTPServer(("127.0.0.1", args.listen), make_handler(upstream, cookie))
    print(f"http://127.0.0.1:{args.listen} serves {upstream} as {args.email}", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
