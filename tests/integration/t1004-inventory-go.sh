#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Go: for every Go binary in bookworm-app, stockade's go packages equal what `go version -m` says about
# that binary (run on this host against the image's files, copied out of a container): the standard
# library at the toolchain's version, the main module (when the binary was built in module mode) and
# every dependency at its version. Debian's runc and containerd binaries (GOPATH builds: no module
# lines) and the module-mode /usr/local/bin/gofixture (7 dependencies) are among them. Binaries that
# come with a deb are owned by it.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq go
need_docker

image=stockade-test/bookworm-app:latest
test_image bookworm-app
archive=$(image_export bookworm-app docker-archive) || fail "cannot export bookworm-app"
sbom "docker-archive:$archive" "$T/sbom.json"

# The image's files as a container shows them: every ELF file of 512 KiB or more (the smallest Go
# binaries are larger) is copied out, then `go version -m DIR` finds the Go binaries among them.
# Symbolic links are not binaries of their own (/usr/bin/runc -> ../sbin/runc).
mkdir "$T/fs"
# shellcheck disable=SC2016 # a script for the container's shell
in_image "$image" sh -c 'find / -xdev -type f -size +512k 2>/dev/null | while read -r f; do
                [ "$(head -c 4 "$f" | od -An -tx1 | tr -d " \n")" = 7f454c46 ] && printf "%s\n" "$f"
        done | tar -cf - -T - 2>/dev/null' | tar -x -C "$T/fs" || fail "cannot copy the binaries of $image out of a container"
go version -m "$T/fs" >"$T/go-version-m" 2>"$T/go-version-m.err" || true

# "PATH<TAB>NAME<TAB>VERSION<TAB>ROLE" per module: ROLE go-stdlib, go-main or dep.
awk -F'\t' -v OFS='\t' -v root="$T/fs/" '
        /^[^\t]/ { bin = $0; sub(/: go[0-9.]+.*$/, "", bin); sub("^" root, "", bin)
                   tool = $0; sub(/^.*: /, "", tool)
                   # stockade spells the toolchain as a semver, as the Go vulndb and purls do:
                   # go1.19.8 -> v1.19.8, go1.20 -> v1.20.0 (the raw string is checked as go_toolchain)
                   v = tool; sub(/^go/, "v", v); sub(/ .*$/, "", v)
                   if (split(v, parts, ".") == 2) v = v ".0"
                   print bin, "stdlib", v, "go-stdlib"; next }
        $2 == "mod" { print bin, $3, $4, "go-main" }
        $2 == "dep" { print bin, $3, $4, "dep" }
        $2 == "=>"  { print "replaced module in " bin ": this test does not know what to expect" > "/dev/stderr"; exit 3 }
' "$T/go-version-m" >"$T/go.tool" || fail "cannot read go version -m output (see above)"
cut -f1 "$T/go.tool" | sort -u >"$T/go.binaries"
note "go version -m finds $(wc -l <"$T/go.binaries") Go binaries: $(tr '\n' ' ' <"$T/go.binaries")"
expect "the image holds the Go binaries this test is about" \
        grep -qx 'usr/local/bin/gofixture' "$T/go.binaries"
expect "… and Debian's runc" grep -qx 'usr/sbin/runc' "$T/go.binaries"

jq -r '.packages[] | select(.type == "go")
        | [.path, .name, .version,
           (if ((.flags // []) | index("go-stdlib")) then "go-stdlib"
            elif ((.flags // []) | index("go-main")) then "go-main" else "dep" end)] | @tsv' \
        "$T/sbom.json" >"$T/go.stockade"
expect "go packages per binary (path, module, version, role) == go version -m" \
        same_lines "go" "go version -m" "$T/go.tool" "$T/go.stockade"

# go_toolchain: the version go version -m prints after the binary's name, on every package.
awk -F'\t' -v OFS='\t' -v root="$T/fs/" '/^[^\t]/ { bin = $0; sub(/: go[0-9.]+.*$/, "", bin); sub("^" root, "", bin)
        tool = $0; sub(/^.*: /, "", tool); print bin, tool }' "$T/go-version-m" >"$T/toolchain.tool"
jq -r '.packages[] | select(.type == "go" and ((.flags // []) | index("go-stdlib"))) | [.path, .go_toolchain // "-"] | @tsv' \
        "$T/sbom.json" >"$T/toolchain.stockade"
expect "go_toolchain of each binary == go version -m" \
        same_lines "go toolchain" "go version -m" "$T/toolchain.tool" "$T/toolchain.stockade"

# Owners: dpkg -S for each binary, against the owner stockade puts on the binary's packages.
sed 's|^|/|' "$T/go.binaries" >"$T/go.paths"
dpkg_owners "$image" "$T/go.paths" "$T/owners.dpkg"
jq -r '.packages[] | select(.type == "go" and .owner) | ["/" + .path, .owner] | @tsv' "$T/sbom.json" |
        sort -u >"$T/owners.stockade"
expect "binaries from debs are owned by them (runc, containerd…), gofixture by none" \
        same_lines "go owners" "dpkg -S" "$T/owners.dpkg" "$T/owners.stockade"

finish
