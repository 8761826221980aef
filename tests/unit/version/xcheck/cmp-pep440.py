# SPDX-License-Identifier: Apache-2.0
# Reads "A<TAB>B" lines, prints the sign of packaging.version.Version(A) vs Version(B) per line: -1, 0, 1;
# E if either is an invalid version; X if packaging fails otherwise (ValueError: more than 4300 digits).
# The first line printed is the packaging version.
import sys

import packaging
from packaging.version import InvalidVersion, Version


def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


out = [packaging.__version__]
for raw in sys.stdin.buffer:
    a, b = raw.rstrip(b"\n").decode("utf-8", "surrogateescape").split("\t")
    try:
        x, y = parse(a), parse(b)
        out.append("E" if x is None or y is None else str((x > y) - (x < y)))
    except ValueError:
        out.append("X")
sys.stdout.write("\n".join(out) + ("\n" if out else ""))
