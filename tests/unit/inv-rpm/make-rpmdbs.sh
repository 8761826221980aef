#!/bin/bash
# SPDX-License-Identifier: Apache-2.0
# Builds real rpm databases from the spec files in tests/data/inv-rpm/ with the real tools:
#   - rpmbuild makes the noarch packages;
#   - rpm installs them (--justdb) into a throwaway root with its default backend (sqlite on Debian),
#     and imports a public key (a gpg-pubkey pseudo-package);
#   - the header blobs of that database are loaded into genuine Berkeley DB hash files with db_load
#     (libdb's own tool): little-endian 4 KiB pages, big-endian 512-byte pages (long overflow chains),
#     and checksummed pages; rpm's bdb_ro backend, when present, must read them back identically;
#   - with an rpm that has the ndb backend (Debian's has not; RPM_NDB=/path/to/rpm names one), the
#     packages are installed into an ndb database too.
# What rpm says about the packages goes to expected-pkgs.txt / expected-files.txt, and every database to
# cases.txt ("FORMAT FILE"). Exits 77 (skip) when rpm/rpmbuild are missing.
#
# usage: make-rpmdbs.sh OUTDIR [SPEC...]

set -euo pipefail

out=$1
shift
srcdir=${STOCKADE_SRCDIR:-$(cd "$(dirname "$0")/../../.." && pwd)}
data=$srcdir/tests/data/inv-rpm
RPM=${RPM:-rpm}
RPMBUILD=${RPMBUILD:-rpmbuild}
if (($# == 0)); then
        set -- "$data"/*.spec
fi

skip() { echo "SKIP: $*"; exit 77; }
note() { echo "# $*"; }

# Installs a Debian package for a missing tool when we may (root, apt-get, not disabled); CI images
# should have them already: rpm, db5.3-util.
try_install() {
        [[ ${STOCKADE_TEST_NO_INSTALL:-0} == 1 ]] && return 1
        [[ $(id -u) == 0 ]] && command -v apt-get > /dev/null || return 1
        note "installing $* for the rpm database tests"
        timeout 600 env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
                > "$out/apt.log" 2>&1
}

command -v "$RPM" > /dev/null && command -v "$RPMBUILD" > /dev/null || try_install rpm ||
        skip "rpm and rpmbuild are needed to build real rpm databases (Debian package: rpm)"
command -v "$RPMBUILD" > /dev/null || skip "rpmbuild is missing (Debian package: rpm)"

mkdir -p "$out"
: > "$out/cases.txt"
: > "$out/skipped.txt"

# Debian's rpm complains about being used on Debian; that is expected here.
quiet() { "$@" 2> >(grep -v -e 'should not be used directly' -e 'assuming you know what you are doing' >&2); }

# ---- packages ----
top=$out/build
mkdir -p "$top"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS}
for spec in "$@"; do
        "$RPMBUILD" -bb --quiet --nodeps --define "_topdir $top" --define '_build_id_links none' "$spec" \
                > "$out/rpmbuild.log" 2>&1 || { cat "$out/rpmbuild.log" >&2; exit 1; }
done
mapfile -t rpms < <(find "$top/RPMS" -name '*.rpm' | sort)
((${#rpms[@]} > 0)) || { echo "rpmbuild made no packages" >&2; exit 1; }

# ---- sqlite (or whatever this rpm's default backend is) ----
root=$out/root
quiet "$RPM" --root "$root" --dbpath /var/lib/rpm -i --nodeps --justdb --noscripts "${rpms[@]}"
quiet "$RPM" --root "$root" --dbpath /var/lib/rpm --import "$data/test-key.asc"

qf='%{NAME} %{EPOCH} %{VERSION}-%{RELEASE} %{ARCH} %{LICENSE} %{SOURCERPM}\n'
quiet "$RPM" --root "$root" --dbpath /var/lib/rpm -qa --qf "$qf" | LC_ALL=C sort > "$out/rpm-qa.txt"
grep -q '^gpg-pubkey ' "$out/rpm-qa.txt" || { echo "the key import made no gpg-pubkey entry" >&2; exit 1; }
grep -v '^gpg-pubkey ' "$out/rpm-qa.txt" > "$out/expected-pkgs.txt"
: > "$out/expected-files.txt"
while read -r name _; do
        quiet "$RPM" --root "$root" --dbpath /var/lib/rpm -ql "$name" | grep -v '^(contains no files)$' |
                sed "s|^|$name |" >> "$out/expected-files.txt" || true
done < "$out/expected-pkgs.txt"
LC_ALL=C sort -o "$out/expected-files.txt" "$out/expected-files.txt"

default_db=$(find "$root/var/lib/rpm" -maxdepth 1 -type f \( -name rpmdb.sqlite -o -name Packages -o \
        -name Packages.db \) | head -1)
[[ -n $default_db ]] || { echo "no database found after rpm -i" >&2; exit 1; }
echo "default $default_db" >> "$out/cases.txt"

# ---- Berkeley DB ----
db_load=$(command -v db_load || command -v db5.3_load || true)
if [[ -z $db_load ]] && try_install db5.3-util; then
        db_load=$(command -v db_load || command -v db5.3_load || true)
fi
if [[ -z $db_load ]]; then
        echo "Berkeley DB: db_load is missing (Debian package: db5.3-util)" >> "$out/skipped.txt"
elif [[ $(basename "$default_db") != rpmdb.sqlite ]]; then
        echo "Berkeley DB: needs the header blobs of an sqlite rpmdb to load" >> "$out/skipped.txt"
elif ! python3 -c 'import sqlite3' 2> /dev/null; then
        echo "Berkeley DB: python3 with the sqlite3 module is needed to export header blobs" >> "$out/skipped.txt"
else
        # db_dump's portable format: hex key/data lines. Keys are rpm's header numbers (host order);
        # key 0 holds the highest number in use, as rpm keeps it.
        python3 - "$default_db" "$out" << 'EOF'
import sqlite3, struct, sys
db = sqlite3.connect('file:%s?immutable=1' % sys.argv[1], uri=True)
rows = db.execute('SELECT hnum, blob FROM Packages ORDER BY hnum').fetchall()
for pagesize, name in ((4096, 'dump-4k.txt'), (512, 'dump-512.txt')):
    with open('%s/%s' % (sys.argv[2], name), 'w') as f:
        f.write('VERSION=3\nformat=bytevalue\ntype=hash\ndb_pagesize=%d\nHEADER=END\n' % pagesize)
        f.write(' %s\n %s\n' % (struct.pack('<I', 0).hex(), struct.pack('<I', max(r[0] for r in rows)).hex()))
        for hnum, blob in rows:
            f.write(' %s\n %s\n' % (struct.pack('<I', hnum).hex(), bytes(blob).hex()))
        f.write('DATA=END\n')
EOF
        mkdir -p "$out/bdb-le" "$out/bdb-be" "$out/bdb-chksum"
        "$db_load" -f "$out/dump-4k.txt" "$out/bdb-le/Packages"
        "$db_load" -c db_lorder=4321 -f "$out/dump-512.txt" "$out/bdb-be/Packages"
        "$db_load" -c chksum=1 -f "$out/dump-4k.txt" "$out/bdb-chksum/Packages"
        echo "bdb-le $out/bdb-le/Packages" >> "$out/cases.txt"
        echo "bdb-be $out/bdb-be/Packages" >> "$out/cases.txt"
        echo "bdb-chksum $out/bdb-chksum/Packages" >> "$out/cases.txt"
        # rpm's own reader must agree that these are its databases (it cannot read checksummed pages).
        if [[ $(quiet "$RPM" --showrc) =~ available\ backends[^$'\n']*bdb_ro ]]; then
                for d in bdb-le bdb-be; do
                        quiet "$RPM" --dbpath "$out/$d" --define '_db_backend bdb_ro' -qa --qf "$qf" 2> /dev/null |
                                LC_ALL=C sort > "$out/$d.rpm-qa.txt"
                        cmp -s "$out/$d.rpm-qa.txt" "$out/rpm-qa.txt" ||
                                { echo "rpm (bdb_ro) reads $d differently:" >&2; diff "$out/rpm-qa.txt" "$out/$d.rpm-qa.txt" >&2; exit 1; }
                done
        else
                note "this rpm has no bdb_ro backend: the Berkeley DB files are not cross-checked with rpm"
        fi
fi

# ---- ndb ----
RPM_NDB=${RPM_NDB:-$RPM}
if [[ $(quiet "$RPM_NDB" --showrc) =~ available\ backends[^$'\n']*\ ndb ]]; then
        nroot=$out/root-ndb
        ndb=(--root "$nroot" --dbpath /var/lib/rpm --define '_db_backend ndb')
        quiet "$RPM_NDB" "${ndb[@]}" -i --nodeps --justdb --noscripts "${rpms[@]}"
        quiet "$RPM_NDB" "${ndb[@]}" --import "$data/test-key.asc"
        quiet "$RPM_NDB" "${ndb[@]}" -qa --qf "$qf" | LC_ALL=C sort > "$out/ndb.rpm-qa.txt"
        cmp -s "$out/ndb.rpm-qa.txt" "$out/rpm-qa.txt" ||
                { echo "the ndb database lists other packages:" >&2; diff "$out/rpm-qa.txt" "$out/ndb.rpm-qa.txt" >&2; exit 1; }
        echo "ndb $nroot/var/lib/rpm/Packages.db" >> "$out/cases.txt"
else
        echo "ndb: $RPM_NDB is built without the ndb backend (Debian's is); the committed fixture covers ndb" \
                >> "$out/skipped.txt"
fi
