#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Prints what importlib.metadata lists for one directory on the import path, as the Python cataloger should
# record it: "RECORD-PATH<TAB>NAME<TAB>VERSION<TAB>LICENSES" with RECORD-PATH relative to the directory's
# parent and LICENSES '|'-joined, chosen by the cataloger's documented rule (License-Expression, else a
# short one-line License, else the "License ::" classifiers) but read with Python's own e-mail parser.
import importlib.metadata as md
import os
import sys

d = os.path.abspath(sys.argv[1])
base = os.path.dirname(d)


def licenses(m):
    expr = m.get("License-Expression")
    if expr is not None and "\n" not in expr and expr.strip():
        return [expr.strip()]
    lic = m.get("License")
    if lic is not None:
        lines = lic.split("\n")
        first = lines[0].strip()
        if (all(not x.strip() for x in lines[1:]) and 0 < len(first.encode()) <= 128
                and first.lower() not in ("unknown", "none")):
            return [first]
    out = []
    for c in m.get_all("Classifier") or []:
        parts = [p.strip() for p in c.split("::")]
        if len(parts) < 2 or parts[0] != "License":
            continue
        last = parts[-1]
        if not last or last.lower() in ("osi approved", "dfsg approved", "license"):
            continue
        if last not in out:
            out.append(last)
    return out


for dist in md.distributions(path=[d]):
    p = str(dist._path)
    if os.path.isdir(p):
        f = "METADATA" if p.endswith(".dist-info") else "PKG-INFO"
        p = os.path.join(p, f)
    if not os.path.isfile(p):
        continue
    m = dist.metadata
    if m["Name"] is None or m["Version"] is None:
        continue
    print("%s\t%s\t%s\t%s" % (os.path.relpath(p, base), m["Name"].strip(), m["Version"].strip(),
                              "|".join(licenses(m))))
