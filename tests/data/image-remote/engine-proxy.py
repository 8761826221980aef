#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""A unix-socket stand-in for the Docker engine, for tests: engine-proxy.py LISTEN-SOCKET LOG MODE

  MODE relay    passes every connection through to /var/run/docker.sock, logging each request line
  MODE error    answers every request with 500 {"message": "engine on fire"}
  MODE garbage  answers with bytes that are not HTTP"""

import json, os, socket, sys, threading

LISTEN, LOG, MODE = sys.argv[1:4]
ENGINE = "/var/run/docker.sock"
lock = threading.Lock()


def log(line):
    with lock, open(LOG, "a") as f:
        f.write(json.dumps({"request": line}) + "\n")


def pump(src, dst):
    try:
        while True:
            b = src.recv(65536)
            if not b:
                break
            dst.sendall(b)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def handle(c):
    with c:
        if MODE == "relay":
            e = socket.socket(socket.AF_UNIX)
            e.connect(ENGINE)
            first = b""
            while b"\r\n" not in first:
                b = c.recv(4096)
                if not b:
                    return
                first += b
            # Every line that starts a request on this connection is logged as it passes.
            log(first.split(b"\r\n", 1)[0].decode(errors="replace"))
            e.sendall(first)
            t = threading.Thread(target=pump, args=(e, c))
            t.start()
            pump(c, e)
            t.join()
            e.close()
            return
        c.recv(65536)
        if MODE == "error":
            body = json.dumps({"message": "engine on fire"}).encode()
            c.sendall(b"HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
        else:
            c.sendall(b"\x00\x01garbage\r\n\r\n")


def main():
    if os.path.exists(LISTEN):
        os.unlink(LISTEN)
    s = socket.socket(socket.AF_UNIX)
    s.bind(LISTEN)
    s.listen(16)
    while True:
        c, _ = s.accept()
        threading.Thread(target=handle, args=(c,), daemon=True).start()


main()
