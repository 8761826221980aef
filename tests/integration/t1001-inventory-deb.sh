#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Debian packages: stockade's deb inventory of bookworm-minbase and bookworm-app equals what dpkg-query
# says inside a container of the same image: every installed package once, with its name, version
# (epoch included), architecture and source package. Packages removed or purged in a later layer
# (bookworm-app: procps is "rc", less was purged) are not installed and must not be reported.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib-inventory.sh"
need_stockade
need_cmd jq python3
need_docker

# Installed packages only (dpkg's "rc" and purged entries are not): name version arch source.
dpkg_says() {
        # shellcheck disable=SC2016 # dpkg-query's format, not shell
        in_image "$1" dpkg-query -W \
                -f '${db:Status-Status}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\n' |
                awk -F'\t' '$1 == "installed" { print $2 "\t" $3 "\t" $4 "\t" $5 }'
}

# source_name is left out when it equals the name (docs/json-output.md); dpkg prints the name then.
stockade_says() {
        jq -r '.packages[] | select(.type == "deb") | [.name, .version, .arch, (.source_name // .name)] | @tsv' "$1"
}

for name in bookworm-minbase bookworm-app; do
        test_image "$name"
        image=stockade-test/$name:latest
        archive=$(image_export "$name" docker-archive) || fail "cannot export $name"
        sbom "docker-archive:$archive" "$T/$name.json"
        dpkg_says "$image" >"$T/$name.dpkg"
        stockade_says "$T/$name.json" >"$T/$name.stockade"
        [ "$(wc -l <"$T/$name.dpkg")" -ge 80 ] || fail "dpkg-query lists only $(wc -l <"$T/$name.dpkg") packages in $image"
        note "$name: dpkg-query lists $(wc -l <"$T/$name.dpkg") installed packages, stockade $(wc -l <"$T/$name.stockade") debs"

        expect "$name: deb packages (name, version, arch, source) == dpkg-query" \
                same_lines "$name debs" dpkg-query "$T/$name.dpkg" "$T/$name.stockade"
        expect "$name: os is debian 12" \
                jq_true "$T/$name.json" '.os.id == "debian" and .os.version_id == "12"'
        expect "$name: every deb's record is var/lib/dpkg/status" \
                jq_true "$T/$name.json" '[.packages[] | select(.type == "deb") | .path] | all(. == "var/lib/dpkg/status")'
done

# Not installed any more, so not reported: dpkg still knows procps (state rc) and less (purged).
expect "bookworm-app: removed (rc) and purged packages are not reported" \
        jq_true "$T/bookworm-app.json" '[.packages[] | select(.type == "deb" and (.name == "procps" or .name == "less"))] == []'
# shellcheck disable=SC2016 # dpkg-query's format, not shell
procps_is_rc() { in_image stockade-test/bookworm-app:latest dpkg-query -W -f '${db:Status-Abbrev}' procps | grep -q '^rc'; }
expect "bookworm-app: dpkg itself still knows procps as rc (the image is as this test assumes)" procps_is_rc

finish
