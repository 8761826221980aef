#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""An independent computation of which Alpine secdb entries affect which apk packages, for
tests/integration/t5003-vuln-alpine.sh. apk-tools cannot run here (Debian has no apk), so the
version order is a separate, small implementation of apk-tools' documented rules (apk-package(5) /
apk_version.c), written from the rules, not from stockade:

    version   := number{.number}[letter]{_suffix[number]}[~hash][-rNUMBER]
    numbers compare numerically (the first) or, after a dot, as apk-tools 2 does: a component with a
    leading zero compares as a decimal fraction ("1.02" < "1.1"); a letter after the numbers compares
    alphabetically and sorts after none ("1.1b" > "1.1"); suffixes order
    _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p, then their numbers; "-rN"
    compares numerically, absent = r0.

The secdb (YAML, as published) says, per release and source package (origin), "secfixes: VERSION:
[CVE …]": the package is affected below VERSION; VERSION "0" means never affected.

    apk-secdb.py SECDB-DIR [OSV-DIR…] < packages.tsv
    # packages.tsv: PATH<TAB>NAME<TAB>VERSION<TAB>ORIGIN<TAB>RELEASE ("v3.10")

An entry is an id with extra words, as people wrote them: "CVE-2016-6258 XSA-182" (two ids of one
vulnerability; the first is the advisory's, the others its aliases), "CVE-2019-19451.patch",
"CVE 2018-16859" and "CVE_2019-2426" (typos for the CVE), "CVE-2019-1234 (patch)". Every CVE written
so and every other word shaped like an advisory id (letters, a dash, then a part with a digit:
"XSA-182", "TALOS-2017-0394") counts. Aliases come from every entry of every release and from the OSV
records in OSV-DIR… (the database holds all the feeds): an id's vulnerability lists the aliases its
records declare and the records that declare it an alias (symmetric, not transitive), so
"CVE-2017-2615 XSA-208" under xen makes qemu's "CVE-2017-2615" a finding with both ids, and
PYSEC-2019-145 (aliases: CVE-2019-10206) joins ansible's CVE-2019-10206. Entries of a package that
share an id are one vulnerability.

Output: PATH NAME VERSION IDS FIXED (tab-separated, IDS sorted and comma-separated), one line per
(package, vulnerability), the highest fixed version when several entries name one vulnerability."""
import json
import os
import re
import sys

import yaml

SUFFIXES = ["alpha", "beta", "pre", "rc", "", "cvs", "svn", "git", "hg", "p"]
CVE = re.compile(r"CVE[-_ ](\d{4})-(\d{4,})", re.I)
OTHER_ID = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*-[A-Za-z0-9]*\d[A-Za-z0-9]*$")
VERSION = re.compile(r"^(\d+(?:\.\d+)*)([a-z]?)((?:_(?:alpha|beta|pre|rc|cvs|svn|git|hg|p)\d*)*)(~[0-9a-f]+)?(?:-r(\d+))?$")


def parse(v):
    m = VERSION.match(v)
    if not m:
        raise ValueError("not an apk version: %r" % v)
    nums = m.group(1).split(".")
    suffixes = [(SUFFIXES.index(re.match(r"[a-z]+", s).group()), int(re.sub(r"^[a-z]+", "", s) or 0))
                for s in m.group(3).split("_")[1:]]
    return nums, m.group(2), suffixes, int(m.group(5) or 0)


def ids_of(entry):
    """The ids of an entry, in the order written."""
    found = [(m.start(), "CVE-%s-%s" % m.groups()) for m in CVE.finditer(entry)]
    for m in re.finditer(r"[^\s(),;\[\]]+", entry):
        word = m.group().rstrip(".:")
        if not word.upper().startswith("CVE") and OTHER_ID.match(word):
            found.append((m.start(), word))
    out = []
    for _, i in sorted(found):
        if i not in out:
            out.append(i)
    return out


def valid(v):
    return VERSION.match(v) is not None


def cmp(a, b):
    return (a > b) - (a < b)


def num_cmp(x, y, first):
    if not first and (x.startswith("0") or y.startswith("0")):
        # apk-tools 2: a leading zero makes the component a fraction
        return cmp(float("0." + x), float("0." + y))
    return cmp(int(x), int(y))


def compare(a, b):
    na, la, sa, ra = parse(a)
    nb, lb, sb, rb = parse(b)
    for i in range(min(len(na), len(nb))):
        c = num_cmp(na[i], nb[i], i == 0)
        if c:
            return c
    if len(na) != len(nb):
        # more numbers win ("1.2.1" > "1.2"), unless what follows in the shorter one is a letter or suffix
        return 1 if len(na) > len(nb) else -1
    c = cmp(la, lb)
    if c:
        return -1 if la == "" and lb else 1 if lb == "" and la else c
    for i in range(max(len(sa), len(sb))):
        x = sa[i] if i < len(sa) else (SUFFIXES.index(""), 0)
        y = sb[i] if i < len(sb) else (SUFFIXES.index(""), 0)
        c = cmp(x, y)
        if c:
            return c
    return cmp(ra, rb)


DECLARED = {}  # a record's id -> the aliases it declares (secdb: the other ids of its entries)
REVERSE = {}  # an id -> the records that declare it an alias


def declare(rid, aliases):
    DECLARED.setdefault(rid, set()).update(a for a in aliases if a != rid)


def load_aliases(secdb, osv_dirs):
    for release in sorted(os.listdir(secdb)):
        folder = os.path.join(secdb, release)
        for f in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
            for p in doc.get("packages") or []:
                for entries in (p["pkg"].get("secfixes") or {}).values():
                    for entry in entries or []:
                        ids = ids_of(entry)
                        if ids:
                            declare(ids[0], ids[1:])
    for folder in osv_dirs:
        for root, _, files in os.walk(folder):
            for f in files:
                path = os.path.join(root, f)
                if f.endswith(".json"):
                    with open(path, encoding="utf-8") as fh:
                        r = json.load(fh)
                elif f.endswith((".yaml", ".yml")):
                    with open(path, encoding="utf-8") as fh:
                        r = yaml.load(fh, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
                else:
                    continue
                if isinstance(r, dict) and r.get("id") and not r.get("withdrawn"):
                    declare(r["id"], r.get("aliases") or [])


def ids_of_vulnerability(rid):
    """rid, its declared aliases, and the records that declare rid an alias: aliases are symmetric (not
    transitive)."""
    if not REVERSE:
        for r, al in DECLARED.items():
            for a in al:
                REVERSE.setdefault(a, set()).add(r)
    return {rid} | DECLARED.get(rid, set()) | REVERSE.get(rid, set())


def load(secdb, release, cache={}):
    """origin -> [(fixed, cve)] for one release (every repository file of it)."""
    if release not in cache:
        fixes = {}
        folder = os.path.join(secdb, release)
        for f in sorted(os.listdir(folder)) if os.path.isdir(folder) else []:
            with open(os.path.join(folder, f), encoding="utf-8") as fh:
                doc = yaml.load(fh, Loader=getattr(yaml, "CBaseLoader", yaml.BaseLoader))
            for p in doc.get("packages") or []:
                pkg = p["pkg"]
                for ver, ids in (pkg.get("secfixes") or {}).items():
                    for entry in ids or []:
                        ids = ids_of(entry)
                        if ids:
                            fixes.setdefault(pkg["name"], []).append((ver, ids[0]))
        cache[release] = fixes
    return cache[release]


def main():
    load_aliases(sys.argv[1], sys.argv[2:])
    for line in sys.stdin:
        path, name, version, origin, release = line.rstrip("\n").split("\t")
        if not valid(version):
            continue  # stockade warns and matches nothing for a version apk-tools rejects
        hits = []
        for fixed, rid in load(sys.argv[1], release).get(origin, []):
            if fixed == "0" or not valid(fixed):
                continue  # "0": never affected; an invalid secfix version says nothing we can use
            if compare(version, fixed) < 0:
                hits.append((ids_of_vulnerability(rid), fixed))
        # entries linked through an id are one vulnerability, fixed where the last of them is
        merged = True
        while merged:
            merged = False
            for i in range(len(hits)):
                for j in range(i + 1, len(hits)):
                    if hits[i][0] & hits[j][0]:
                        fixed = hits[i][1] if compare(hits[i][1], hits[j][1]) >= 0 else hits[j][1]
                        hits[i] = (hits[i][0] | hits[j][0], fixed)
                        del hits[j]
                        merged = True
                        break
                if merged:
                    break
        for ids, fixed in sorted(hits, key=lambda h: sorted(h[0])):
            print("\t".join([path, name, version, ",".join(sorted(ids)), fixed]))


if __name__ == "__main__":
    main()
