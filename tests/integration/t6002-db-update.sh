#!/usr/bin/env bash
# stockade db update against a local mirror: a tree made at test time from ../shared/data/feeds (OSV
# all.zip exports, Alpine secdb, KEV) and the hand-written fixtures (Debian tracker, NVD with its .meta),
# served by a small HTTP server that speaks ETag, If-None-Match, If-Modified-Since, Range and If-Range and
# can be told to break a transfer midway. Checked: offline by default, a first update, conditional
# requests (304, .meta checksums), resumption after broken transfers (in the same run and in the next),
# corrupt or oversized downloads and failing feeds leave the database as it was.
. "$(dirname "$0")/lib.sh"
need_stockade
need_cmd jq python3 zip
export FEEDS=$SHARED_DATA/feeds
[ -d "$FEEDS/go-osv" ] || skip "no shared feeds at $FEEDS"
export DB=$T/vuln.db DL=$T/downloads CONF=$T/db.conf
M=$T/mirror
FIX=$STOCKADE_SRCDIR/tests/data/vulndb/feeds

# ---- the mirror tree: MIRROR/HOST/PATH of each public URL ----
OSV=$M/osv-vulnerabilities.storage.googleapis.com
mkdir -p "$OSV/Go" "$OSV/crates.io" "$M/secdb.alpinelinux.org/v3.11" "$M/www.cisa.gov/sites/default/files/feeds" \
        "$M/security-tracker.debian.org/tracker/data" "$M/nvd.nist.gov/feeds/json/cve/2.0"
(cd "$FEEDS/go-osv" && zip -qr "$OSV/Go/all.zip" .)
(cd "$FEEDS/rustsec-osv" && zip -qr "$OSV/crates.io/all.zip" .)
cp "$FEEDS/alpine-secdb/v3.11/main.yaml" "$M/secdb.alpinelinux.org/v3.11/main.yaml"
cp "$FEEDS/kev/known_exploited_vulnerabilities.json" "$M/www.cisa.gov/sites/default/files/feeds/"
cp "$FIX/debian/debian-tracker.json" "$M/security-tracker.debian.org/tracker/data/json"
NVDDIR=$M/nvd.nist.gov/feeds/json/cve/2.0
gzip -c "$FIX/nvd/nvdcve-2.0-sample.json" > "$NVDDIR/nvdcve-2.0-2023.json.gz"
make_meta() {
        printf 'lastModifiedDate:2026-11-20T03:00:01-05:00\r\nsize:%s\r\ngzSize:%s\r\nsha256:%s\r\n' \
                "$(gzip -dc "$NVDDIR/nvdcve-2.0-2023.json.gz" | wc -c)" "$(stat -c %s "$NVDDIR/nvdcve-2.0-2023.json.gz")" \
                "$(gzip -dc "$NVDDIR/nvdcve-2.0-2023.json.gz" | sha256sum | cut -c1-64 | tr a-f A-F)" > "$NVDDIR/nvdcve-2.0-2023.meta"
}
make_meta

# ---- the server ----
cat > "$T/server.py" <<'EOF'
import email.utils, hashlib, http.server, os, socketserver, sys

root, port_file, log_file = sys.argv[1], sys.argv[2], sys.argv[3]
FAIL = os.path.join(root, ".fail")   # lines "PATH COUNT": break the next COUNT full transfers of PATH

