#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# npm: in bookworm-app, stockade's npm packages under /app/node_modules equal what `npm ls --all` says
# in /app inside a container of the image (name, version, directory; devDependencies included and
# flagged npm-dev exactly where `npm ls --omit=dev` leaves them out). Lockfile-only entries are those
# npm lists as not installed. Node modules that Debian installs (/usr/share/nodejs, /usr/lib/nodejs…)
# are owned by the deb that dpkg says owns their package.json.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq python3
need_docker

image=stockade-test/bookworm-app:latest
test_image bookworm-app
archive=$(image_export bookworm-app docker-archive) || fail "cannot export bookworm-app"
sbom "docker-archive:$archive" "$T/sbom.json"

# npm ls prints a tree in which a package appears once per dependent; --long adds each one's path.
# Prints "name<TAB>version<TAB>path" for each installed package, "missing<TAB>name" for the rest.
npm_ls() {
        in_image "$image" sh -c "cd /app && npm ls --all --json --long $1 2>/dev/null; true" | python3 -c '
import json, sys
seen = set()
def walk(node):
    for key, dep in sorted((node.get("dependencies") or {}).items()):
        if dep.get("path"):
            seen.add("%s\t%s\t%s" % (dep.get("name", key), dep.get("version"), dep["path"].lstrip("/")))
        else:
            seen.add("missing\t" + key)
        walk(dep)
walk(json.load(sys.stdin))
print("\n".join(sorted(seen)))'
}
npm_ls "" >"$T/npm.all"
npm_ls --omit=dev >"$T/npm.prod"
grep -v '^missing' "$T/npm.all" >"$T/npm.tool" || true
[ "$(wc -l <"$T/npm.tool")" -ge 100 ] || fail "npm ls lists only $(wc -l <"$T/npm.tool") packages in /app"
note "npm ls: $(wc -l <"$T/npm.tool") installed packages in /app, $(grep -c -v '^missing' "$T/npm.prod") without dev;" \
        "not installed: $(grep '^missing' "$T/npm.all" | cut -f2 | tr '\n' ' ')"

# stockade: installed packages are read from node_modules/…/package.json; the record's directory is
# the package's directory.
jq -r '.packages[] | select(.type == "npm" and (.path | startswith("app/node_modules/")))
        | [.name, .version, (.path | sub("/package\\.json$"; "")), ((.flags // []) | index("npm-dev") != null),
           ((.flags // []) | index("lockfile") != null)] | @tsv' "$T/sbom.json" >"$T/npm.stockade5"
cut -f1-3 "$T/npm.stockade5" >"$T/npm.stockade"
expect "npm packages in /app/node_modules (name, version, directory) == npm ls --all" \
        same_lines "npm /app" "npm ls" "$T/npm.tool" "$T/npm.stockade"

# Dev: npm ls --omit=dev leaves dev-only packages out; stockade flags exactly those npm-dev.
grep -v '^missing' "$T/npm.prod" | LC_ALL=C sort >"$T/prod.sorted" || true
LC_ALL=C sort "$T/npm.tool" | LC_ALL=C comm -23 - "$T/prod.sorted" >"$T/dev.tool"
awk -F'\t' -v OFS='\t' '$4 == "true" { print $1, $2, $3 }' "$T/npm.stockade5" >"$T/dev.stockade"
expect "npm-dev flags == the packages npm ls --omit=dev leaves out ($(wc -l <"$T/dev.tool") of them)" \
        same_lines "npm dev" "npm ls" "$T/dev.tool" "$T/dev.stockade"
expect "no package in /app/node_modules is flagged lockfile (all are installed)" \
        test "$(awk -F'\t' '$5 == "true"' "$T/npm.stockade5" | wc -l)" = 0

# /app has an installed tree, so the installed packages are what the image holds: entries of
# /app/package-lock.json that npm ls calls missing (optional packages for other platforms) are not in
# the image and are not reported (docs/json-output.md, flag "lockfile").
note "npm ls calls these not installed: $(grep '^missing' "$T/npm.all" | cut -f2 | tr '\n' ' ')"
expect "no package is reported from app/package-lock.json (the installed tree supersedes it)" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "npm" and .path == "app/package-lock.json")] | length == 0'

# The overwrite of layer 8: minimist 1.2.8 replaced 1.2.5 (also checked by t1005).
expect "minimist is 1.2.8 (the later layer's), once" \
        jq_true "$T/sbom.json" '[.packages[] | select(.type == "npm" and .name == "minimist"
                and (.path | startswith("app/"))) | .version] == ["1.2.8"]'

# Debian's node modules: each record's owner is what dpkg -S says about that package.json.
jq -r '.packages[] | select(.type == "npm" and (.path | test("^usr/(share|lib)/(nodejs|node_modules|[^/]*/nodejs)/")))
        | ["/" + .path, (.owner // "-")] | @tsv' "$T/sbom.json" >"$T/owners.stockade"
cut -f1 "$T/owners.stockade" >"$T/debnode.records"
dpkg_owners "$image" "$T/debnode.records" "$T/owners.dpkg"
note "npm packages under Debian's node directories: $(wc -l <"$T/owners.stockade"), dpkg owns $(wc -l <"$T/owners.dpkg")"
expect "Debian's node modules are there (npm's own dependencies: hundreds)" \
        test "$(wc -l <"$T/owners.stockade")" -ge 300
expect "each Debian node module is owned by the deb dpkg -S names for its package.json" \
        same_lines "npm owners" "dpkg -S" "$T/owners.dpkg" "$T/owners.stockade"

# Deleted in layer 7 with its directory: /opt/legacy/node_modules/left-pad.
expect "the deleted /opt/legacy tree (left-pad) is not reported" \
        jq_true "$T/sbom.json" '[.packages[] | select(.path | startswith("opt/legacy/"))] == []'

finish
