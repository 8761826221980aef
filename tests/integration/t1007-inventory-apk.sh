#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Alpine: stockade's apk packages of alpine-rootfs equal the installed database the image carries
# (lib/apk/db/installed, read inside a container of the image): name, version, origin, license and
# architecture of every package, with the record path lib/apk/db/installed; the OS is alpine 3.10.0.
# Checked on the docker-archive and on the dir: form (the root filesystem the image was made from).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq
need_docker

image=stockade-test/alpine-rootfs:latest
test_image alpine-rootfs
archive=$(image_export alpine-rootfs docker-archive) || fail "cannot export alpine-rootfs"
rootfs=$(image_export alpine-rootfs rootfs) || fail "cannot export alpine-rootfs as a directory"

# The database, as the image has it: one stanza per package, fields "X:value".
in_image "$image" cat /lib/apk/db/installed >"$T/installed"
awk -v OFS='\t' '
        function flush() { if (p != "") print p, v, (o == "" ? p : o), l, a; p = v = o = l = a = "" }
        /^$/ { flush(); next }
        /^P:/ { p = substr($0, 3) } /^V:/ { v = substr($0, 3) } /^o:/ { o = substr($0, 3) }
        /^L:/ { l = substr($0, 3) } /^A:/ { a = substr($0, 3) }
        END { flush() }' "$T/installed" >"$T/apk.db"
[ "$(wc -l <"$T/apk.db")" -ge 10 ] || fail "the image's apk database lists only $(wc -l <"$T/apk.db") packages"
note "lib/apk/db/installed lists $(wc -l <"$T/apk.db") packages"

# Licenses are declared strings; an apk L: line may hold several, separated by spaces.
apk_says() {
        jq -r '.packages[] | select(.type == "apk")
                | [.name, .version, (.source_name // .name), ((.licenses // []) | join(" ")), .arch] | @tsv' "$1"
}

for form in "docker-archive:$archive" "dir:$rootfs"; do
        kind=${form%%:*}
        sbom "$form" "$T/$kind.json"
        apk_says "$T/$kind.json" >"$T/apk.$kind"
        expect "$kind: apk packages (name, version, origin, license, arch) == lib/apk/db/installed" \
                same_lines "apk ($kind)" "the apk database" "$T/apk.db" "$T/apk.$kind"
        expect "$kind: every apk package's record is lib/apk/db/installed" \
                jq_true "$T/$kind.json" '[.packages[] | select(.type == "apk") | .path] | all(. == "lib/apk/db/installed")'
        expect "$kind: os is alpine 3.10.0" \
                jq_true "$T/$kind.json" '.os.id == "alpine" and .os.version_id == "3.10.0"'
        expect "$kind: nothing but apk packages (the busybox binary is not a Go or other package)" \
                jq_true "$T/$kind.json" '[.packages[] | select(.type != "apk")] == []'
        expect "$kind: purls are pkg:apk/alpine/NAME@VERSION[?qualifiers]" \
                jq_true "$T/$kind.json" '[.packages[] | select(.type == "apk")
                        | (.purl | split("?")[0]) == "pkg:apk/alpine/\(.name)@\(.version)"] | all'
done

finish
