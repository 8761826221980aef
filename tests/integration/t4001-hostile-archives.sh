#!/usr/bin/env bash
# Hostile images: every one gets a clear error or a safe skip with a warning — never a crash, a hang, a
# write outside the private temporary area, or unbounded memory.
. "$(dirname "$0")/lib.sh"
need_stockade
need_vulndb
need_cmd python3 jq gzip
mk() { python3 "$STOCKADE_SRCDIR/tests/integration/mkimage.py" "$@"; }

# Runs stockade under limits (time, memory) and records exit code, stderr.
run() {
        local rc=0
        ( ulimit -v 1048576; timeout 120 "$STOCKADE" "$@" ) >"$T/out" 2>"$T/err" || rc=$?
        echo "$rc" >"$T/rc"
}
rc() { cat "$T/rc"; }
expect() { # CODE PATTERN (in stderr)
        [ "$(rc)" = "$1" ] || { echo "exit $(rc), wanted $1"; cat "$T/err"; return 1; }
        [ -z "$2" ] || grep -q -- "$2" "$T/err" || { echo "stderr lacks '$2':"; cat "$T/err"; return 1; }
}

# 1. members that climb out, links that point out, loops: skipped with warnings, nothing written.
canary=/tmp/stockade-canary-$$
python3 - "$T/evil.tar" "$canary" <<'PY'
import io, sys, tarfile
out, canary = sys.argv[1], sys.argv[2]
with tarfile.open(out, 'w', format=tarfile.GNU_FORMAT) as tf:
    def f(name, data=b'x'):
        ti = tarfile.TarInfo(name); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    def l(name, target, kind=tarfile.SYMTYPE):
        ti = tarfile.TarInfo(name); ti.type = kind; ti.linkname = target; tf.addfile(ti)
    f('../../../..' + canary, b'escaped')
    f('etc/../../../tmp/escape2')
    l('etc/passwd-link', '/etc/shadow')
    l('loop-a', 'loop-b'); l('loop-b', 'loop-a')
    l('etc/os-release', '../../../../../etc/os-release')
    l('hard-out', '../../../../etc/shadow', tarfile.LNKTYPE)
    f('var/lib/dpkg/status', b'Package: x\n')
    f('ok/file', b'ok')
PY
mk "$T/i1" --raw-layer "$T/evil.tar" --docker-archive "$T/evil-image.tar"
run sbom "$T/evil-image.tar" --format json -v
check "hostile members: exit 0 with warnings" expect 0 "climbs out of the image root"
check "hostile members: the hard link out is skipped" grep -q "outside the image root" "$T/err"
check "hostile members: nothing written outside" test ! -e "$canary" -a ! -e /tmp/escape2
check "hostile members: the output is valid JSON" bash -c 'jq -e . "$T/out" >/dev/null'

# 2. wrong diff_id in the config / corrupted blob: clear errors naming the layer.
mk "$T/i2" --layer 'a=1' --corrupt-diff-id 0 --docker-archive "$T/bad-diffid.tar"
run sbom "$T/bad-diffid.tar"
check "wrong diff_id: exit 2, names the layer" expect 2 "is corrupt: diff_id is sha256:"
mk "$T/i3" --layer 'a=1' 'b=2' --gzip --corrupt-blob 0 --oci-dir "$T/bad-blob"
run sbom "oci:$T/bad-blob"
check "corrupted gzip blob: exit 2" expect 2 "layer '#0"
mk "$T/i4" --layer 'a=1' --gzip --oci-dir "$T/good-oci"
python3 - "$T/good-oci" <<'PY'
import json, os, sys
d = sys.argv[1]
idx = json.load(open(os.path.join(d, 'index.json')))
m = idx['manifests'][0]; m['digest'] = 'sha256:' + 'f' * 64
json.dump(idx, open(os.path.join(d, 'index.json'), 'w'))
PY
run sbom "oci:$T/good-oci"
check "index pointing at a missing manifest: exit 2" expect 2 "cannot open 'blobs/sha256/ffff"

# 3. truncated archives
mk "$T/i5" --layer 'a=1' "big=$(head -c 30000 /dev/urandom | base64 -w0)" --docker-archive "$T/full.tar"
head -c 20000 "$T/full.tar" >"$T/truncated.tar"
run sbom "$T/truncated.tar"
check "truncated archive: exit 2" expect 2 "truncated"
gzip -c "$T/full.tar" | head -c 3000 >"$T/truncated.tar.gz"
run sbom "$T/truncated.tar.gz"
check "truncated compressed archive: exit 2" expect 2 ""

# 4. an outer member name climbing out of the archive
mk "$T/i6" --layer 'a=1' --manifest-layer-name '../../etc/passwd' --docker-archive "$T/escape-manifest.tar"
run sbom "$T/escape-manifest.tar"
check "manifest naming a member outside the archive: exit 2" expect 2 "not a valid member name"

