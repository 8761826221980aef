#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a multi-platform OCI image index into an OCI layout, by hand: make-index.py LAYOUT NEW-TAG
TAG=OS/ARCH[/VARIANT]… [--attestation TAG] [--nest NEW-TAG2]

Each TAG names an image manifest already in the layout (skopeo or umoci made it); the index lists them
with the given platforms. --attestation adds a BuildKit-style attestation entry (unknown/unknown) that
points at TAG's manifest; --nest also writes NEW-TAG2, an index whose only entry is the first index."""

import hashlib, json, os, sys


def blob_path(layout, digest):
    return os.path.join(layout, "blobs", *digest.split(":", 1))


def put_blob(layout, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    with open(blob_path(layout, d), "wb") as f:
        f.write(data)
    return d


def main():
    args = sys.argv[1:]
    layout, new_tag = args[0], args[1]
    attestation = nest = None
    entries = []
    i = 2
    while i < len(args):
        if args[i] == "--attestation":
            attestation = args[i + 1]; i += 2; continue
        if args[i] == "--nest":
            nest = args[i + 1]; i += 2; continue
        tag, plat = args[i].split("=", 1)
        entries.append((tag, plat.split("/")))
        i += 1
    with open(os.path.join(layout, "index.json")) as f:
        top = json.load(f)
    by_tag = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in top["manifests"]}
    manifests = []
    for tag, p in entries:
        m = dict(by_tag[tag])
        m.pop("annotations", None)
        m["platform"] = {"os": p[0], "architecture": p[1]}
        if len(p) > 2:
            m["platform"]["variant"] = p[2]
        manifests.append(m)
    if attestation:
        m = dict(by_tag[attestation])
        m["annotations"] = {"vnd.docker.reference.type": "attestation-manifest",
                            "vnd.docker.reference.digest": manifests[0]["digest"]}
        m["platform"] = {"os": "unknown", "architecture": "unknown"}
        manifests.append(m)
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    data = json.dumps(index, indent=2).encode()
    d = put_blob(layout, data)
    desc = {"mediaType": index["mediaType"], "digest": d, "size": len(data),
            "annotations": {"org.opencontainers.image.ref.name": new_tag}}
    top["manifests"].append(desc)
    if nest:
        outer = {"schemaVersion": 2, "mediaType": index["mediaType"],
                 "manifests": [{"mediaType": index["mediaType"], "digest": d, "size": len(data)}]}
        od = json.dumps(outer).encode()
        top["manifests"].append({"mediaType": index["mediaType"], "digest": put_blob(layout, od), "size": len(od),
                                 "annotations": {"org.opencontainers.image.ref.name": nest}})
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(top, f)
    print(d)


if __name__ == "__main__":
    main()
