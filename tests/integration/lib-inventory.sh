# SPDX-License-Identifier: Apache-2.0
# shellcheck shell=bash
# Sourced by the inventory tests (t1xxx) after lib.sh: run stockade and the tools that own the package
# records (dpkg, importlib.metadata, npm, go), and compare what they say.
#
# These tests report every disagreement, not only the first: `expect` runs a comparison, prints
# "ok N - …" or "not ok N - …" with the differing lines, and `finish` fails the script at the end if any
# expectation failed.

_failed=()

# expect DESCRIPTION COMMAND...: like check, but keeps going after a failure (see finish).
expect() {
        local what=$1
        shift
        _checks=$((_checks + 1))
        if "$@"; then
                echo "ok $_checks - $what"
        else
                echo "not ok $_checks - $what"
                _failed+=("$what")
        fi
}

# finish: exits 1 naming the failed expectations, 0 when there were none.
finish() {
        if [ ${#_failed[@]} -gt 0 ]; then
                printf 'FAIL: %s\n' "${_failed[@]}" >&2
                exit 1
        fi
        echo "# all $_checks expectations hold"
}

# jq_true FILE FILTER [JQ-OPTION...]: the filter's result is true (jq -e, quietly).
jq_true() { jq -e "${@:3}" "$2" "$1" >/dev/null; }

# image_export NAME FORMAT: prints the path of test image NAME in FORMAT (see tests/images/README.md).
# On failure, shows the end of build.sh's log and returns 1: path=$(image_export …) || fail ….
image_export() {
        "$STOCKADE_SRCDIR/tests/images/build.sh" --export "$2" "$1" 2>"$T/images.log" && return 0
        tail -n 20 "$T/images.log" >&2
        return 1
}

# sbom TARGET OUT [OPTION...]: writes stockade's JSON inventory of TARGET to OUT. --no-cache: every
# test reads every layer itself (a warm layer cache would hide the source form under test).
sbom() {
        local target=$1 out=$2
        shift 2
        "$STOCKADE" sbom -q --no-cache --format json "$@" "$target" >"$out" 2>"$out.err" ||
                fail "stockade sbom $target: $(head -c 600 "$out.err")"
        jq -e '.schema == "stockade/sbom/v1"' "$out" >/dev/null || fail "stockade sbom $target: not an sbom document"
}

# try_sbom TARGET OUT [OPTION...]: like sbom, but a failure of stockade is an answer too: prints it
# (as a comment), removes OUT and returns 1, for tests that go on with other targets.
try_sbom() {
        local target=$1 out=$2
        shift 2
        if ! "$STOCKADE" sbom -q --no-cache --format json "$@" "$target" >"$out" 2>"$out.err"; then
                echo "# stockade sbom $target failed: $(head -c 600 "$out.err")"
                rm -f "$out"
                return 1
        fi
}

# in_image IMAGE COMMAND...: runs COMMAND in a throw-away container of IMAGE, without network.
in_image() {
        local image=$1
        shift
        docker run --rm --network none --entrypoint "" "$image" "$@"
}

# same_lines WHAT TOOL EXPECTED ACTUAL: compares two files of lines as multisets (order does not
# matter, duplicates do). On a difference, prints the lines only one side has, naming the side.
same_lines() {
        local what=$1 tool=$2 exp=$3 act=$4 n
        LC_ALL=C sort "$exp" >"$exp.sorted"
        LC_ALL=C sort "$act" >"$act.sorted"
        cmp -s "$exp.sorted" "$act.sorted" && return 0
        echo "# $what: $tool and stockade disagree ($(wc -l <"$exp") lines from $tool, $(wc -l <"$act") from stockade)"
        LC_ALL=C comm -23 "$exp.sorted" "$act.sorted" >"$exp.only"
        LC_ALL=C comm -13 "$exp.sorted" "$act.sorted" >"$act.only"
        head -n 40 "$exp.only" | sed "s/^/#   only $tool:\t/"
        n=$(wc -l <"$exp.only")
        [ "$n" -le 40 ] || echo "#   … and $((n - 40)) more only $tool"
        head -n 40 "$act.only" | sed "s/^/#   only stockade:\t/"
        n=$(wc -l <"$act.only")
        [ "$n" -le 40 ] || echo "#   … and $((n - 40)) more only stockade"
        return 1
}

# dpkg_owners IMAGE PATHLIST OUT: for each absolute path in PATHLIST (one a line), writes
# "PATH<TAB>deb:PACKAGE" to OUT when dpkg says a package owns it (arch qualifier dropped), nothing
# when none does. Runs dpkg-query -S inside a container of IMAGE.
dpkg_owners() {
        local image=$1 list=$2 out=$3
        docker run --rm -i --network none --entrypoint "" "$image" \
                sh -c 'xargs -d "\n" dpkg-query -S 2>/dev/null; true' <"$list" |
                awk '/^diversion by / { next }
                     { i = index($0, ": "); pkgs = substr($0, 1, i - 1); path = substr($0, i + 2)
                       n = split(pkgs, p, ", ")
                       for (j = 1; j <= n; j++) { sub(/:.*/, "", p[j]); print path "\tdeb:" p[j] } }' >"$out"
}

# layer_files ARCHIVE OUT: from a `docker save` archive (legacy layout), writes one line per entry of
# every layer: "INDEX<TAB>PATH" (no leading "./" or "/"; whiteouts as they are stored). This reads the
# engine's own export of the image, independently of stockade.
layer_files() {
        python3 - "$1" >"$2" <<'EOF'
import json, sys, tarfile
with tarfile.open(sys.argv[1]) as outer:
    manifest = json.load(outer.extractfile("manifest.json"))
    for index, layer in enumerate(manifest[0]["Layers"]):
        with tarfile.open(fileobj=outer.extractfile(layer), mode="r|") as inner:
            for m in inner:
                name = m.name
                while name.startswith("./") or name.startswith("/"):
                    name = name[2:] if name.startswith("./") else name[1:]
                if name:
                    print(f"{index}\t{name}")
EOF
}
