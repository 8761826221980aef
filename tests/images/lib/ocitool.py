#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Image layouts that the tools on the test machines cannot write (stdlib only).

  ocitool.py docker-oci-archive LEGACY.tar OUT.tar
      Rewrites a `docker save` archive of dockerd 20.10 (legacy layout: manifest.json, <v1id>/layer.tar,
      <image-id>.json) into the layout `docker save` of Docker 25+ writes: an OCI image layout in a tar
      (oci-layout, index.json, blobs/sha256/…) that also carries the legacy manifest.json, whose Config and
      Layers entries are "blobs/sha256/…" paths, and the repositories file. Layers stay uncompressed
      (blob digest = diff_id), the config blob is the image config unchanged (digest = image ID).

  ocitool.py oci-index OCI_DIR OUT_DIR
  ocitool.py oci-index-flat OCI_DIR OUT_DIR
      Makes a multi-platform OCI layout from a single-image one (tag "latest"): the original linux/amd64
      manifest plus a linux/arm64/v8 manifest whose config says arm64 and which carries one more layer
      (a marker file and a marker npm package, so a scanner that picks the wrong platform is visible).
      The arm64 manifest comes first. oci-index: index.json → one image index (ref "latest") → the two
      manifests, as buildx and skopeo --all write it. oci-index-flat: index.json lists both manifests
      itself, with platforms and no ref names, as go-containerregistry's layout writer does.
      Blobs are hard-linked from OCI_DIR.

  ocitool.py verify OCI_DIR
      Checks that every blob reachable from index.json exists and has its digest and size.
"""

import gzip
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile

MT_OCI_INDEX = "application/vnd.oci.image.index.v1+json"
MT_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
MT_OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
MT_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
MT_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip"
REF_NAME = "org.opencontainers.image.ref.name"
CONTAINERD_NAME = "io.containerd.image.name"


def die(msg):
    print(f"ocitool: error: {msg}", file=sys.stderr)
    sys.exit(1)


def compact(obj):
    """JSON as Go's encoding/json writes it (no spaces)."""
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


class HashingReader(io.RawIOBase):
    """Wraps a file object and hashes what is read through it."""

    def __init__(self, f):
        self.f = f
        self.h = hashlib.sha256()

    def readable(self):
        return True

    def readinto(self, b):
        data = self.f.read(len(b))
        self.h.update(data)
        b[: len(data)] = data
        return len(data)


def add_bytes(tar, name, data, mtime):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mtime = mtime
    ti.mode = 0o644
    tar.addfile(ti, io.BytesIO(data))


def add_dir(tar, name, mtime):
    ti = tarfile.TarInfo(name)
    ti.type = tarfile.DIRTYPE
    ti.mode = 0o755
    ti.mtime = mtime
    tar.addfile(ti)


