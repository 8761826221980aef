#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes small container images by hand, for tests that need exact control over layers and metadata:
honest ones, and hostile ones (members climbing out of the root, wrong digests, bombs).

  mkimage.py BASE --layer SPEC... [--layer SPEC...] [--raw-layer TAR] [options] [outputs]

A layer SPEC item is one of:
  path=content     a regular file (content may use \\n, \\t, \\\\ escapes)
  path->target     a symbolic link
  path/            a directory
  dir/.wh.name=    a whiteout (any path whose last component starts with .wh.)
Outputs (any number):
  --docker-archive FILE   docker save layout (manifest.json, <id>/layer.tar)
  --oci-dir DIR           OCI image layout directory
  --oci-tar FILE          OCI image layout as a tar
Always writes BASE.rootfs/ with the layers applied (for dir: targets).
Options: --gzip (compress layers, OCI outputs), --config-env K=V, --config-user U, --expose PORT,
--corrupt-diff-id N, --corrupt-blob N (layer N's bytes no longer match the digests),
--manifest-layer-name NAME (docker archive: use NAME as layer 0's member name, verbatim)."""

import argparse
import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile


def unescape(s):
    return s.encode().decode('unicode_escape').encode('latin-1')


def build_layer(items):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as tf:
        for it in items:
            if '->' in it and ('=' not in it or it.index('->') < it.index('=')):
                path, target = it.split('->', 1)
                ti = tarfile.TarInfo(path)
                ti.type = tarfile.SYMTYPE
                ti.linkname = target
                ti.mode = 0o777
                tf.addfile(ti)
            elif it.endswith('/') and '=' not in it:
                ti = tarfile.TarInfo(it.rstrip('/'))
                ti.type = tarfile.DIRTYPE
                ti.mode = 0o755
                tf.addfile(ti)
            else:
                path, content = it.split('=', 1)
                data = unescape(content)
                ti = tarfile.TarInfo(path)
                ti.size = len(data)
                ti.mode = 0o755 if data.startswith(b'#!') else 0o644
                ti.mtime = 1700000000
                tf.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def apply_to_rootfs(root, tar_bytes):
    with tarfile.open(fileobj=io.BytesIO(tar_bytes), mode='r:') as tf:
        for m in tf.getmembers():
            name = os.path.normpath(m.name.lstrip('/'))
            if name.startswith('..'):
                continue
            base = os.path.basename(name)
            dst = os.path.join(root, name)
            if base.startswith('.wh.'):
                victim = os.path.join(os.path.dirname(dst), base[4:])
                if os.path.isdir(victim) and not os.path.islink(victim):
                    shutil.rmtree(victim)
                elif os.path.lexists(victim):
                    os.unlink(victim)
                continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            if m.isdir():
                os.makedirs(dst, exist_ok=True)
            elif m.issym():
                if os.path.lexists(dst):
                    os.unlink(dst)
                os.symlink(m.linkname, dst)
            elif m.isfile():
                if m.size > (64 << 20):
                    continue  # bombs and sparse giants are for the scanner, not for this helper
                with open(dst, 'wb') as f:
                    f.write(tf.extractfile(m).read())
                os.chmod(dst, m.mode)


def sha(b):
    return 'sha256:' + hashlib.sha256(b).hexdigest()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('base')
    ap.add_argument('--layer', nargs='*', action='append', default=[])
    ap.add_argument('--raw-layer', action='append', default=[])
    ap.add_argument('--gzip', action='store_true')
    ap.add_argument('--config-env', action='append', default=[])
    ap.add_argument('--config-user', default='')
    ap.add_argument('--expose', action='append', default=[])
    ap.add_argument('--corrupt-diff-id', type=int, default=-1)
    ap.add_argument('--corrupt-blob', type=int, default=-1)
    ap.add_argument('--manifest-layer-name')
    ap.add_argument('--docker-archive')
    ap.add_argument('--oci-dir')
    ap.add_argument('--oci-tar')
    a = ap.parse_args()

    layers = [build_layer(items) for items in a.layer]
    for raw in a.raw_layer:
        with open(raw, 'rb') as f:
            layers.append(f.read())

    rootfs = a.base + '.rootfs'
    shutil.rmtree(rootfs, ignore_errors=True)
    os.makedirs(rootfs)
    for l in layers:
        try:
            apply_to_rootfs(rootfs, l)
        except (tarfile.TarError, OSError):
            pass

    diff_ids = [sha(l) for l in layers]
    if 0 <= a.corrupt_diff_id < len(diff_ids):
        diff_ids[a.corrupt_diff_id] = 'sha256:' + '0' * 64
    config = {
        'architecture': 'amd64', 'os': 'linux', 'created': '2026-01-01T00:00:00Z',
        'config': {'Env': a.config_env, 'Cmd': ['/bin/sh'], 'User': a.config_user,
                   'ExposedPorts': {p: {} for p in a.expose}},
        'rootfs': {'type': 'layers', 'diff_ids': diff_ids},
        'history': [{'created_by': 'mkimage layer %d' % i} for i in range(len(layers))],
    }
    cfg = json.dumps(config, sort_keys=True).encode()
    cfg_hex = hashlib.sha256(cfg).hexdigest()

    def corrupt(i, blob):
        if i == a.corrupt_blob and blob:
            b = bytearray(blob)
            b[len(b) // 2] ^= 0x55
            return bytes(b)
        return blob

    if a.docker_archive:
        with tarfile.open(a.docker_archive, 'w', format=tarfile.PAX_FORMAT) as tf:
            names = []
            for i, l in enumerate(layers):
                lid = hashlib.sha256(b'%d' % i + l).hexdigest()
                name = '%s/layer.tar' % lid
                names.append(name)
                blob = corrupt(i, l)
                ti = tarfile.TarInfo(name)
                ti.size = len(blob)
                tf.addfile(ti, io.BytesIO(blob))
            if a.manifest_layer_name and names:
                names[0] = a.manifest_layer_name
            ti = tarfile.TarInfo(cfg_hex + '.json')
            ti.size = len(cfg)
            tf.addfile(ti, io.BytesIO(cfg))
            man = json.dumps([{'Config': cfg_hex + '.json', 'RepoTags': ['mkimage/test:latest'],
                               'Layers': names}]).encode()
            ti = tarfile.TarInfo('manifest.json')
            ti.size = len(man)
            tf.addfile(ti, io.BytesIO(man))

    if a.oci_dir or a.oci_tar:
        blobs = {}
        descs = []
        for i, l in enumerate(layers):
            blob = gzip.compress(l, mtime=0) if a.gzip else l
            d = sha(blob)
            blobs[d] = corrupt(i, blob)
            descs.append({'mediaType': 'application/vnd.oci.image.layer.v1.tar' + ('+gzip' if a.gzip else ''),
                          'digest': d, 'size': len(blob)})
        blobs['sha256:' + cfg_hex] = cfg
        manifest = json.dumps({'schemaVersion': 2, 'mediaType': 'application/vnd.oci.image.manifest.v1+json',
                               'config': {'mediaType': 'application/vnd.oci.image.config.v1+json',
                                          'digest': 'sha256:' + cfg_hex, 'size': len(cfg)},
                               'layers': descs}, sort_keys=True).encode()
        blobs[sha(manifest)] = manifest
        index = json.dumps({'schemaVersion': 2, 'manifests': [{
            'mediaType': 'application/vnd.oci.image.manifest.v1+json', 'digest': sha(manifest),
            'size': len(manifest), 'platform': {'os': 'linux', 'architecture': 'amd64'}}]}).encode()
        files = {'oci-layout': b'{"imageLayoutVersion":"1.0.0"}', 'index.json': index}
        for d, b in blobs.items():
            files['blobs/sha256/' + d.split(':')[1]] = b
        if a.oci_dir:
            shutil.rmtree(a.oci_dir, ignore_errors=True)
            for name, b in files.items():
                p = os.path.join(a.oci_dir, name)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, 'wb') as f:
                    f.write(b)
        if a.oci_tar:
            with tarfile.open(a.oci_tar, 'w', format=tarfile.PAX_FORMAT) as tf:
                for name, b in sorted(files.items()):
                    ti = tarfile.TarInfo(name)
                    ti.size = len(b)
                    tf.addfile(ti, io.BytesIO(b))
    return 0


if __name__ == '__main__':
    sys.exit(main())
