#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A small token server for the distribution registry's `auth: token` mode (tests only, loopback).

GET  /token?service=S&scope=repository:NAME:ACTIONS   basic credentials (or none: anonymous)
POST /token  grant_type=refresh_token&refresh_token=T&service=S&scope=…   (docker's identity tokens)

Issues RS256 JWTs whose header carries the signing certificate (x5c); the registry trusts that certificate
through its rootcertbundle. Authenticated users get what they ask for; anonymous clients get pull on
repositories under --public-prefix and nothing else. Every request is logged as one JSON line."""

import argparse, base64, json, os, secrets, sys, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


class Server:
    def __init__(self, a):
        self.a = a
        with open(a.key, "rb") as f:
            self.key = serialization.load_pem_private_key(f.read(), None)
        with open(a.cert, "rb") as f:
            self.cert_der = x509.load_pem_x509_certificate(f.read()).public_bytes(serialization.Encoding.DER)
        self.users = dict(u.split(":", 1) for u in a.user)

    def token(self, sub, scopes):
        access = []
        for sc in scopes:
            parts = sc.split(":")
            if len(parts) < 3 or parts[0] != "repository":
                continue
            name, actions = ":".join(parts[1:-1]), parts[-1].split(",")
            if sub:
                granted = actions
            elif name.startswith(self.a.public_prefix):
                granted = [x for x in actions if x == "pull"]
            else:
                granted = []
            access.append({"type": "repository", "name": name, "actions": granted})
        now = int(time.time())
        claims = {"iss": self.a.issuer, "sub": sub or "", "aud": self.a.service, "exp": now + self.a.real_ttl,
                  "nbf": now - 10, "iat": now, "jti": secrets.token_hex(16), "access": access}
        header = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(self.cert_der).decode()]}
        signing = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = self.key.sign(signing.encode(), padding.PKCS1v15(), hashes.SHA256())
        return signing + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def log(self, **kv):
        kv.update(method=self.command, path=self.path, agent=self.headers.get("User-Agent", ""))
        with open(S.a.log, "a") as f:
            f.write(json.dumps(kv) + "\n")

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if code == 401:
            self.send_header("WWW-Authenticate", 'Basic realm="token"')
        self.end_headers()
        self.wfile.write(body)

    def issue(self, sub, scopes):
        t = S.token(sub, scopes)
        self.reply(200, {"token": t, "access_token": t, "expires_in": S.a.ttl,
                         "issued_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())})

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = urllib.parse.parse_qs(u.query)
        if u.path != "/token":
            return self.reply(404, {"details": "not found"})
        scopes = [s for v in q.get("scope", []) for s in v.split(" ")]
        sub = None
        auth = self.headers.get("Authorization")
        if auth:
            if not auth.startswith("Basic "):
                self.log(result="bad-auth")
                return self.reply(401, {"details": "basic auth only"})
            user, _, pw = base64.b64decode(auth[6:]).decode().partition(":")
            if S.users.get(user) != pw:
                self.log(result="refused", user=user)
                return self.reply(401, {"details": "invalid credentials"})
            sub = user
        self.log(result="issued", user=sub, scope=scopes, service=q.get("service", [""])[0])
        self.issue(sub, scopes)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        grant = form.get("grant_type", [""])[0]
        scopes = [s for v in form.get("scope", []) for s in v.split(" ")]
        if grant == "refresh_token" and S.a.refresh_token and form.get("refresh_token", [""])[0] == S.a.refresh_token:
            self.log(result="issued", user="refresh", scope=scopes, grant=grant)
            return self.issue("refresh-user", scopes)
        self.log(result="refused", grant=grant)
        self.reply(401, {"details": "invalid grant"})


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--key", required=True)
    p.add_argument("--cert", required=True)
    p.add_argument("--issuer", default="stockade-test-issuer")
    p.add_argument("--service", default="stockade-registry")
    p.add_argument("--user", action="append", default=[], help="USER:PASSWORD")
    p.add_argument("--public-prefix", default="public/")
    p.add_argument("--refresh-token", default="")
    p.add_argument("--ttl", type=int, default=300, help="expires_in the response announces")
    p.add_argument("--real-ttl", type=int, default=300, help="lifetime written into the JWT")
    p.add_argument("--log", required=True)
    p.add_argument("--port-file", required=True)
    a = p.parse_args()
    global S
    S = Server(a)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(a.port_file + ".tmp", "w") as f:
        f.write(str(httpd.server_address[1]))
    os.rename(a.port_file + ".tmp", a.port_file)
    httpd.serve_forever()


if __name__ == "__main__":
    main()
