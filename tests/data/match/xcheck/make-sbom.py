#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Writes a CycloneDX 1.5 SBOM of packages drawn from the vulnerability feeds themselves, so that
matching is exercised on the versions the advisories name and on their neighbours: for Go modules and
the standard library, PyPI projects, Alpine origins (per secdb release, with distro=alpine-X.Y) and
crates, every version an event or a secfix names, the version just below a fixed one where one can be
written, and a version above. Deterministic: the same feeds and arguments give the same file.

    make-sbom.py FEEDS-DIR COUNT [--extra PURLS-FILE] [--only go,pypi,apk,cargo] > sbom.cdx.json

COUNT packages are taken, spread evenly over the candidates (sorted); --extra adds the purls of a file
(one per line, e.g. the packages of the test images) first.

    make-sbom.py --packages KIND SBOM.json > packages.tsv

lists the components of a CycloneDX SBOM whose purl is of KIND (golang, pypi, apk) as the independent
checkers read them: PURL, NAME (Go: the module path; apk: the name, and the origin), VERSION, and for
apk the release ("v3.10", from the distro qualifier), tab-separated."""
import argparse
import json
import os
import re
import sys
import urllib.parse

import yaml

LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def below(v):
    """A version just below v, written in v's own style, or None."""
    m = re.match(r"^(.*?)(\d+)(-r(\d+))?$", v)
    if m and m.group(3) and int(m.group(4)) > 0:
        return "%s%s-r%d" % (m.group(1), m.group(2), int(m.group(4)) - 1)
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", v)
    if m and int(m.group(3)) > 0:
        return "%s.%s.%d" % (m.group(1), m.group(2), int(m.group(3)) - 1)
    if m and int(m.group(2)) > 0:
        return "%s.%d.99" % (m.group(1), int(m.group(2)) - 1)
    return None


def above(v):
    m = re.match(r"^(\d+)\.(\d+)\.(\d+)$", v)
    return "%s.%s.%d" % (m.group(1), m.group(2), int(m.group(3)) + 1) if m else None


def event_versions(affected):
    out = set()
    for rg in affected.get("ranges") or []:
        if rg.get("type") == "GIT":
            continue
        for e in rg.get("events") or []:
            for k, v in e.items():
                if v != "0" and k in ("introduced", "fixed", "last_affected"):
                    out.add(v)
                    for n in (below(v), above(v)):
                        if n:
                            out.add(n)
    for v in affected.get("versions") or []:
        out.add(v)
    return out


def osv_candidates(folder, ecosystem, purl_of, loader):
    cands = set()
    for root, _, files in os.walk(folder):
        for f in sorted(files):
            if not f.endswith((".json", ".yaml", ".yml")):
                continue
            path = os.path.join(root, f)
            with open(path, encoding="utf-8") as fh:
                r = loader(fh)
            if not isinstance(r, dict) or r.get("withdrawn"):
                continue
            for a in r.get("affected") or []:
                pkg = a.get("package") or {}
                if pkg.get("ecosystem") != ecosystem or not pkg.get("name"):
                    continue
                for v in event_versions(a):
                    p = purl_of(pkg["name"], v)
                    if p:
                        cands.add(p)
    return cands


def q(s):
    return urllib.parse.quote(s, safe="")


def go_purl(name, v):
    if name == "toolchain" or " " in v:
        return None
    v = v if v.startswith("v") else "v" + v
    return "pkg:golang/%s@%s" % ("/".join(q(s) for s in name.split("/")), q(v))


def apk_candidates(secdb):
    cands = set()
    for release in sorted(os.listdir(secdb)):
        folder = os.path.join(secdb, release)
        if not os.path.isdir(folder) or not release.startswith("v"):
            continue
        for f in sorted(os.listdir(folder)):
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=LOADER)
            for p in doc.get("packages") or []:
                name = p["pkg"]["name"]
                for v in p["pkg"].get("secfixes") or {}:
                    for x in (v, below(v)):
                        if x and x != "0" and " " not in x:
                            cands.add("pkg:apk/alpine/%s@%s?arch=x86_64&distro=alpine-%s" % (q(name), q(x), release[1:]))
    return cands


def packages(kind, path):
    with open(path, encoding="utf-8") as fh:
        doc = json.load(fh)
    for c in doc.get("components") or []:
        purl = c.get("purl") or ""
        if not purl.startswith("pkg:%s/" % kind) or "@" not in purl:
            continue
        body, _, qualifiers = purl.partition("?")
        path_part, _, version = body[len("pkg:%s/" % kind):].rpartition("@")
        version = urllib.parse.unquote(version)
        segments = [urllib.parse.unquote(x) for x in path_part.split("/")]
        if kind == "golang":
            print("\t".join([purl, "/".join(segments), version]))
        elif kind == "pypi":
            print("\t".join([purl, segments[-1], version]))
        elif kind == "apk":
            q = dict(x.split("=", 1) for x in qualifiers.split("&") if "=" in x)
            release = "v" + ".".join(q.get("distro", "").replace("alpine-", "").split(".")[:2])
            print("\t".join([purl, segments[-1], version, segments[-1], release]))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--packages":
        packages(sys.argv[2], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("feeds")
    ap.add_argument("count", type=int)
    ap.add_argument("--extra")
    ap.add_argument("--only", default="go,pypi,apk,cargo")
    args = ap.parse_args()
    kinds = args.only.split(",")
    cands = set()
    if "go" in kinds:
        cands |= osv_candidates(os.path.join(args.feeds, "go-osv"), "Go", go_purl, json.load)
    if "pypi" in kinds:
        cands |= osv_candidates(os.path.join(args.feeds, "pypa-osv"), "PyPI",
                                lambda n, v: "pkg:pypi/%s@%s" % (q(n), q(v)), lambda fh: yaml.load(fh, Loader=LOADER))
    if "cargo" in kinds:
        cands |= osv_candidates(os.path.join(args.feeds, "rustsec-osv"), "crates.io",
                                lambda n, v: "pkg:cargo/%s@%s" % (q(n), q(v)), json.load)
    if "apk" in kinds:
        cands |= apk_candidates(os.path.join(args.feeds, "alpine-secdb"))
    cands = sorted(cands)
    purls = []
    if args.extra:
        with open(args.extra, encoding="utf-8") as fh:
            purls = [l.strip() for l in fh if l.strip()]
    n = max(args.count - len(purls), 0)
    n = min(n, len(cands))
    if n:
        step = len(cands) / n  # >= 1: every candidate at most once
        purls += [cands[int(i * step)] for i in range(n)]
    comps = []
    for i, p in enumerate(purls):
        name = urllib.parse.unquote(p.split("@")[0].split("/")[-1])
        version = urllib.parse.unquote(p.split("@")[1].split("?")[0]) if "@" in p else ""
        comps.append({"type": "library", "bom-ref": "c%d" % i, "name": name, "version": version, "purl": p})
    json.dump({"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
               "metadata": {"component": {"type": "application", "name": "feeds-sample", "bom-ref": "subject"}},
               "components": comps}, sys.stdout, indent=1)
    sys.stdout.write("\n")
    print("%d candidates, %d components" % (len(cands), len(comps)), file=sys.stderr)


if __name__ == "__main__":
    main()