def docker_oci_archive(src, dst):
    with tarfile.open(src, "r:") as legacy:
        members = {m.name.lstrip("./"): m for m in legacy.getmembers()}

        def read(name):
            m = members.get(name)
            if m is None:
                die(f"'{src}' has no '{name}': not a docker save archive")
            return legacy.extractfile(m).read()

        manifest = json.loads(read("manifest.json"))
        if len(manifest) != 1:
            die(f"'{src}' holds {len(manifest)} images, expected 1")
        item = manifest[0]
        config_bytes = read(item["Config"])
        config = json.loads(config_bytes)
        image_id = sha256_hex(config_bytes)
        diff_ids = config["rootfs"]["diff_ids"]
        if len(diff_ids) != len(item["Layers"]):
            die(f"'{src}': {len(item['Layers'])} layers but {len(diff_ids)} diff_ids")
        repositories = json.loads(read("repositories")) if "repositories" in members else None
        # Docker 25+ stamps blobs with the image's creation time; keep ours reproducible (epoch 0).
        mtime = 0

        layers = []
        with tarfile.open(dst, "w:", format=tarfile.PAX_FORMAT) as out:
            add_dir(out, "blobs", mtime)
            add_dir(out, "blobs/sha256", mtime)
            written = set()
            for path, diff_id in zip(item["Layers"], diff_ids):
                m = members.get(path)
                if m is None:
                    die(f"'{src}' has no layer '{path}'")
                size = m.size if m.isfile() else len(legacy.extractfile(m).read())
                layers.append({"mediaType": MT_OCI_LAYER, "digest": diff_id, "size": size})
                if diff_id in written:
                    continue
                reader = HashingReader(legacy.extractfile(m))
                ti = tarfile.TarInfo("blobs/sha256/" + diff_id.split(":", 1)[1])
                ti.size = size
                ti.mode = 0o644
                ti.mtime = mtime
                out.addfile(ti, io.BufferedReader(reader, 1 << 20))
                if "sha256:" + reader.h.hexdigest() != diff_id:
                    die(f"layer '{path}' of '{src}' does not match its diff_id {diff_id}")
                written.add(diff_id)

            platform = {"architecture": config["architecture"], "os": config["os"]}
            oci_manifest = {
                "schemaVersion": 2,
                "mediaType": MT_OCI_MANIFEST,
                "config": {
                    "mediaType": MT_OCI_CONFIG,
                    "digest": "sha256:" + image_id,
                    "size": len(config_bytes),
                    "platform": platform,
                },
                "layers": layers,
            }
            manifest_bytes = compact(oci_manifest)
            add_bytes(out, "blobs/sha256/" + image_id, config_bytes, mtime)
            add_bytes(out, "blobs/sha256/" + sha256_hex(manifest_bytes), manifest_bytes, mtime)

            descriptors = []
            for ref in item.get("RepoTags") or []:
                name, tag = ref.rsplit(":", 1)
                full = name if "/" in name and "." in name.split("/")[0] else "docker.io/" + name
                descriptors.append({
                    "mediaType": MT_OCI_MANIFEST,
                    "digest": "sha256:" + sha256_hex(manifest_bytes),
                    "size": len(manifest_bytes),
                    "platform": platform,
                    "annotations": {CONTAINERD_NAME: f"{full}:{tag}", REF_NAME: tag},
                })
            index = {"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": descriptors}
            add_bytes(out, "index.json", compact(index), mtime)
            new_item = {
                "Config": "blobs/sha256/" + image_id,
                "RepoTags": item.get("RepoTags"),
                "Layers": ["blobs/sha256/" + d.split(":", 1)[1] for d in diff_ids],
            }
            add_bytes(out, "manifest.json", compact([new_item]) + b"\n", mtime)
            add_bytes(out, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}', mtime)
            if repositories is not None:
                add_bytes(out, "repositories", compact(repositories) + b"\n", mtime)


def blob_path(layout, digest):
    algo, hexd = digest.split(":", 1)
    return os.path.join(layout, "blobs", algo, hexd)


def read_blob(layout, digest):
    with open(blob_path(layout, digest), "rb") as f:
        return f.read()


def write_blob(layout, data):
    digest = "sha256:" + sha256_hex(data)
    path = blob_path(layout, digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return digest


def find_latest(layout):
    with open(os.path.join(layout, "index.json"), "rb") as f:
        index = json.load(f)
    for d in index.get("manifests", []):
        if d.get("annotations", {}).get(REF_NAME) == "latest":
            if d["mediaType"] != MT_OCI_MANIFEST:
                die(f"'{layout}': 'latest' is a {d['mediaType']}, expected a single image manifest")
            return d
    die(f"'{layout}' has no image tagged 'latest'")


def marker_layer(platform):
    """A small deterministic gzip'd layer naming the platform; returns (blob, diff_id)."""
    files = {
        "etc/stockade-test-platform": (platform + "\n").encode(),
        "usr/local/lib/node_modules/stockade-platform-marker/package.json": compact({
            "name": "stockade-platform-marker",
            "version": "1.0.0-" + platform.replace("/", "-"),
            "description": "present only in the " + platform + " image of a stockade test index",
            "license": "Apache-2.0",
        }) + b"\n",
    }
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:", format=tarfile.PAX_FORMAT) as t:
        dirs = set()
        for name in sorted(files):
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    add_dir(t, d, 0)
            add_bytes(t, name, files[name], 0)
    raw_bytes = raw.getvalue()
    gz = io.BytesIO()
    with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0, filename="") as g:
        g.write(raw_bytes)
    return gz.getvalue(), "sha256:" + sha256_hex(raw_bytes)


