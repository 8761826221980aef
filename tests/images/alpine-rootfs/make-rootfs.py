#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes an Alpine 3.10-style root filesystem with a real-format apk database.

  make-rootfs.py ROOTFS BUSYBOX

No Alpine package can be fetched on the test machines, so the installed database
(lib/apk/db/installed) is written from the table below: the packages of the alpine:3.10.0 minirootfs
plus expat and sqlite-libs, at the versions Alpine 3.10 shipped (several have advisories in the
Alpine secdb feed for v3.10). The database is in apk-tools 2.10's format (P/V/A/S/I/T/U/L/o/m/t/c/D/p/
r, F/M directory records, R/a/Z file records) and every file it lists exists in ROOTFS with the
checksum the Z: line gives. File contents are stand-ins: /bin/busybox is Debian's static busybox
(BUSYBOX), every other file is a short text naming its package. The C:, c:, t: and m: values are
synthesized (deterministic), not Alpine's. Output is deterministic for the same BUSYBOX.
"""

import base64
import hashlib
import os
import subprocess
import sys

ARCH = "x86_64"
RELEASE = "3.10.0"
BUILD_EPOCH = 1560500000  # June 2019, when Alpine 3.10.0 was built
LDSO = "so:libc.musl-x86_64.so.1"

# name, version, origin, license, description, url, depends, provides, files.
# files: (path, kind, mode) where kind is "f" (file), "l:TARGET" (symlink) or "d" (directory).
PACKAGES = [
    ("musl", "1.1.22-r2", "musl", "MIT", "the musl c library (libc) implementation",
     "http://www.musl-libc.org/", [], ["so:libc.musl-x86_64.so.1=1"],
     [("lib", "d", 0o755), ("lib/ld-musl-x86_64.so.1", "f", 0o755),
      ("lib/libc.musl-x86_64.so.1", "l:ld-musl-x86_64.so.1", 0o777)]),
    ("busybox", "1.30.1-r2", "busybox", "GPL-2.0", "Size optimized toolbox of many common UNIX utilities",
     "https://busybox.net/", [LDSO], ["/bin/sh", "cmd:busybox", "cmd:sh"],
     [("bin", "d", 0o755), ("bin/busybox", "f", 0o755), ("bin/sh", "l:/bin/busybox", 0o777),
      ("etc", "d", 0o755), ("etc/securetty", "f", 0o644), ("etc/udhcpd.conf", "f", 0o644),
      ("etc/logrotate.d", "d", 0o755), ("etc/logrotate.d/acpid", "f", 0o644),
      ("etc/network", "d", 0o755), ("etc/network/if-up.d", "d", 0o755),
      ("etc/network/if-up.d/dad", "f", 0o775)]),
    ("alpine-baselayout", "3.1.2-r0", "alpine-baselayout", "GPL-2.0-only", "Alpine base dir structure and init scripts",
     "https://git.alpinelinux.org/cgit/aports/tree/main/alpine-baselayout", ["/bin/sh", LDSO], [],
     [("dev", "d", 0o755), ("dev/pts", "d", 0o755), ("dev/shm", "d", 0o755), ("etc", "d", 0o755),
      ("etc/fstab", "f", 0o644), ("etc/group", "f", 0o644), ("etc/hostname", "f", 0o644),
      ("etc/hosts", "f", 0o644), ("etc/inittab", "f", 0o644), ("etc/modules", "f", 0o644),
      ("etc/motd", "f", 0o644), ("etc/mtab", "l:../proc/mounts", 0o777), ("etc/passwd", "f", 0o644),
      ("etc/profile", "f", 0o644), ("etc/protocols", "f", 0o644), ("etc/services", "f", 0o644),
      ("etc/shadow", "f", 0o640), ("etc/shells", "f", 0o644), ("etc/sysctl.conf", "f", 0o644),
      ("etc/profile.d", "d", 0o755), ("etc/profile.d/color_prompt", "f", 0o644),
      ("home", "d", 0o755), ("media", "d", 0o755), ("media/cdrom", "d", 0o755), ("mnt", "d", 0o755),
      ("opt", "d", 0o755), ("proc", "d", 0o555), ("root", "d", 0o700), ("run", "d", 0o755),
      ("sbin", "d", 0o755), ("sbin/mkmntdirs", "f", 0o755), ("srv", "d", 0o755), ("sys", "d", 0o555),
      ("tmp", "d", 0o1777), ("usr", "d", 0o755), ("usr/bin", "d", 0o755), ("usr/sbin", "d", 0o755),
      ("usr/lib", "d", 0o755), ("usr/local", "d", 0o755), ("usr/local/bin", "d", 0o755),
      ("usr/share", "d", 0o755), ("var", "d", 0o755), ("var/run", "l:/run", 0o777), ("var/cache", "d", 0o755),
      ("var/empty", "d", 0o555), ("var/lib", "d", 0o755), ("var/log", "d", 0o755),
      ("var/spool", "d", 0o755), ("var/tmp", "d", 0o1777)]),
    ("alpine-keys", "2.1-r2", "alpine-keys", "MIT", "Public keys for Alpine Linux packages",
     "https://alpinelinux.org", [], [],
     [("etc", "d", 0o755), ("etc/apk", "d", 0o755), ("etc/apk/keys", "d", 0o755),
      ("etc/apk/keys/alpine-devel@lists.alpinelinux.org-4a6a0840.rsa.pub", "f", 0o644),
      ("etc/apk/keys/alpine-devel@lists.alpinelinux.org-5243ef4b.rsa.pub", "f", 0o644),
      ("etc/apk/keys/alpine-devel@lists.alpinelinux.org-5261cecb.rsa.pub", "f", 0o644)]),
    ("libcrypto1.1", "1.1.1b-r1", "openssl", "OpenSSL", "Crypto library from openssl",
     "https://www.openssl.org", [LDSO], ["so:libcrypto.so.1.1=1.1"],
     [("etc", "d", 0o755), ("etc/ssl", "d", 0o755), ("etc/ssl/openssl.cnf", "f", 0o644),
      ("etc/ssl/misc", "d", 0o755), ("etc/ssl/misc/CA.pl", "f", 0o755), ("lib", "d", 0o755),
      ("lib/libcrypto.so.1.1", "f", 0o755), ("usr", "d", 0o755), ("usr/lib", "d", 0o755),
      ("usr/lib/libcrypto.so.1.1", "l:../../lib/libcrypto.so.1.1", 0o777),
      ("usr/lib/engines-1.1", "d", 0o755), ("usr/lib/engines-1.1/afalg.so", "f", 0o755),
      ("usr/lib/engines-1.1/capi.so", "f", 0o755), ("usr/lib/engines-1.1/padlock.so", "f", 0o755)]),
    ("libssl1.1", "1.1.1b-r1", "openssl", "OpenSSL", "SSL shared libraries",
     "https://www.openssl.org", [LDSO, "so:libcrypto.so.1.1"], ["so:libssl.so.1.1=1.1"],
     [("lib", "d", 0o755), ("lib/libssl.so.1.1", "f", 0o755), ("usr", "d", 0o755),
      ("usr/lib", "d", 0o755), ("usr/lib/libssl.so.1.1", "l:../../lib/libssl.so.1.1", 0o777)]),
    ("ca-certificates-cacert", "20190108-r0", "ca-certificates", "MPL-2.0 GPL-2.0-or-later",
     "Mozilla bundled certificates", "https://www.mozilla.org/en-US/about/governance/policies/security-group/certs/",
     [], [], [("etc", "d", 0o755), ("etc/ssl", "d", 0o755), ("etc/ssl/cert.pem", "f", 0o644)]),
    ("libtls-standalone", "2.9.1-r0", "libtls-standalone", "ISC", "libtls extricated from libressl sources",
     "https://www.libressl.org/", [LDSO, "so:libcrypto.so.1.1", "so:libssl.so.1.1"],
     ["so:libtls-standalone.so.1=1.0.0"],
     [("usr", "d", 0o755), ("usr/lib", "d", 0o755),
      ("usr/lib/libtls-standalone.so.1", "l:libtls-standalone.so.1.0.0", 0o777),
      ("usr/lib/libtls-standalone.so.1.0.0", "f", 0o755)]),
    ("ssl_client", "1.30.1-r2", "busybox", "GPL-2.0", "EXternal ssl_client for busybox wget",
     "https://busybox.net/", [LDSO, "so:libtls-standalone.so.1"], ["cmd:ssl_client"],
     [("usr", "d", 0o755), ("usr/bin", "d", 0o755), ("usr/bin/ssl_client", "f", 0o755)]),
    ("zlib", "1.2.11-r1", "zlib", "Zlib", "A compression/decompression Library",
     "https://zlib.net/", [LDSO], ["so:libz.so.1=1.2.11"],
     [("lib", "d", 0o755), ("lib/libz.so.1", "l:libz.so.1.2.11", 0o777),
      ("lib/libz.so.1.2.11", "f", 0o755)]),
    ("apk-tools", "2.10.4-r1", "apk-tools", "GPL2", "Alpine Package Keeper - package manager for alpine",
     "https://git.alpinelinux.org/cgit/apk-tools/", [LDSO, "so:libcrypto.so.1.1", "so:libssl.so.1.1",
                                                     "so:libz.so.1"], ["cmd:apk"],
     [("etc", "d", 0o755), ("etc/apk", "d", 0o755), ("etc/apk/keys", "d", 0o755),
      ("etc/apk/protected_paths.d", "d", 0o755), ("sbin", "d", 0o755), ("sbin/apk", "f", 0o755),
      ("var", "d", 0o755), ("var/run", "l:/run", 0o777), ("var/cache", "d", 0o755), ("var/cache/misc", "d", 0o755)]),
    ("scanelf", "1.2.3-r0", "pax-utils", "GPL-2.0", "Scan ELF binaries for stuff",
     "https://wiki.gentoo.org/wiki/Hardened/PaX_Utilities", [LDSO], ["cmd:scanelf"],
     [("usr", "d", 0o755), ("usr/bin", "d", 0o755), ("usr/bin/scanelf", "f", 0o755)]),
    ("musl-utils", "1.1.22-r2", "musl", "MIT BSD GPL2+", "the musl c library (libc) implementation",
     "http://www.musl-libc.org/", ["scanelf", LDSO],
     ["cmd:getconf", "cmd:getent", "cmd:iconv", "cmd:ldconfig", "cmd:ldd"],
     [("sbin", "d", 0o755), ("sbin/ldconfig", "f", 0o755), ("usr", "d", 0o755), ("usr/bin", "d", 0o755),
      ("usr/bin/getconf", "f", 0o755), ("usr/bin/getent", "f", 0o755), ("usr/bin/iconv", "f", 0o755),
      ("usr/bin/ldd", "f", 0o755)]),
    ("libc-utils", "0.7.1-r0", "libc-dev", "BSD", "Meta package to pull in correct libc",
     "http://alpinelinux.org", ["musl-utils"], [], []),
    ("expat", "2.2.7-r0", "expat", "MIT", "XML Parser library written in C",
     "http://www.libexpat.org/", [LDSO], ["so:libexpat.so.1=1.6.9"],
     [("usr", "d", 0o755), ("usr/lib", "d", 0o755), ("usr/lib/libexpat.so.1", "l:libexpat.so.1.6.9", 0o777),
      ("usr/lib/libexpat.so.1.6.9", "f", 0o755)]),
    ("sqlite-libs", "3.28.0-r0", "sqlite", "Public-Domain", "Sqlite3 library",
     "https://www.sqlite.org/", [LDSO], ["so:libsqlite3.so.0=0.8.6"],
     [("usr", "d", 0o755), ("usr/lib", "d", 0o755), ("usr/lib/libsqlite3.so.0", "l:libsqlite3.so.0.8.6", 0o777),
      ("usr/lib/libsqlite3.so.0.8.6", "f", 0o755)]),
]

WORLD = ["alpine-baselayout", "alpine-keys", "apk-tools", "busybox", "expat", "libc-utils", "sqlite-libs"]

ETC_FILES = {
    "etc/alpine-release": RELEASE + "\n",
    "etc/os-release": (
        'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=' + RELEASE + '\nPRETTY_NAME="Alpine Linux v3.10"\n'
        'HOME_URL="https://alpinelinux.org/"\nBUG_REPORT_URL="https://bugs.alpinelinux.org/"\n'),
    "etc/apk/world": "\n".join(WORLD) + "\n",
    "etc/apk/repositories": ("http://dl-cdn.alpinelinux.org/alpine/v3.10/main\n"
                             "http://dl-cdn.alpinelinux.org/alpine/v3.10/community\n"),
    "etc/apk/arch": ARCH + "\n",
    "lib/apk/db/lock": "",
    "lib/apk/db/triggers": "",
}

# Files whose stand-in content must be usable, not just present.
REAL_CONTENT = {
    "etc/passwd": ("root:x:0:0:root:/root:/bin/ash\nbin:x:1:1:bin:/bin:/sbin/nologin\n"
                   "daemon:x:2:2:daemon:/sbin:/sbin/nologin\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n"),
    "etc/group": "root:x:0:root\nbin:x:1:root,bin,daemon\ndaemon:x:2:root,bin,daemon\nnogroup:x:65533:\n",
    "etc/shadow": "root:!::0:::::\nbin:!::0:::::\ndaemon:!::0:::::\nnobody:!::0:::::\n",
    "etc/shells": "# valid login shells\n/bin/sh\n/bin/ash\n",
    "etc/hostname": "localhost\n",
    "etc/hosts": "127.0.0.1\tlocalhost localhost.localdomain\n::1\t\tlocalhost localhost.localdomain\n",
    "etc/profile": 'export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"\n',
}


def q1(data):
    """apk's checksum notation: "Q1" + base64(sha1)."""
    return "Q1" + base64.b64encode(hashlib.sha1(data).digest()).decode()


