#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A misbehaving registry for error tests (loopback only): serves the image of one OCI layout under many
repository names, each name a different fault. fake-registry.py LAYOUT TAG PORT-FILE LOG

  good/app            a correct registry
  corrupt-blob/app    the last layer has one byte flipped          corrupt-config/app  the config, too
  short-blob/app      the last layer stops half way (connection closed)
  long-blob/app       the last layer has 1 KiB too much
  bad-dcd/app         Docker-Content-Digest names another digest
  corrupt-manifest/app   by digest, the manifest bytes are not the ones named
  huge-manifest/app   Content-Length: 100 MiB                        endless-manifest/app  chunked, never ends
  slow/app            the manifest never comes                       slow-blob/app  layers stall half way
  redirect-loop/app   every manifest request redirects to itself
  redirect-blob/app   basic auth (user:pass) here; blobs redirect to a second server ("storage") that logs
                      whether it saw an Authorization header
  rate/app  429       error500/app  500 with registry JSON errors     denied/app  403 DENIED
  schema1/app         a Docker schema 1 manifest                     bad-json/app  a manifest that is not JSON
  garbage-challenge/app  401 with a WWW-Authenticate that does not parse
"""

import base64, hashlib, json, os, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAYOUT, TAG, PORT_FILE, LOG = sys.argv[1:5]
CREDS = "Basic " + base64.b64encode(b"user:pass").decode()


def blob(digest):
    with open(os.path.join(LAYOUT, "blobs", *digest.split(":", 1)), "rb") as f:
        return f.read()


with open(os.path.join(LAYOUT, "index.json")) as f:
    top = json.load(f)
desc = [m for m in top["manifests"] if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == TAG][0]
MANIFEST = blob(desc["digest"])
MDIGEST = desc["digest"]
M = json.loads(MANIFEST)
CONFIG = M["config"]["digest"]
LAST = M["layers"][-1]["digest"]
STORAGE_PORT = 0


def log(**kv):
    with open(LOG, "a") as f:
        f.write(json.dumps(kv) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, body=b"", ctype="application/json", headers=(), length=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error(self, code, ecode, msg, headers=()):
        self.send(code, json.dumps({"errors": [{"code": ecode, "message": msg}]}).encode(), headers=headers)

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        if self.server.storage:
            return self.storage()
        if self.path == "/v2/":
            return self.send(200, b"{}")
        m = re.match(r"^/v2/(.+)/(manifests|blobs)/([^/?]+)$", self.path)
        if not m:
            return self.error(404, "NAME_UNKNOWN", "no such thing")
        name, kind, ref = m.groups()
        fault = name.split("/")[0]
        log(path=self.path, auth=self.headers.get("Authorization"))

        if fault == "redirect-blob" and self.headers.get("Authorization") != CREDS:
            return self.error(401, "UNAUTHORIZED", "authentication required",
                              headers=[("WWW-Authenticate", 'Basic realm="fake"')])
        if fault == "garbage-challenge":
            return self.error(401, "UNAUTHORIZED", "who are you", headers=[("WWW-Authenticate", 'Bearer realm="x')])
        if fault == "rate":
            return self.error(429, "TOOMANYREQUESTS", "slow down")
        if fault == "error500":
            return self.error(500, "UNKNOWN", "database on fire")
        if fault == "denied":
            return self.error(403, "DENIED", "requested access to the resource is denied")

        if kind == "manifests":
            return self.manifest(fault, ref)
        return self.blob(fault, ref)

    def manifest(self, fault, ref):
        if ref not in (TAG, MDIGEST, "1"):
            return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
        mt = M.get("mediaType", "application/vnd.oci.image.manifest.v1+json")
        body, hdr = MANIFEST, [("Docker-Content-Digest", MDIGEST)]
        if fault == "bad-dcd":
            hdr = [("Docker-Content-Digest", "sha256:" + "0" * 64)]
        elif fault == "corrupt-manifest":
            body = MANIFEST + b"\n"
            hdr = []
        elif fault == "huge-manifest":
            self.send_response(200)
            self.send_header("Content-Type", mt)
            self.send_header("Content-Length", str(100 << 20))
            self.end_headers()
            return
        elif fault == "endless-manifest":
            self.send_response(200)
            self.send_header("Content-Type", mt)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            chunk = b" " * 65536
            try:
                for _ in range(4096):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            except OSError:
                pass
            self.close_connection = True
            return
        elif fault == "slow":
            time.sleep(30)
        elif fault == "redirect-loop":
            return self.send(302, headers=[("Location", self.path)])
        elif fault == "schema1":
            body = json.dumps({"schemaVersion": 1, "name": "schema1/app", "tag": "1", "fsLayers": []}).encode()
            mt = "application/vnd.docker.distribution.manifest.v1+prettyjws"
            hdr = []
        elif fault == "bad-json":
            body, hdr = b"<html>not json</html>", []
        self.send(200, body, ctype=mt, headers=hdr)

    def blob(self, fault, digest):
        try:
            data = blob(digest)
        except OSError:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if fault == "redirect-blob":
            return self.send(307, headers=[("Location", "http://127.0.0.1:%d/storage/%s?sig=abc" % (STORAGE_PORT, digest))])
        flip = (fault == "corrupt-blob" and digest == LAST) or (fault == "corrupt-config" and digest == CONFIG)
        if flip:
            data = bytearray(data)
            data[len(data) // 2] ^= 0x01
            data = bytes(data)
        if fault == "short-blob" and digest == LAST:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if fault == "long-blob" and digest == LAST:
            data = data + b"\0" * 1024
        if fault == "slow-blob" and digest != CONFIG:
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            time.sleep(30)
            self.close_connection = True
            return
        self.send(200, data, ctype="application/octet-stream", headers=[("Docker-Content-Digest", digest)])

    def storage(self):
        m = re.match(r"^/storage/(sha256:[0-9a-f]{64})", self.path)
        log(storage=self.path, auth=self.headers.get("Authorization"))
        if not m:
            return self.send(404)
        self.send(200, blob(m.group(1)), ctype="application/octet-stream")


def serve(storage):
    s = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    s.storage = storage
    s.daemon_threads = True
    threading.Thread(target=s.serve_forever, daemon=True).start()
    return s.server_address[1]


STORAGE_PORT = serve(True)
port = serve(False)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(port))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
threading.Event().wait()
