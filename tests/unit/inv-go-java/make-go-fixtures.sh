#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Builds the Go binaries the Go cataloger tests read, offline, into OUT:
#   stdlib-amd64      a program using only the standard library
#   app-amd64 app-386 app-s390x app-pie app-extld app-trimpath
#                     a module with dependencies from a file-based module proxy written here, one of them
#                     replaced by another module (a fork) and one by a local directory
# Usage: make-go-fixtures.sh OUT [GOCACHE]. Needs the go command; nothing is fetched from the network.
set -eu
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
export HOME="$out/home" GOPATH="$out/gopath" GOCACHE="${2:-$out/gocache}"
export GOPROXY="file://$out/proxy" GOSUMDB=off GONOSUMDB='*' GOFLAGS=-modcacherw GOTOOLCHAIN=local
export GO111MODULE=on CGO_ENABLED=0
unset GOARCH GOOS GOFLAGS_EXTRA 2>/dev/null || true
mkdir -p "$HOME" "$GOPATH" "$GOCACHE"

# mkmod PATH VERSION GOFILE-CONTENT: writes the module to the proxy as list, .info, .mod and .zip.
mkmod() {
        mpath=$1 ver=$2 src=$3
        dir="$out/proxy/$mpath/@v"
        mkdir -p "$dir"
        echo "$ver" >>"$dir/list"
        printf '{"Version":"%s","Time":"2023-01-02T03:04:05Z"}\n' "$ver" >"$dir/$ver.info"
        printf 'module %s\n\ngo 1.19\n' "$mpath" >"$dir/$ver.mod"
        stage="$out/stage/$mpath@$ver"
        mkdir -p "$stage"
        cp "$dir/$ver.mod" "$stage/go.mod"
        printf '%s\n' "$src" >"$stage/lib.go"
        (cd "$out/stage" && rm -f "$dir/$ver.zip" && python3 - "$mpath@$ver" "$dir/$ver.zip" <<'PY'
import os, sys, zipfile
root, dest = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dest, "w") as z:
    for d, _, files in os.walk(root):
        for f in sorted(files):
            p = os.path.join(d, f)
            z.write(p, p)
PY
        )
}

mkmod example.com/liba v1.2.3 'package liba
func Name() string { return "liba" }'
mkmod example.com/libb v0.4.0 'package libb
func Name() string { return "libb 0.4" }'
mkmod example.com/libb-fork v0.4.1-fixed 'package libb
func Name() string { return "libb fork" }'
mkmod example.com/libd v2.0.0+incompatible 'package libd
func Name() string { return "libd" }'

app="$out/src/app"
mkdir -p "$app/cmd/app" "$app/libc"
cat >"$app/go.mod" <<'MOD'
module example.com/app

go 1.19

require (
	example.com/liba v1.2.3
	example.com/libb v0.4.0
	example.com/libc v1.0.0
	example.com/libd v2.0.0+incompatible
)

replace example.com/libb => example.com/libb-fork v0.4.1-fixed

replace example.com/libc => ./libc
MOD
printf 'module example.com/libc\n\ngo 1.19\n' >"$app/libc/go.mod"
printf 'package libc\nfunc Name() string { return "libc local" }\n' >"$app/libc/libc.go"
cat >"$app/cmd/app/main.go" <<'GO'
package main

import (
	"fmt"

	"example.com/liba"
	"example.com/libb"
	"example.com/libc"
	"example.com/libd"
)

func main() { fmt.Println(liba.Name(), libb.Name(), libc.Name(), libd.Name()) }
GO

std="$out/src/std"
mkdir -p "$std"
printf 'module example.com/std\n\ngo 1.19\n' >"$std/go.mod"
printf 'package main\nimport "fmt"\nfunc main() { fmt.Println("hello") }\n' >"$std/main.go"

cd "$std" && go build -o "$out/stdlib-amd64" .
cd "$app"
go mod tidy >/dev/null 2>&1 || go mod download
go build -mod=mod -o "$out/app-amd64" ./cmd/app
GOARCH=386 go build -mod=mod -o "$out/app-386" ./cmd/app
GOARCH=s390x go build -mod=mod -o "$out/app-s390x" ./cmd/app
go build -mod=mod -buildmode=pie -o "$out/app-pie" ./cmd/app
go build -mod=mod -trimpath -ldflags='-s -w' -o "$out/app-trimpath" ./cmd/app
if command -v gcc >/dev/null 2>&1; then
        CGO_ENABLED=1 go build -mod=mod -ldflags=-linkmode=external -o "$out/app-extld" ./cmd/app
        CGO_ENABLED=1 go build -mod=mod -buildmode=pie -ldflags=-linkmode=external -o "$out/app-extpie" ./cmd/app
fi
