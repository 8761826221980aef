#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An independent computation of which PyPA advisories (the OSV YAML of the Python Packaging Advisory
Database, as published) affect which Python packages, for tests/integration/t5002-vuln-python.sh.
Versions are ordered by pypa/packaging (Debian's python3-packaging), the records read by PyYAML with
every scalar kept as text (BaseLoader: "1.10" must not become 1.1); nothing of stockade is used.

    pypa.py FEED-DIR < packages.tsv          # packages: PATH<TAB>NAME<TAB>VERSION

Output as osv-go.go's: PATH NAME VERSION IDS FIXED, one line per (package, vulnerability), records
linked through an id merged, FIXED the highest fixed version ("-" when none)."""
import os
import re
import sys

import yaml
from packaging.version import InvalidVersion, Version

# every scalar as text; the C parser when PyYAML has it (the same rules, ten times faster)
BASE = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def V(s):
    return Version(s)


def evaluate(events, v):
    """OSV evaluation of one ECOSYSTEM range: (affected, smallest fixed above v). Raises InvalidVersion
    when an event's version is not a PEP 440 version (the range is then skipped, as stockade does).

    Records list their events as introduced/fixed pairs, and such a list means the union of its
    intervals, which is what OSV.dev computes; the specification's walk over sorted events says the same
    unless intervals touch or overlap (PYSEC-2022-42972: [0.13.0, 0.14.0rc1) and [0.12.2, 0.13.0)),
    where the walk depends on how equal versions are ordered. Other lists take the sorted walk, closing
    events before introduced ones at equal versions."""
    evs = []
    for e in events:
        (kind, val), = e.items()
        evs.append((kind, val, V("0") if val == "0" else V(val)))
    kinds = [k for k, _, _ in evs]
    pairs = all(k == "introduced" for k in kinds[0::2]) and all(k in ("fixed", "last_affected") for k in kinds[1::2])
    affected = False
    if pairs:
        for i in range(0, len(evs), 2):
            lo = evs[i][2] if evs[i][1] != "0" else None
            if lo is not None and v < lo:
                continue
            if i + 1 == len(evs):
                affected = True
            elif evs[i + 1][0] == "fixed" and v < evs[i + 1][2]:
                affected = True
            elif evs[i + 1][0] == "last_affected" and v <= evs[i + 1][2]:
                affected = True
    else:
        for kind, val, ver in sorted(evs, key=lambda e: (e[2], e[0] == "introduced")):
            if kind == "introduced" and (val == "0" or v >= ver):
                affected = True
            elif kind == "fixed" and v >= ver:
                affected = False
            elif kind == "last_affected" and v > ver:
                affected = False
    if not affected:
        return False, None
    fixes = [(ver, val) for kind, val, ver in evs if kind == "fixed" and ver > v]
    return True, min(fixes)[1] if fixes else None


def main():
    records = {}
    for root, _, files in os.walk(sys.argv[1]):
        for f in sorted(files):
            if not f.endswith((".yaml", ".yml")):
                continue
            with open(os.path.join(root, f), encoding="utf-8") as fh:
                r = yaml.load(fh, Loader=BASE)
            if not isinstance(r, dict) or r.get("withdrawn"):
                continue
            for a in r.get("affected") or []:
                pkg = a.get("package") or {}
                if pkg.get("ecosystem") == "PyPI":
                    records.setdefault(norm(pkg["name"]), []).append((r, a))
    for line in sys.stdin:
        path, name, version = line.rstrip("\n").split("\t")
        try:
            v = V(version)
        except InvalidVersion:
            v = None  # only an exact entry of a versions list can name it
        hits = []
        for r, a in records.get(norm(name), []):
            affected, fixed = False, None
            for listed in a.get("versions") or []:
                try:
                    if listed == version or (v is not None and V(listed) == v):
                        affected = True
                except InvalidVersion:
                    pass
            for rg in (a.get("ranges") or []) if v is not None else []:
                if rg.get("type") != "ECOSYSTEM":
                    continue
                try:
                    ok, fx = evaluate(rg.get("events") or [], v)
                except InvalidVersion:
                    continue
                if ok:
                    affected = True
                    if fx and (fixed is None or V(fx) > V(fixed)):
                        fixed = fx
            if affected:
                # aliases as written, less stray punctuation ("GHSA-jf66-3q76-h5p5," in PYSEC-2022-184)
                aliases = {x.strip().rstrip(",;") for x in r.get("aliases") or []} - {""}
                hits.append(({r["id"], *aliases}, fixed))
        merged = True
        while merged:
            merged = False
            for i in range(len(hits)):
                for j in range(i + 1, len(hits)):
                    if hits[i][0] & hits[j][0]:
                        ids = hits[i][0] | hits[j][0]
                        fx = [x for x in (hits[i][1], hits[j][1]) if x]
                        hits[i] = (ids, max(fx, key=V) if fx else None)
                        del hits[j]
                        merged = True
                        break
                if merged:
                    break
        # a record listed twice for one package (two affected[] entries) is one finding
        seen = set()
        for ids, fixed in hits:
            key = (",".join(sorted(ids)), fixed or "-")
            if key not in seen:
                seen.add(key)
                print("\t".join([path, name, version, key[0], key[1]]))


if __name__ == "__main__":
    main()
