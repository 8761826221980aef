#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
# Flattens `npm ls --all --json --long` (stdin) into "LOCATION<TAB>NAME<TAB>VERSION<TAB>DEV" lines, with
# LOCATION relative to the project directory (argv[1]): what the npm catalogers should find there.
import json
import os
import sys

root = os.path.realpath(sys.argv[1])
tree = json.load(sys.stdin)
seen = set()


def walk(node):
    for dep in (node.get("dependencies") or {}).values():
        path = dep.get("path")
        if path and not dep.get("missing"):
            loc = os.path.relpath(os.path.realpath(path), root)
            if loc not in seen:
                seen.add(loc)
                print("%s\t%s\t%s\t%d" % (loc, dep["name"], dep["version"], 1 if dep.get("dev") else 0))
        walk(dep)


walk(tree)