# 5. a gzip bomb: 2 GiB of zeros in a few MB; refused quickly, memory bounded (ulimit -v 1 GiB above).
python3 - "$T/bomb.tar" <<'PY'
import gzip, sys, tarfile, io
# one gzip member of 64 MiB of zeros, repeated: a tar whose single member claims 2 GiB
hdr = tarfile.TarInfo('zeros'); hdr.size = 2 << 30
head = hdr.tobuf(format=tarfile.GNU_FORMAT)
member = gzip.compress(b'\0' * (64 << 20), compresslevel=9, mtime=0)
with open(sys.argv[1], 'wb') as f:
    f.write(gzip.compress(head, mtime=0))
    for _ in range(32):
        f.write(member)
PY
mk "$T/i7" --raw-layer "$T/bomb.tar" --oci-dir "$T/bomb-oci"
start=$(date +%s)
run sbom "oci:$T/bomb-oci"
check "gzip bomb: refused" expect 2 "decompression bomb"
check "gzip bomb: refused within 60 s" test $(($(date +%s) - start)) -lt 60

# 6. a huge sparse file (declares 200 GiB): read in a moment
if tar --version 2>/dev/null | grep -q GNU; then
        mkdir -p "$T/sparse/var" && truncate -s 200G "$T/sparse/var/huge" && echo "ID=debian" >"$T/sparse/os-release"
        tar --sparse -C "$T/sparse" -cf "$T/sparse.tar" var os-release
        mk "$T/i8" --raw-layer "$T/sparse.tar" --docker-archive "$T/sparse-image.tar"
        start=$(date +%s)
        run scan "$T/sparse-image.tar" --format json
        check "huge sparse file: exit 0" expect 0 ""
        check "huge sparse file: fast" test $(($(date +%s) - start)) -lt 30
fi

# 7. garbage where a layer should be
head -c 100000 /dev/urandom >"$T/garbage.bin"
mk "$T/i9" --raw-layer "$T/garbage.bin" --docker-archive "$T/garbage-image.tar"
run sbom "$T/garbage-image.tar"
check "garbage layer: exit 2, says it is not tar" expect 2 "layer"

# 8. corrupt rpm databases (Berkeley DB, NDB, SQLite): a warning naming the file, the rest still counts
head -c 65536 /dev/urandom >"$T/rpm-garbage"
printf '\x00\x00\x00\x00\x00\x00\x00\x00\x61\x15\x06\x00' | cat - "$T/rpm-garbage" >"$T/rpm-bdb-ish"
printf 'RpmP' | cat - "$T/rpm-garbage" >"$T/rpm-ndb-ish"
printf 'SQLite format 3\000' | cat - "$T/rpm-garbage" >"$T/rpm-sqlite-ish"
python3 - "$T" <<'PY'
import io, sys, tarfile
t = sys.argv[1]
with tarfile.open(t + '/rpm-layer.tar', 'w') as tf:
    for name, src in (('var/lib/rpm/Packages', 'rpm-bdb-ish'), ('var/lib/rpm/Packages.db', 'rpm-ndb-ish'),
                      ('usr/lib/sysimage/rpm/rpmdb.sqlite', 'rpm-sqlite-ish')):
        data = open(t + '/' + src, 'rb').read()
        ti = tarfile.TarInfo(name); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
    data = b'ID=almalinux\nVERSION_ID="9.3"\n'
    ti = tarfile.TarInfo('etc/os-release'); ti.size = len(data); tf.addfile(ti, io.BytesIO(data))
PY
mk "$T/i11" --raw-layer "$T/rpm-layer.tar" --docker-archive "$T/rpm-image.tar"
run sbom "$T/rpm-image.tar" --format json -v
check "corrupt rpm databases: exit 0" expect 0 ""
check "corrupt rpm databases: each is named in a warning" bash -c '
        grep -q "var/lib/rpm/Packages" "$T/err" && grep -q "rpmdb.sqlite" "$T/err"'
check "corrupt rpm databases: the OS is still known, no made-up packages" bash -c '
        jq -e ".os.id == \"almalinux\" and ([.packages[] | select(.type == \"rpm\")] | length == 0)" "$T/out" >/dev/null'

# 9. a layer listing more members than the limit is refused, not swallowed
python3 - "$T/many.tar" <<'PY'
import sys, tarfile
with tarfile.open(sys.argv[1], 'w', format=tarfile.GNU_FORMAT) as tf:
    for i in range(5000):
        ti = tarfile.TarInfo('d/%d' % i); ti.type = tarfile.DIRTYPE; tf.addfile(ti)
PY
mk "$T/i10" --raw-layer "$T/many.tar" --docker-archive "$T/many-image.tar"
run sbom "$T/many-image.tar" --format json
check "many members: fine under the limit" expect 0 ""