def stand_in(name, version, path):
    if path in REAL_CONTENT:
        return REAL_CONTENT[path].encode()
    return f"stockade-test stand-in for /{path} of Alpine package {name}-{version}\n".encode()


def main(rootfs, busybox):
    with open(busybox, "rb") as f:
        busybox_bytes = f.read()
    db = []
    owned = set()
    for i, (name, version, origin, lic, desc, url, deps, provides, files) in enumerate(PACKAGES):
        seed = f"{name}-{version}".encode()
        installed = 0
        records = []
        current_dir = None
        for path, kind, mode in files:
            full = os.path.join(rootfs, path)
            if kind == "d":
                os.makedirs(full, exist_ok=True)
                os.chmod(full, mode)
                current_dir = path
                records.append(f"F:{path}")
                if mode != 0o755:
                    records.append(f"M:0:0:{mode:o}")
                continue
            parent = os.path.dirname(path)
            if parent != current_dir:
                sys.exit(f"make-rootfs: {name}: {path} is not listed after its directory")
            os.makedirs(os.path.dirname(full), exist_ok=True)
            if kind.startswith("l:"):
                target = kind[2:]
                if os.path.lexists(full):
                    os.unlink(full)
                os.symlink(target, full)
                data = target.encode()
            else:
                data = busybox_bytes if path == "bin/busybox" else stand_in(name, version, path)
                with open(full, "wb") as f:
                    f.write(data)
                os.chmod(full, mode)
                installed += len(data)
            owned.add(path)
            records.append(f"R:{os.path.basename(path)}")
            if mode != 0o644:
                records.append(f"a:0:0:{mode:o}")
            records.append(f"Z:{q1(data)}")
        lines = [
            f"C:{q1(b'control ' + seed)}",
            f"P:{name}",
            f"V:{version}",
            f"A:{ARCH}",
            f"S:{max(installed // 2, 1024)}",
            f"I:{max(installed, 4096)}",
            f"T:{desc}",
            f"U:{url}",
            f"L:{lic}",
            f"o:{origin}",
            "m:stockade test fixture <stockade-test@example.invalid>",
            f"t:{BUILD_EPOCH + i * 3600}",
            f"c:{hashlib.sha1(b'aports ' + seed).hexdigest()}",
        ]
        if deps:
            lines.append("D:" + " ".join(deps))
        if provides:
            lines.append("p:" + " ".join(provides))
        db.append("\n".join(lines + records) + "\n")

    for path, text in ETC_FILES.items():
        full = os.path.join(rootfs, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w") as f:
            f.write(text)
    with open(os.path.join(rootfs, "lib/apk/db/installed"), "w") as f:
        f.write("\n".join(db) + "\n")

    # busybox's applet links, as its post-install trigger makes them (not in the database).
    applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True, text=True)
    for rel in applets.stdout.split():
        full = os.path.join(rootfs, rel)
        if "/" not in rel or rel in owned or os.path.lexists(full) or not os.path.isdir(os.path.dirname(full)):
            continue
        os.symlink("/bin/busybox", full)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