def take_failure(path):
    try:
        lines = open(FAIL).read().split("\n")
    except FileNotFoundError:
        return False
    out, hit = [], False
    for l in lines:
        if not l.strip():
            continue
        p, n = l.split()
        if p == path and int(n) > 0 and not hit:
            hit, n = True, str(int(n) - 1)
        out.append(p + " " + n)
    open(FAIL, "w").write("\n".join(out) + "\n")
    return hit

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def note(self, status, extra=""):
        with open(log_file, "a") as f:
            f.write("%s %s %d range=%s if-range=%s inm=%s ims=%s%s\n" % (self.command, self.path, status,
                    self.headers.get("Range"), self.headers.get("If-Range"), self.headers.get("If-None-Match"),
                    self.headers.get("If-Modified-Since"), extra))
    def do_GET(self):
        path = os.path.normpath(os.path.join(root, self.path.lstrip("/").split("?")[0]))
        if not path.startswith(root) or not os.path.isfile(path) or os.path.basename(path).startswith("."):
            self.note(404)
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
            return
        data = open(path, "rb").read()
        etag = '"%s"' % hashlib.sha256(data).hexdigest()[:16]
        mtime = os.stat(path).st_mtime
        lm = email.utils.formatdate(mtime, usegmt=True)
        inm, ims = self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        if (inm and inm == etag) or (not inm and ims and email.utils.parsedate_to_datetime(ims).timestamp() >= int(mtime)):
            self.note(304)
            self.send_response(304); self.send_header("ETag", etag); self.end_headers()
            return
        start, status = 0, 200
        rng, if_range = self.headers.get("Range"), self.headers.get("If-Range")
        if rng and rng.startswith("bytes=") and (not if_range or if_range in (etag, lm)):
            start = int(rng[6:].split("-")[0])
            if start >= len(data):
                self.note(416)
                self.send_response(416); self.send_header("Content-Range", "bytes */%d" % len(data))
                self.send_header("Content-Length", "0"); self.end_headers()
                return
            status = 206
        body = data[start:]
        broken = take_failure(self.path)
        self.note(status, " broken" if broken else "")
        self.send_response(status)
        self.send_header("ETag", etag)
        self.send_header("Last-Modified", lm)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        if status == 206:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
        self.end_headers()
        if broken:
            self.wfile.write(body[:len(body) // 2]); self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(body)

class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

s = Server(("127.0.0.1", 0), Handler)
open(port_file, "w").write(str(s.server_address[1]))
s.serve_forever()
EOF
python3 "$T/server.py" "$M" "$T/port" "$T/requests.log" >"$T/server.err" 2>&1 &
SERVER=$!
at_exit "kill $SERVER"
[ -z "${KEEP:-}" ] || at_exit "cp -r $T /tmp/t6002-keep"
for i in $(seq 50); do [ -s "$T/port" ] && break; sleep 0.1; done
[ -s "$T/port" ] || fail "the mirror server did not start: $(cat "$T/server.err")"
PORT=$(cat "$T/port")
note "mirror on 127.0.0.1:$PORT"

# The feeds, by their public URLs; the mirror serves them all.
cat > "$CONF" <<EOF
# stockade db update configuration for this test
online yes
mirror http://127.0.0.1:$PORT
feed osv-go https://osv-vulnerabilities.storage.googleapis.com/Go/all.zip
feed osv-crates.io https://osv-vulnerabilities.storage.googleapis.com/crates.io/all.zip
feed alpine-v3.11 https://secdb.alpinelinux.org/v3.11/main.yaml
feed debian-tracker https://security-tracker.debian.org/tracker/data/json
feed nvd https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2023.json.gz meta:https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2023.meta
feed kev https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json
EOF
update() { "$STOCKADE" db update --db "$DB" --download-dir "$DL" --config "$CONF" "$@"; }
export -f update
export STOCKADE_DB_CONFIG=$CONF
requests() { grep -c "$1" "$T/requests.log" || true; }

expect_exit() { # CODE PATTERN CMD...
        local code=$1 pattern=$2 rc=0
        shift 2
        "$@" >"$T/out" 2>"$T/err" || rc=$?
        [ "$rc" = "$code" ] || { echo "exit $rc, wanted $code"; cat "$T/out" "$T/err"; return 1; }
        [ -z "$pattern" ] || grep -q -- "$pattern" "$T/out" "$T/err" || { echo "output lacks '$pattern':"; cat "$T/out" "$T/err"; return 1; }
}

check "offline by default: no database yet is an error naming it" \
        expect_exit 2 "no vulnerability database at .*vuln.db" "$STOCKADE" db update --db "$DB" --download-dir "$DL" --offline
check "offline: no request was made" bash -c '! [ -s "$T/requests.log" ]'

check "first update downloads every feed and builds" expect_exit 0 "6 feeds: 6 downloaded" update
check "the database has a source per feed" bash -c '
        "$STOCKADE" db info --db "$DB" --json -q | jq -e "[.sources[].name] | sort ==
                [\"alpine-v3.11\", \"debian-tracker\", \"kev\", \"nvd\", \"osv-crates.io\", \"osv-go\"]" >/dev/null'
check "feeds were enriched: the Debian tracker's CVE-2023-0286 has NVD's CVSS" bash -c '
        "$STOCKADE" db lookup --db "$DB" --json Debian:12 openssl | jq -e ".[0].cvss_score == 7.4 and .[0].severity_source == \"nvd\"" >/dev/null'
check "downloads are private (0700) and kept per feed" bash -c '
        [ "$(stat -c %a "$DL")" = 700 ] && [ -f "$DL/osv-go/all.zip" ] && [ -f "$DL/debian-tracker/json.json" ] && [ -f "$DL/state.json" ]'
cp "$DB" "$T/first.db"

: > "$T/requests.log"
check "second update: every feed unchanged, nothing rebuilt" expect_exit 0 "is up to date" update
check "conditional requests answered 304" bash -c '[ "$(grep -c " 304 " "$T/requests.log")" = 5 ] && grep -q "inm=\"" "$T/requests.log"'
check "NVD: the .meta checksum saves the download" bash -c '
        grep -q "GET /nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-2023.meta 200" "$T/requests.log" &&
        ! grep -q "nvdcve-2.0-2023.json.gz" "$T/requests.log"'
check "the database file was left alone" cmp "$DB" "$T/first.db"

# A changed feed whose transfer breaks midway: resumed with Range/If-Range in the same run
# the feed changes (one record dropped): new bytes, new ETag
rm "$OSV/Go/all.zip" && (cd "$FEEDS/go-osv" && zip -q -r "$OSV/Go/all.zip" . -x 'GO-2020-0001.json')
echo "/osv-vulnerabilities.storage.googleapis.com/Go/all.zip 1" > "$M/.fail"
: > "$T/requests.log"
check "a broken transfer is resumed in the same run" expect_exit 0 "1 downloaded.*resumed" update
check "the server saw a Range request with If-Range, answered 206" bash -c '
        grep -q "Go/all.zip 200 .* broken" "$T/requests.log" && grep -q "Go/all.zip 206 range=bytes=[0-9]*- if-range=\"" "$T/requests.log"'
check "the rebuilt database lost the record the feed dropped" bash -c '
        ! "$STOCKADE" db lookup --db "$DB" --json Go github.com/gin-gonic/gin | jq -e ".[] | select(.id == \"GO-2020-0001\")" >/dev/null &&
        "$STOCKADE" db info --db "$DB" --json -q | jq -e ".sources[] | select(.name == \"osv-go\") | .records == 4290" >/dev/null'
cp "$DB" "$T/second.db"

# Broken every time in one run: the update fails and keeps the database; the next run resumes
rm "$OSV/Go/all.zip" && (cd "$FEEDS/go-osv" && zip -q -r "$OSV/Go/all.zip" .)
echo "/osv-vulnerabilities.storage.googleapis.com/Go/all.zip 3" > "$M/.fail"
: > "$T/requests.log"
check "a feed that keeps failing: exit 2, the database untouched" \
        expect_exit 2 "feed 'osv-go': download from .* failed: transfer broken" update
check "... and the partial download is kept" bash -c 'ls "$DL"/osv-go/.all.zip.part >/dev/null && cmp "$DB" "$T/second.db"'
: > "$T/requests.log"
check "the next run resumes where it stopped" expect_exit 0 "1 downloaded.*resumed" update
check "... with one Range request" bash -c '[ "$(grep -c "Go/all.zip 206 range=bytes=" "$T/requests.log")" = 1 ]'
check "... and the database is complete again" bash -c '
        "$STOCKADE" db info --db "$DB" --json -q | jq -e ".sources[] | select(.name == \"osv-go\") | .records == 4291" >/dev/null'
cp "$DB" "$T/third.db"

# Corrupt downloads never replace what we have
head -c 300000 "$FEEDS/kev/known_exploited_vulnerabilities.json" > "$M/www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json"
check "a truncated JSON feed is refused: exit 2, database and previous copy kept" bash -c '
        '"$(declare -f expect_exit)"'
        expect_exit 2 "feed .kev.: download from .* is corrupt (not valid JSON" update &&
        cmp "$DB" "$T/third.db" && cmp "$DL/kev/known_exploited_vulnerabilities.json" "$FEEDS/kev/known_exploited_vulnerabilities.json"'
cp "$FEEDS/kev/known_exploited_vulnerabilities.json" "$M/www.cisa.gov/sites/default/files/feeds/"
head -c 100000 "$OSV/crates.io/all.zip" > "$T/bad.zip" && mv "$T/bad.zip" "$OSV/crates.io/all.zip"
check "a truncated zip is refused" bash -c '
        '"$(declare -f expect_exit)"'
        expect_exit 2 "feed .osv-crates.io.: download from .* is corrupt" update && cmp "$DB" "$T/third.db"'
(cd "$FEEDS/rustsec-osv" && rm -f "$OSV/crates.io/all.zip" && zip -q -r "$OSV/crates.io/all.zip" .)
# the data file changes, the published .meta still gives the old content's sha256
cp "$NVDDIR/nvdcve-2.0-2023.json.gz" "$T/nvd.good"
(cat "$FIX/nvd/nvdcve-2.0-sample.json"; echo " ") | gzip -c > "$NVDDIR/nvdcve-2.0-2023.json.gz"
sed -i 's/^sha256:[0-9A-F]*/sha256:00000000000000000000000000000000000000000000000000000000000000AA/' "$NVDDIR/nvdcve-2.0-2023.meta"
check "a download that does not match the published sha256 is refused" bash -c '
        '"$(declare -f expect_exit)"'
        expect_exit 2 "feed .nvd.: download from .* is corrupt (its content does not match the published sha256)" update &&
        cmp "$DB" "$T/third.db"'
cp "$T/nvd.good" "$NVDDIR/nvdcve-2.0-2023.json.gz"
make_meta
check "a download over --max-size is refused" bash -c '
        '"$(declare -f expect_exit)"'
        rm -rf "$T/dl2" && expect_exit 2 "larger than the limit" "$STOCKADE" db update --db "$T/other.db" --download-dir "$T/dl2" --max-size 64K &&
        ! [ -e "$T/other.db" ]'
check "a feed that is gone (404) fails the update, naming it" bash -c '
        '"$(declare -f expect_exit)"'
        printf "online yes\nmirror http://127.0.0.1:'"$PORT"'\nfeed gone https://example.org/no/such/file.json\n" > "$T/gone.conf" &&
        expect_exit 2 "feed .gone.: download from http://127.0.0.1:[0-9]*/example.org/no/such/file.json failed: HTTP status 404" \
                "$STOCKADE" db update --db "$T/gone.db" --download-dir "$T/dl3" --config "$T/gone.conf"'
check "after all that, an update brings the database back in line" expect_exit 0 "downloaded" update
check "db info --verify on the result" bash -c '"$STOCKADE" db info --db "$DB" --verify -q | grep -q verified'

# A mirror for one prefix, given on the command line; --feed selects
: > "$T/requests.log"
: > "$T/empty.conf"
check "--mirror PREFIX=URL and --feed" expect_exit 0 "1 feeds" "$STOCKADE" db update --db "$T/kev.db" --download-dir "$T/dl4" \
        --config "$T/empty.conf" --online --feed kev \
        --mirror "https://www.cisa.gov=http://127.0.0.1:$PORT/www.cisa.gov"
check "... fetched from the mirror" grep -q "GET /www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json 200" "$T/requests.log"

# Offline with a database: staleness is reported, exit 0
check "offline: reports age and stale sources, exit 0" bash -c '
        "$STOCKADE" db update --db "$DB" --offline >"$T/o" 2>"$T/e" && grep -q "offline: not fetching" "$T/o" &&
        grep -q "source .* days old" "$T/e"'
check "STOCKADE_DB_ONLINE=0 overrides the configuration" bash -c '
        STOCKADE_DB_ONLINE=0 "$STOCKADE" db update --db "$DB" --download-dir "$DL" 2>/dev/null | grep -q "offline"'
check "--list-feeds shows the built-in feed list" bash -c '
        "$STOCKADE" db update --config "$T/empty.conf" --list-feeds | grep -q "^osv-go .*storage.googleapis.com/Go/all.zip"'