def multiplatform(src, dst, nested):
    amd64_desc = find_latest(src)
    amd64_manifest = json.loads(read_blob(src, amd64_desc["digest"]))
    config = json.loads(read_blob(src, amd64_manifest["config"]["digest"]))
    if config.get("architecture") != "amd64":
        die(f"'{src}' is {config.get('architecture')}, expected amd64")

    os.makedirs(os.path.join(dst, "blobs", "sha256"))
    for name in os.listdir(os.path.join(src, "blobs", "sha256")):
        os.link(os.path.join(src, "blobs", "sha256", name), os.path.join(dst, "blobs", "sha256", name))
    shutil.copyfile(os.path.join(src, "oci-layout"), os.path.join(dst, "oci-layout"))

    layer_blob, diff_id = marker_layer("linux/arm64/v8")
    layer_digest = write_blob(dst, layer_blob)
    arm = json.loads(json.dumps(config))
    arm["architecture"] = "arm64"
    arm["variant"] = "v8"
    arm["rootfs"]["diff_ids"].append(diff_id)
    arm.setdefault("history", []).append({
        "created": config.get("created", "1970-01-01T00:00:00Z"),
        "created_by": "stockade-test: arm64 marker layer (etc/stockade-test-platform)",
    })
    arm_config = compact(arm)
    arm_manifest = json.loads(json.dumps(amd64_manifest))
    arm_manifest["config"] = {"mediaType": MT_OCI_CONFIG, "digest": write_blob(dst, arm_config),
                              "size": len(arm_config)}
    arm_manifest["layers"].append({"mediaType": MT_OCI_LAYER_GZIP, "digest": layer_digest,
                                   "size": len(layer_blob)})
    arm_manifest_bytes = compact(arm_manifest)

    descs = [
        {"mediaType": MT_OCI_MANIFEST, "digest": write_blob(dst, arm_manifest_bytes),
         "size": len(arm_manifest_bytes),
         "platform": {"architecture": "arm64", "os": "linux", "variant": "v8"}},
        {"mediaType": MT_OCI_MANIFEST, "digest": amd64_desc["digest"], "size": amd64_desc["size"],
         "platform": {"architecture": "amd64", "os": "linux"}},
    ]
    if nested:
        inner = compact({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": descs})
        top = [{"mediaType": MT_OCI_INDEX, "digest": write_blob(dst, inner), "size": len(inner),
                "annotations": {REF_NAME: "latest"}}]
    else:
        top = descs
    with open(os.path.join(dst, "index.json"), "wb") as f:
        f.write(compact({"schemaVersion": 2, "mediaType": MT_OCI_INDEX, "manifests": top}))
    verify(dst)


def verify(layout):
    def check(desc):
        path = blob_path(layout, desc["digest"])
        if not os.path.isfile(path):
            die(f"'{layout}': missing blob {desc['digest']}")
        h = hashlib.sha256()
        size = 0
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
                size += len(chunk)
        if "sha256:" + h.hexdigest() != desc["digest"] or size != desc["size"]:
            die(f"'{layout}': blob {desc['digest']} has the wrong digest or size")
        mt = desc.get("mediaType")
        if mt == MT_OCI_INDEX:
            for d in json.loads(read_blob(layout, desc["digest"]))["manifests"]:
                check(d)
        elif mt == MT_OCI_MANIFEST:
            m = json.loads(read_blob(layout, desc["digest"]))
            check(m["config"])
            for d in m["layers"]:
                check(d)

    with open(os.path.join(layout, "index.json"), "rb") as f:
        for d in json.load(f)["manifests"]:
            check(d)


def main(argv):
    if len(argv) == 4 and argv[1] == "docker-oci-archive":
        docker_oci_archive(argv[2], argv[3])
    elif len(argv) == 4 and argv[1] in ("oci-index", "oci-index-flat"):
        multiplatform(argv[2], argv[3], nested=argv[1] == "oci-index")
    elif len(argv) == 3 and argv[1] == "verify":
        verify(argv[2])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
