#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Fills vendor/ (sources and modules.txt) from Debian's golang-*-dev packages, checking that each
# package's upstream version is the one go.mod requires. Runs in the gobuild stage of ../Dockerfile.
set -euo pipefail

# module path, version required in go.mod, Debian package providing /usr/share/gocode/src/<module>
modules=(
        "github.com/google/uuid v1.3.0 golang-github-google-uuid-dev"
        "github.com/pkg/errors v0.9.1 golang-github-pkg-errors-dev"
        "github.com/sirupsen/logrus v1.9.0 golang-github-sirupsen-logrus-dev"
        "golang.org/x/net v0.7.0 golang-golang-x-net-dev"
        "golang.org/x/sys v0.3.0 golang-golang-x-sys-dev"
        "golang.org/x/text v0.7.0 golang-golang-x-text-dev"
        "gopkg.in/yaml.v3 v3.0.1 golang-gopkg-yaml.v3-dev"
)

rm -rf vendor
mkdir vendor
for m in "${modules[@]}"; do
        read -r path version deb <<<"$m"
        grep -q "^[[:space:]]*$path $version\b" go.mod || { echo "go.mod does not require $path $version" >&2; exit 1; }
        debver=$(dpkg-query -W -f '${Version}' "$deb")
        upstream=${debver#*:}
        upstream=${upstream%-*}
        upstream=${upstream%+dfsg*}
        [ "v$upstream" = "$version" ] || { echo "$deb is $debver, go.mod wants $path $version" >&2; exit 1; }
        src=/usr/share/gocode/src/$path
        mkdir -p "vendor/$path"
        # Go sources only, like `go mod vendor`: no tests, no testdata, no nested modules.
        (cd "$src" && find . \( -name testdata -o -name '_*' \) -prune -o -type f \
                \( -name '*.go' ! -name '*_test.go' -o -name '*.s' -o -name '*.h' -o -name '*.c' \
                -o -name 'LICENSE*' -o -name 'PATENTS' \) -print) | while read -r f; do
                install -D -m 0644 "$src/$f" "vendor/$path/$f"
        done
        {
                echo "# $path $version"
                gover=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$src/go.mod" 2>/dev/null || true)
                echo "## explicit${gover:+; go $gover}"
                (cd vendor && find "$path" -name '*.go' -printf '%h\n' | LC_ALL=C sort -u)
        } >>vendor/modules.txt
done
