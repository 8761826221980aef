#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora of the rpm fuzz targets from the committed real databases in
tests/data/inv-rpm/: their header blobs (rpm-header), the Berkeley DB and ndb files themselves, and a
small rpmdb.sqlite (rpm's schema, 512-byte pages, WAL mode as rpm leaves it) holding the same blobs.

usage: make-seeds.py [SRCDIR]"""

import os
import shutil
import sqlite3
import struct
import sys

src = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), '..', '..', '..')
data = os.path.join(src, 'tests', 'data', 'inv-rpm')
corpus = os.path.join(src, 'tests', 'fuzz', 'corpus')


def ndb_blobs(path):
    d = open(path, 'rb').read()
    out = []
    for s in range(32, 4096, 16):
        magic, pkgidx, blkoff, blkcnt = struct.unpack_from('<4I', d, s)
        if blkoff:
            length = struct.unpack_from('<I', d, blkoff * 16 + 12)[0]
            out.append(d[blkoff * 16 + 16:blkoff * 16 + 16 + length])
    return out


def put(kind, name, content):
    os.makedirs(os.path.join(corpus, kind), exist_ok=True)
    with open(os.path.join(corpus, kind, name), 'wb') as f:
        f.write(content)


blobs = ndb_blobs(os.path.join(data, 'ndb.Packages.db'))
for i, b in enumerate(blobs):
    put('rpm-header', 'fixture-%d' % i, b)
for name in ('bdb-be512.Packages', 'bdb-le512.Packages'):
    put('rpm-bdb', name, open(os.path.join(data, name), 'rb').read())
put('rpm-ndb', 'ndb.Packages.db', open(os.path.join(data, 'ndb.Packages.db'), 'rb').read())

tmp = os.path.join(corpus, 'rpm-sqlite', 'rpmdb.sqlite.tmp')
os.makedirs(os.path.dirname(tmp), exist_ok=True)
for suffix in ('', '-wal', '-shm'):
    if os.path.exists(tmp + suffix):
        os.unlink(tmp + suffix)
db = sqlite3.connect(tmp)
db.execute('PRAGMA page_size = 512')
db.execute("CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,blob BLOB NOT NULL)")
db.execute("CREATE TABLE IF NOT EXISTS 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT NULL, idx INTEGER NOT NULL)")
for b in blobs:
    db.execute('INSERT INTO Packages (blob) VALUES (?)', (b,))
db.commit()
db.execute('PRAGMA journal_mode = WAL')
db.close()
shutil.move(tmp, os.path.join(corpus, 'rpm-sqlite', 'rpmdb.sqlite'))
