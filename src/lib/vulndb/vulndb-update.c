/* SPDX-License-Identifier: Apache-2.0 */
/* vulndb_update(): fetches the feeds into a private download directory and rebuilds the database from
 * the downloaded copies.
 *
 *   DIR/state.json            validators (ETag, Last-Modified), sizes and checksums per URL, the partial
 *                             download being resumed, and what the database was last built from
 *   DIR/NAME/FILE             the last complete, validated copy of a feed
 *   DIR/NAME/.FILE.part       a download in progress (the builder skips dot files)
 *   DIR/.lock                 flock: one update at a time
 *
 * A download is conditional (If-None-Match / If-Modified-Since: 304 keeps the copy), resumable (Range
 * with If-Range after a broken transfer, in the same run or the next), capped in size, checked against a
 * published checksum when there is one (NVD's .meta files), and validated (zip members read with their
 * CRCs, compressed streams unpacked, JSON structure scanned) before it replaces the previous copy. */
#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "vulndb-internal.h"

#define STATE_MAX   (16 * MiB)
#define META_MAX    (64 * KiB)
#define ERRBODY_MAX (64 * KiB)

/* ---- the built-in feed list ---- */

static const char *const osv_ecosystems[] = {
        "Go",  "PyPI",   "npm",       "crates.io",   "Maven",   "RubyGems", "NuGet",    "Packagist",  "Pub",
        "Hex", "Ubuntu", "AlmaLinux", "Rocky Linux", "Red Hat", "SUSE",     "openSUSE", "Chainguard",
};
static const char *const alpine_releases[] = {"v3.17", "v3.18", "v3.19", "v3.20", "v3.21", "v3.22"};

int vulndb_default_feeds(struct arena *a, struct vulndb_feed **ret, size_t *ret_n) {
        time_t now = time(NULL);
        struct tm tm;
        int year = gmtime_r(&now, &tm) ? tm.tm_year + 1900 : 2026;
        size_t max = ELEMENTSOF(osv_ecosystems) + 2 * ELEMENTSOF(alpine_releases) +
                     (size_t) (year - 2002 + 1) + 4;
        struct vulndb_feed *f = arena_alloc(a, max * sizeof *f);
        size_t n = 0;
        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(osv_ecosystems); i++) {
                char slug[64], path[64];
                size_t k = 0, q = 0;
                for (const char *p = osv_ecosystems[i]; *p && k + 1 < sizeof slug; p++)
                        slug[k++] = *p == ' ' ? '-' : (char) tolower((unsigned char) *p);
                slug[k] = 0;
                for (const char *p = osv_ecosystems[i]; *p && q + 4 < sizeof path; p++) {
                        if (*p == ' ') {
                                memcpy(path + q, "%20", 3);
                                q += 3;
                        } else
                                path[q++] = *p;
                }
                path[q] = 0;
                f[n++] = (struct vulndb_feed){
                        .name = arena_printf(a, "osv-%s", slug),
                        .url = arena_printf(
                                a, "https://osv-vulnerabilities.storage.googleapis.com/%s/all.zip", path),
                };
        }
        f[n++] = (struct vulndb_feed){.name = "debian-tracker",
                                      .url = "https://security-tracker.debian.org/tracker/data/json"};
        for (size_t i = 0; i < ELEMENTSOF(alpine_releases); i++)
                for (int repo = 0; repo < 2; repo++)
                        f[n++] = (struct vulndb_feed){
                                .name = arena_printf(a, "alpine-%s", alpine_releases[i]),
                                .url = arena_printf(a, "https://secdb.alpinelinux.org/%s/%s.json",
                                                    alpine_releases[i], repo ? "community" : "main"),
                        };
        f[n++] = (struct vulndb_feed){.name = "wolfi", .url = "https://packages.wolfi.dev/os/security.json"};
        for (int y = 2002; y <= year; y++)
                f[n++] = (struct vulndb_feed){
                        .name = "nvd",
                        .url = arena_printf(
                                a, "https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-%d.json.gz", y),
                        .meta_url = arena_printf(
                                a, "https://nvd.nist.gov/feeds/json/cve/2.0/nvdcve-2.0-%d.meta", y),
                };
        f[n++] = (struct vulndb_feed){
                .name = "kev",
                .url = "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json",
        };
        for (size_t i = 0; i < n; i++)
                if (!f[i].name || !f[i].url || (strneq(f[i].url, "https://nvd", 11) && !f[i].meta_url))
                        return -ENOMEM;
        *ret = f;
        *ret_n = n;
        return 0;
}

/* ---- configuration ---- */

static int parse_size(const char *s, uint64_t *ret) {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(s, &end, 10);
        uint64_t mult = 1;
        if (errno || end == s)
                return -EINVAL;
        switch (toupper((unsigned char) *end)) {
        case 0: break;
        case 'K':
                mult = KiB;
                end++;
                break;
        case 'M':
                mult = MiB;
                end++;
                break;
        case 'G':
                mult = GiB;
                end++;
                break;
        default: return -EINVAL;
        }
        if (*end == 'i')
                end++;
        if (*end == 'B')
                end++;
        if (*end || !MUL_OK((uint64_t) v, mult, ret) || *ret == 0)
                return -EINVAL;
        return 0;
}

static bool valid_feed_name(const char *s) {
        if (!s || !*s || s[0] == '.' || strlen(s) > 64)
                return false;
        for (; *s; s++)
                if (!isalnum((unsigned char) *s) && !strchr("._-", *s))
                        return false;
        return true;
}

static bool valid_url(const char *s) {
        return s && (strneq(s, "http://", 7) || strneq(s, "https://", 8)) && vdb_valid_text(s, 2048) &&
               !strpbrk(s, " \t");
}

static bool hex64(const char *s) {
        if (!s || strlen(s) != 64)
                return false;
        for (; *s; s++)
                if (!isxdigit((unsigned char) *s))
                        return false;
        return true;
}

char *vulndb_default_config_path(void) {
        const char *e = getenv("STOCKADE_DB_CONFIG"), *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
        char *p = NULL;
        if (e && *e)
                return strdup(e);
        if (x && x[0] == '/')
                return asprintf(&p, "%s/stockade/db.conf", x) < 0 ? NULL : p;
        if (!h || h[0] != '/')
                return NULL;
        return asprintf(&p, "%s/.config/stockade/db.conf", h) < 0 ? NULL : p;
}

int vulndb_config_load(const char *path, struct arena *a, struct diag *d, struct vulndb_config *ret) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        VEC(struct vulndb_feed) feeds = {0};
        VEC(struct vulndb_mirror) mirrors = {0};
        struct vulndb_config c = {.online = -1};
        char line[4096];
        unsigned lineno = 0;
        int r = 0;

        if (!f)
                return errno == ENOENT ? -ENOENT
                                       : diag_error(d, negative_errno(), "cannot read '%s': %s", path,
                                                    strerror(errno));
        while (fgets(line, sizeof line, f)) {
                char *w[6] = {0}, *save = NULL;
                size_t nw = 0;
                lineno++;
                if (!strchr(line, '\n') && !feof(f)) {
                        r = diag_error(d, -EINVAL, "%s:%u: line too long", path, lineno);
                        break;
                }
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = 0;
                for (char *t = strtok_r(line, " \t\r\n", &save); t && nw < ELEMENTSOF(w);
                     t = strtok_r(NULL, " \t\r\n", &save))
                        w[nw++] = t;
                if (nw == 0)
                        continue;
                if (streq(w[0], "online") && nw == 2 && (streq(w[1], "yes") || streq(w[1], "no")))
                        c.online = streq(w[1], "yes");
                else if (streq(w[0], "max-size") && nw == 2) {
                        if (parse_size(w[1], &c.max_download_bytes) < 0) {
                                r = diag_error(d, -EINVAL, "%s:%u: invalid size '%s'", path, lineno, w[1]);
                                break;
                        }
                } else if (streq(w[0], "mirror") && (nw == 2 || nw == 3)) {
                        struct vulndb_mirror *m = VEC_NEW(&mirrors);
                        if (!m) {
                                r = -ENOMEM;
                                break;
                        }
                        const char *url = w[nw - 1];
                        if (!valid_url(url) || (nw == 3 && !valid_url(w[1]))) {
                                r = diag_error(d, -EINVAL, "%s:%u: a mirror needs http:// or https:// URLs",
                                               path, lineno);
                                break;
                        }
                        m->prefix = nw == 3 ? arena_strdup(a, w[1]) : NULL;
                        m->replacement = arena_strdup(a, url);
                } else if (streq(w[0], "feed") && nw >= 3) {
                        struct vulndb_feed *fd = VEC_NEW(&feeds);
                        if (!fd) {
                                r = -ENOMEM;
                                break;
                        }
                        if (!valid_feed_name(w[1]) || !valid_url(w[2])) {
                                r = diag_error(d, -EINVAL,
                                               "%s:%u: a feed needs a NAME (letters, digits, '._-') and an "
                                               "http(s) URL",
                                               path, lineno);
                                break;
                        }
                        fd->name = arena_strdup(a, w[1]);
                        fd->url = arena_strdup(a, w[2]);
                        for (size_t i = 3; i < nw && r == 0; i++) {
                                if (strneq(w[i], "sha256:", 7) && hex64(w[i] + 7))
                                        fd->sha256 = arena_strdup(a, w[i] + 7);
                                else if (strneq(w[i], "meta:", 5) && valid_url(w[i] + 5))
                                        fd->meta_url = arena_strdup(a, w[i] + 5);
                                else
                                        r = diag_error(d, -EINVAL, "%s:%u: unknown feed option '%s'", path,
                                                       lineno, w[i]);
                        }
                } else
                        r = diag_error(d, -EINVAL,
                                       "%s:%u: expected 'online yes|no', 'mirror [PREFIX] URL', "
                                       "'feed NAME URL [sha256:HEX] [meta:URL]' or 'max-size SIZE'",
                                       path, lineno);
                if (r < 0)
                        break;
        }
        if (r == 0) {
                c.feeds = feeds.n ? arena_memdup(a, feeds.items, feeds.n * sizeof *feeds.items) : NULL;
                c.n_feeds = feeds.n;
                c.mirrors =
                        mirrors.n ? arena_memdup(a, mirrors.items, mirrors.n * sizeof *mirrors.items) : NULL;
                c.n_mirrors = mirrors.n;
                if ((feeds.n && !c.feeds) || (mirrors.n && !c.mirrors))
                        r = -ENOMEM;
        }
        VEC_FREE(&feeds);
        VEC_FREE(&mirrors);
        if (r == 0)
                *ret = c;
        return r;
}

/* ---- helpers ---- */

static int mkdir_p(const char *path, mode_t mode) {
        char buf[4096];
        size_t n = strlen(path);
        if (n >= sizeof buf)
                return -ENAMETOOLONG;
        memcpy(buf, path, n + 1);
        for (char *p = buf + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = 0;
                if (mkdir(buf, mode) < 0 && errno != EEXIST)
                        return negative_errno();
                *p = '/';
        }
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return negative_errno();
        return 0;
}

static char *default_download_dir(void) {
        const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
        char *p = NULL;
        if (x && x[0] == '/')
                return asprintf(&p, "%s/stockade/feeds", x) < 0 ? NULL : p;
        if (!h || h[0] != '/')
                h = "/tmp";
        return asprintf(&p, "%s/.cache/stockade/feeds", h) < 0 ? NULL : p;
}

/* The URL after mirrors: the first mirror whose prefix matches replaces it; a mirror without prefix
 * serves everything as MIRROR/host/path. */
static char *effective_url(const struct vulndb_update_options *o, const char *url) {
        char *r = NULL;
        for (size_t i = 0; i < o->n_mirrors; i++) {
                const struct vulndb_mirror *m = &o->mirrors[i];
                if (m->prefix && strneq(url, m->prefix, strlen(m->prefix)))
                        return asprintf(&r, "%s%s", m->replacement, url + strlen(m->prefix)) < 0 ? NULL : r;
                if (!m->prefix) {
                        const char *rest = strstr(url, "://");
                        size_t l = strlen(m->replacement);
                        bool slash = l > 0 && m->replacement[l - 1] == '/';
                        return asprintf(&r, "%s%s%s", m->replacement, slash ? "" : "/",
                                        rest ? rest + 3 : url) < 0
                                       ? NULL
                                       : r;
                }
        }
        return strdup(url);
}

/* The file a feed is kept in: the URL's last path component, with ".json" added when it has no feed
 * extension (the Debian tracker's URL ends in "/json"). */
static char *file_name_for(const char *url) {
        const char *path = strstr(url, "://");
        path = path ? strchr(path + 3, '/') : NULL;
        char base[128] = "data";
        if (path) {
                size_t n = strcspn(path, "?#");
                const char *b = path + n;
                while (b > path && b[-1] != '/')
                        b--;
                size_t k = 0;
                for (const char *p = b; p < path + n && k + 1 < sizeof base - 8; p++)
                        base[k++] = isalnum((unsigned char) *p) || strchr("._-", *p) ? *p : '_';
                base[k] = 0;
                if (k == 0 || base[0] == '.')
                        strcpy(base, "data");
        }
        static const char *const ext[] = {".json", ".yaml", ".yml", ".zip", ".gz", ".xz", ".bz2", ".zst"};
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(ext); i++) {
                size_t l = strlen(base), e = strlen(ext[i]);
                known |= l > e && streq(base + l - e, ext[i]);
        }
        char *r = NULL;
        return asprintf(&r, "%s%s", base, known ? "" : ".json") < 0 ? NULL : r;
}

static int sha256_file(int fd, char out[static DIGEST_STR_MAX]) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return negative_errno();
        if (st.st_size == 0)
                return sha256_str("", 0, out);
        void *m = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
                return negative_errno();
        int r = sha256_str(m, (size_t) st.st_size, out);
        munmap(m, (size_t) st.st_size);
        return r;
}

/* ---- validating a download ---- */

/* The content is usable: a zip whose members all read back (CRCs checked), a compressed stream that
 * unpacks (and whose unpacked sha256 is the published one, when given), JSON whose structure holds. */
static int validate(const char *path, const char *want_unpacked_sha256, uint64_t cap, char *why,
                    size_t whysize) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0)
                return snprintf(why, whysize, "cannot read it back: %s", strerror(errno)), -EIO;
        if (st.st_size == 0)
                return snprintf(why, whysize, "empty"), -EBADMSG;
        size_t len = (size_t) st.st_size;
        const unsigned char *m = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED)
                return snprintf(why, whysize, "cannot map it: %s", strerror(errno)), -EIO;
        int r = 0;
        bool zip = len >= 4 && m[0] == 'P' && m[1] == 'K';
        bool packed = (len >= 2 && m[0] == 0x1f && m[1] == 0x8b) ||
                      (len >= 6 && memcmp(m,
                                          "\xfd"
                                          "7zXZ",
                                          5) == 0) ||
                      (len >= 3 && memcmp(m, "BZh", 3) == 0) || (len >= 4 && m[0] == 0x28 && m[1] == 0xb5);
        if (zip || packed) {
                struct archive *ar = archive_read_new();
                struct sha256 h;
                bool hashing = want_unpacked_sha256 && !zip;
                uint64_t total = 0;
                if (!ar)
                        r = -ENOMEM;
                else {
                        if (zip)
                                archive_read_support_format_zip(ar);
                        else {
                                archive_read_support_filter_all(ar);
                                archive_read_support_format_raw(ar);
                        }
                        if (hashing && sha256_init(&h) < 0)
                                r = -ENOMEM;
                        if (r == 0 && archive_read_open_memory(ar, m, len) != ARCHIVE_OK) {
                                snprintf(why, whysize, "not a readable archive: %s",
                                         archive_error_string(ar));
                                r = -EBADMSG;
                        }
                        struct archive_entry *e;
                        int k = ARCHIVE_OK;
                        while (r == 0 && (k = archive_read_next_header(ar, &e)) == ARCHIVE_OK) {
                                char chunk[64 * 1024];
                                la_ssize_t n;
                                while ((n = archive_read_data(ar, chunk, sizeof chunk)) > 0) {
                                        total += (uint64_t) n;
                                        if (total > cap) {
                                                snprintf(why, whysize, "unpacks to more than %llu bytes",
                                                         (unsigned long long) cap);
                                                r = -E2BIG;
                                                break;
                                        }
                                        if (hashing)
                                                sha256_update(&h, chunk, (size_t) n);
                                }
                                if (r == 0 && n < 0) {
                                        snprintf(why, whysize, "damaged: %s", archive_error_string(ar));
                                        r = -EBADMSG;
                                }
                        }
                        if (r == 0 && k != ARCHIVE_EOF) {
                                snprintf(why, whysize, "damaged: %s", archive_error_string(ar));
                                r = -EBADMSG;
                        }
                        if (hashing) {
                                char got[DIGEST_STR_MAX];
                                sha256_final_str(&h, got);
                                if (r == 0 && strcasecmp(digest_hex(got), want_unpacked_sha256) != 0) {
                                        snprintf(why, whysize,
                                                 "its content does not match the published sha256");
                                        r = -EBADMSG;
                                }
                        }
                        archive_read_free(ar);
                }
        } else {
                const char *p = jscan_skip_ws((const char *) m, (const char *) m + len);
                if (p < (const char *) m + len && (*p == '{' || *p == '[')) {
                        struct jscan_error err = {0};
                        const char *q = jscan_skip_value(p, (const char *) m + len, &err);
                        if (!q || jscan_skip_ws(q, (const char *) m + len) != (const char *) m + len) {
                                snprintf(why, whysize, "not valid JSON at byte %zu (%s)",
                                         q ? (size_t) (q - (const char *) m)
                                           : (size_t) (p - (const char *) m) + err.offset,
                                         q ? "trailing garbage" : err.what);
                                r = -EBADMSG;
                        }
                }
                /* YAML and other text: the builder checks it */
        }
        munmap((void *) m, len);
        return r;
}

/* ---- the download state ---- */

struct state {
        json_t *root; /* {"version":1,"feeds":{URL:{…}},"built":{…}} */
        char *path;
};

static int state_load(struct state *s, const char *dir, struct diag *d) {
        json_error_t err;
        if (asprintf(&s->path, "%s/state.json", dir) < 0) {
                s->path = NULL;
                return -ENOMEM;
        }
        struct stat st;
        if (stat(s->path, &st) == 0 && st.st_size <= (off_t) STATE_MAX)
                s->root = json_load_file(s->path, JSON_REJECT_DUPLICATES, &err);
        if (s->root && (!json_is_object(s->root) || json_get_int(s->root, "version", 0) != 1)) {
                json_decref(s->root);
                s->root = NULL;
        }
        if (!s->root && stat(s->path, &st) == 0)
                diag_warn(d, "%s: unreadable download state, starting afresh", s->path);
        if (!s->root)
                s->root = json_pack("{s:i, s:{}}", "version", 1, "feeds");
        if (!s->root)
                return -ENOMEM;
        if (!json_get_obj(s->root, "feeds") && json_object_set_new(s->root, "feeds", json_object()) < 0)
                return -ENOMEM;
        return 0;
}

static int state_save(struct state *s, struct diag *d) {
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.tmp-XXXXXX", s->path) < 0) {
                tmp = NULL;
                return -ENOMEM;
        }
        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return diag_error(d, negative_errno(), "cannot write '%s': %s", s->path, strerror(errno));
        int r = json_dumpfd(s->root, fd, JSON_INDENT(1) | JSON_SORT_KEYS) == 0 && fsync(fd) == 0 ? 0 : -EIO;
        if (r == 0 && rename(tmp, s->path) < 0)
                r = negative_errno();
        if (r < 0) {
                unlink(tmp);
                return diag_error(d, r, "cannot write '%s': %s", s->path, strerror(-r));
        }
        return 0;
}

static json_t *state_feed(struct state *s, const char *url) {
        json_t *feeds = json_get_obj(s->root, "feeds");
        json_t *f = json_get_obj(feeds, url);
        if (!f) {
                f = json_object();
                if (!f || json_object_set_new(feeds, url, f) < 0)
                        return NULL;
        }
        return f;
}

static void set_str(json_t *o, const char *key, const char *v) {
        if (v)
                (void) json_object_set_new(o, key, json_string(v));
        else
                (void) json_object_del(o, key);
}

/* ---- HTTP ---- */

struct transfer {
        CURL *h;
        int fd;
        uint64_t offset;  /* bytes already in the part file when the request was made */
        uint64_t written; /* bytes written by this request */
        uint64_t cap;
        bool started, discard, resumed;
        long code;
        char why[256];
        struct buf errbody;
        const struct vulndb_update_options *o;
        const char *feed;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata) {
        struct transfer *t = userdata;
        size_t n = size * nmemb;
        if (!t->started) {
                t->started = true;
                curl_easy_getinfo(t->h, CURLINFO_RESPONSE_CODE, &t->code);
                if (t->code == 206) {
                        struct curl_header *cr;
                        unsigned long long start = ~0ULL;
                        if (curl_easy_header(t->h, "Content-Range", 0, CURLH_HEADER, -1, &cr) == CURLHE_OK)
                                (void) sscanf(cr->value, "bytes %llu-", &start);
                        if (start != t->offset) {
                                snprintf(t->why, sizeof t->why, "the server resumed at the wrong offset");
                                return 0;
                        }
                        if (lseek(t->fd, (off_t) t->offset, SEEK_SET) < 0)
                                return 0;
                        t->resumed = true;
                } else if (t->code == 200) {
                        if (ftruncate(t->fd, 0) < 0 || lseek(t->fd, 0, SEEK_SET) < 0)
                                return 0;
                        t->offset = 0;
                } else
                        t->discard = true;
        }
        if (t->discard) {
                (void) buf_append(&t->errbody, ptr, n); /* kept only up to its cap */
                return n;
        }
        if (t->offset + t->written + n > t->cap) {
                snprintf(t->why, sizeof t->why, "larger than the limit of %llu bytes",
                         (unsigned long long) t->cap);
                return 0;
        }
        for (size_t done = 0; done < n;) {
                ssize_t k = write(t->fd, ptr + done, n - done);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        snprintf(t->why, sizeof t->why, "cannot write the download: %s", strerror(errno));
                        return 0;
                }
                done += (size_t) k;
        }
        t->written += n;
        return n;
}

static int progress_cb(void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow) {
        struct transfer *t = userdata;
        if (t->o->progress && !t->discard)
                t->o->progress(t->o->progress_userdata, t->feed, t->offset + (uint64_t) dlnow,
                               dltotal > 0 ? t->offset + (uint64_t) dltotal : 0);
        return 0;
}

static void setup_handle(CURL *h, const struct vulndb_update_options *o, const char *url) {
        char ua[64];
        snprintf(ua, sizeof ua, "stockade/%s", o->tool_version ? o->tool_version : "0");
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_USERAGENT, ua);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
        curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
        /* no downgrade from https to http through a redirect */
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, strneq(url, "https:", 6) ? "https" : "http,https");
        curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, strneq(url, "https:", 6) ? "https" : "http,https");
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
        curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->timeout_s > 0 ? o->timeout_s : 60L);
}

static const char *header_value(CURL *h, const char *name) {
        struct curl_header *hd;
        if (curl_easy_header(h, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK || !hd->value ||
            !vdb_valid_text(hd->value, 512))
                return NULL;
        return hd->value;
}

/* A small GET into memory (the .meta files). */
static int fetch_small(const struct vulndb_update_options *o, const char *url, struct buf *out, char *why,
                       size_t whysize) {
        CURL *h = curl_easy_init();
        struct transfer t = {.h = h, .fd = -1, .cap = META_MAX, .o = o, .errbody = BUF_INIT(META_MAX)};
        if (!h)
                return -ENOMEM;
        setup_handle(h, o, url);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
        /* everything goes to errbody: we want the body whatever the status, then judge the status */
        t.started = true;
        t.discard = true;
        CURLcode rc = curl_easy_perform(h);
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        curl_easy_cleanup(h);
        if (rc != CURLE_OK) {
                snprintf(why, whysize, "%s", curl_easy_strerror(rc));
                buf_free(&t.errbody);
                return -EIO;
        }
        if (code != 200) {
                snprintf(why, whysize, "HTTP status %ld", code);
                buf_free(&t.errbody);
                return -EIO;
        }
        *out = t.errbody;
        return 0;
}

/* NVD .meta: "sha256:HEX" (of the uncompressed content). */
static bool meta_sha256(const struct buf *b, char out[static 65]) {
        const char *p = b->data ? strstr(b->data, "sha256:") : NULL;
        if (!p)
                return false;
        p += 7;
        size_t n = 0;
        while (n < 64 && isxdigit((unsigned char) p[n])) {
                out[n] = (char) tolower((unsigned char) p[n]);
                n++;
        }
        out[n] = 0;
        return n == 64;
}

struct feed_job {
        const struct vulndb_feed *feed;
        char *url;  /* effective */
        char *dir;  /* DIR/NAME */
        char *file; /* DIR/NAME/FILE */
        char *part; /* DIR/NAME/.FILE.part */
        char *rel;  /* NAME/FILE */
};

static void job_free(struct feed_job *j) {
        free(j->url);
        free(j->dir);
        free(j->file);
        free(j->part);
        free(j->rel);
}

/* One request. Returns 0 done (complete body in the part file), 1 not modified, 2 retry (partial kept),
 * -EIO failed (why). */
static int request(struct feed_job *j, const struct vulndb_update_options *o, json_t *st, uint64_t cap,
                   bool *resumed, char *why, size_t whysize) {
        _cleanup_close_ int fd = open(j->part, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        struct curl_slist *hdrs = NULL;
        struct stat pst;
        char line[600], range[32];
        int r;

        if (fd < 0 || fstat(fd, &pst) < 0)
                return snprintf(why, whysize, "cannot write '%s': %s", j->part, strerror(errno)), -EIO;
        const json_t *partial = json_get_obj(st, "partial");
        const char *p_etag = json_get_str(partial, "etag"), *p_lm = json_get_str(partial, "last_modified");
        const char *p_url = json_get_str(partial, "url");
        uint64_t offset = 0;
        if (pst.st_size > 0 && (p_etag || p_lm) && p_url && streq(p_url, j->url))
                offset = (uint64_t) pst.st_size;
        else if (pst.st_size > 0 && ftruncate(fd, 0) < 0)
                return snprintf(why, whysize, "cannot write '%s': %s", j->part, strerror(errno)), -EIO;

        CURL *h = curl_easy_init();
        if (!h)
                return -ENOMEM;
        struct transfer t = {.h = h,
                             .fd = fd,
                             .offset = offset,
                             .cap = cap,
                             .o = o,
                             .feed = j->feed->name,
                             .errbody = BUF_INIT(ERRBODY_MAX)};
        setup_handle(h, o, j->url);
        if (offset > 0) {
                snprintf(range, sizeof range, "%llu-", (unsigned long long) offset);
                curl_easy_setopt(h, CURLOPT_RANGE, range);
                snprintf(line, sizeof line, "If-Range: %s", p_etag ? p_etag : p_lm);
                hdrs = curl_slist_append(hdrs, line);
        } else if (access(j->file, F_OK) == 0) {
                const char *etag = json_get_str(st, "etag"), *lm = json_get_str(st, "last_modified");
                const char *url = json_get_str(st, "url");
                if (url && streq(url, j->url)) {
                        if (etag) {
                                snprintf(line, sizeof line, "If-None-Match: %s", etag);
                                hdrs = curl_slist_append(hdrs, line);
                        }
                        if (lm) {
                                snprintf(line, sizeof line, "If-Modified-Since: %s", lm);
                                hdrs = curl_slist_append(hdrs, line);
                        }
                }
        }
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(h, CURLOPT_XFERINFODATA, &t);
        curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) (cap > offset ? cap - offset : 1));

        CURLcode rc = curl_easy_perform(h);
        long code = 0;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        const char *etag = header_value(h, "ETag"), *lm = header_value(h, "Last-Modified");
        json_t *np = json_object();

        if (code == 304 && rc == CURLE_OK) {
                r = 1;
        } else if (rc == CURLE_OK && (code == 200 || code == 206) && !t.discard) {
                /* complete: remember the validators of this copy */
                set_str(st, "etag", etag);
                set_str(st, "last_modified", lm);
                set_str(st, "url", j->url);
                *resumed |= t.resumed;
                r = 0;
        } else if (code == 416) {
                /* our partial copy does not fit the server's file any more: start over */
                if (ftruncate(fd, 0) < 0)
                        (void) unlink(j->part);
                snprintf(why, whysize, "the server refused to resume (416)");
                json_object_del(st, "partial");
                r = 2;
        } else if ((code == 200 || code == 206) && t.written + t.offset > 0 && (etag || lm) && !t.why[0]) {
                /* broken transfer with validators: resume next time */
                if (np) {
                        set_str(np, "etag", etag);
                        set_str(np, "last_modified", lm);
                        set_str(np, "url", j->url);
                        (void) json_object_set(st, "partial", np);
                }
                snprintf(why, whysize, "transfer broken after %llu bytes (%s)",
                         (unsigned long long) (t.offset + t.written), curl_easy_strerror(rc));
                *resumed |= t.resumed;
                r = 2;
        } else if (rc == CURLE_FILESIZE_EXCEEDED) {
                snprintf(why, whysize, "larger than the limit of %llu bytes", (unsigned long long) cap);
                if (ftruncate(fd, 0) < 0)
                        (void) unlink(j->part);
                r = -EIO;
        } else {
                if (t.why[0])
                        snprintf(why, whysize, "%s", t.why);
                else if (rc != CURLE_OK)
                        snprintf(why, whysize, "%s", curl_easy_strerror(rc));
                else
                        snprintf(why, whysize, "HTTP status %ld", code);
                if (ftruncate(fd, 0) < 0)
                        (void) unlink(j->part);
                json_object_del(st, "partial");
                /* server errors and network trouble may pass; client errors will not */
                r = (rc != CURLE_OK && !t.why[0]) || code >= 500 ? 2 : -EIO;
        }
        if (r != 2 || code == 416)
                json_object_del(st, "partial");
        json_decref(np);
        curl_slist_free_all(hdrs);
        curl_easy_cleanup(h);
        buf_free(&t.errbody);
        return r;
}

static enum vulndb_feed_result fetch_feed(struct feed_job *j, const struct vulndb_update_options *o,
                                          struct state *s, struct vulndb_update_report *rep, struct diag *d,
                                          bool *first_error) {
        char why[512] = "", want_meta[65] = "";
        const char *kept = access(j->file, F_OK) == 0 ? "; kept the previous copy" : "";
        uint64_t cap = o->max_download_bytes ? o->max_download_bytes : 4 * GiB;
        json_t *st = state_feed(s, j->url);
        bool resumed = false;
        int r;

#define FAIL(...)                                             \
        do {                                                  \
                char _m[700];                                 \
                snprintf(_m, sizeof _m, __VA_ARGS__);         \
                if (*first_error)                             \
                        diag_warn(d, "%s", _m);               \
                else                                          \
                        (void) diag_error(d, -EIO, "%s", _m); \
                *first_error = true;                          \
                return VF_FAILED;                             \
        } while (0)

        if (!st)
                FAIL("out of memory");
        if (mkdir_p(j->dir, 0700) < 0)
                FAIL("feed '%s': cannot create '%s': %s", j->feed->name, j->dir, strerror(errno));

        /* NVD-style: the published checksum tells whether the copy we have is current */
        if (j->feed->meta_url) {
                _cleanup_free_ char *meta_url = effective_url(o, j->feed->meta_url);
                _cleanup_(buf_free) struct buf meta = BUF_INIT(META_MAX);
                if (!meta_url)
                        FAIL("out of memory");
                if (fetch_small(o, meta_url, &meta, why, sizeof why) < 0)
                        FAIL("feed '%s': cannot fetch %s: %s%s", j->feed->name, meta_url, why, kept);
                if (!meta_sha256(&meta, want_meta))
                        FAIL("feed '%s': %s has no sha256 line%s", j->feed->name, meta_url, kept);
                const char *have = json_get_str(st, "content_sha256");
                if (have && strcasecmp(have, want_meta) == 0 && access(j->file, F_OK) == 0)
                        return VF_UNCHANGED;
                /* The published content is not the copy we have: ask for it whatever validators say. */
                json_object_del(st, "etag");
                json_object_del(st, "last_modified");
        }

        unsigned attempts = o->attempts ? o->attempts : 3;
        for (unsigned a = 0;; a++) {
                r = request(j, o, st, cap, &resumed, why, sizeof why);
                if (r == 1) {
                        (void) unlink(j->part);
                        return VF_UNCHANGED;
                }
                if (r == 0)
                        break;
                if (r == 2 && a + 1 < attempts) {
                        (void) state_save(s, d); /* the partial's validators survive a crash */
                        continue;
                }
                (void) state_save(s, d);
                FAIL("feed '%s': download from %s failed: %s%s", j->feed->name, j->url, why, kept);
        }
        rep->resumed += resumed;

        /* a complete body: check it before it replaces the copy we have */
        char digest[DIGEST_STR_MAX];
        _cleanup_close_ int fd = open(j->part, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || sha256_file(fd, digest) < 0)
                FAIL("feed '%s': cannot read back '%s': %s", j->feed->name, j->part, strerror(errno));
        if (j->feed->sha256 && strcasecmp(digest_hex(digest), j->feed->sha256) != 0) {
                (void) unlink(j->part);
                FAIL("feed '%s': download from %s does not match its sha256%s", j->feed->name, j->url, kept);
        }
        r = validate(j->part, want_meta[0] ? want_meta : NULL, cap, why, sizeof why);
        if (r < 0) {
                (void) unlink(j->part);
                json_object_del(st, "partial");
                (void) state_save(s, d);
                FAIL("feed '%s': download from %s is corrupt (%s)%s", j->feed->name, j->url, why, kept);
        }
        struct stat pst;
        if (fstat(fd, &pst) == 0)
                rep->bytes += (uint64_t) pst.st_size;
        if (fsync(fd) < 0 || rename(j->part, j->file) < 0)
                FAIL("feed '%s': cannot store '%s': %s", j->feed->name, j->file, strerror(errno));
        char now[32];
        vdb_format_time(time(NULL), now);
        set_str(st, "sha256", digest_hex(digest));
        set_str(st, "content_sha256", want_meta[0] ? want_meta : NULL);
        set_str(st, "fetched", now);
        set_str(st, "file", j->rel);
        (void) json_object_set_new(st, "size", json_integer((json_int_t) pst.st_size));
        if (state_save(s, d) < 0)
                return VF_FAILED;
        return VF_DOWNLOADED;
#undef FAIL
}

/* What the database would be built from: every feed's URL and the sha256 of its copy. */
static int inputs_digest(struct state *s, struct feed_job *jobs, size_t n, char out[static DIGEST_STR_MAX]) {
        struct sha256 h;
        int r = sha256_init(&h);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                json_t *st = json_get_obj(json_get_obj(s->root, "feeds"), jobs[i].url);
                const char *sum = json_get_str(st, "sha256");
                sha256_update(&h, jobs[i].rel, strlen(jobs[i].rel) + 1);
                sha256_update(&h, sum ? sum : "-", strlen(sum ? sum : "-"));
                sha256_update(&h, "\n", 1);
        }
        sha256_final_str(&h, out);
        return 0;
}

static bool db_is(const char *db_path, const char *checksum) {
        struct diag d;
        struct vulndb *db = NULL;
        bool same = false;
        diag_init(&d);
        if (checksum && vulndb_open(db_path, &d, &db) >= 0) {
                _cleanup_(arena_freep) struct arena *a = arena_new(0);
                struct vulndb_info info;
                same = a && vulndb_get_info(db, a, &info) >= 0 && streq(info.checksum, checksum);
                vulndb_close(db);
        }
        diag_done(&d);
        return same;
}

int vulndb_update(const struct vulndb_update_options *o, struct diag *d, struct vulndb_update_report *ret) {
        _cleanup_free_ char *db_default = NULL, *dir_default = NULL, *lock_path = NULL;
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        _cleanup_close_ int lock = -1;
        struct vulndb_update_report rep = {0};
        struct state s = {0};
        struct feed_job *jobs = NULL;
        const struct vulndb_feed *feeds = o->feeds;
        size_t n_feeds = o->n_feeds, n_jobs = 0;
        bool failed = false;
        int r;

        if (!a)
                return -ENOMEM;
        const char *db_path = o->db_path ? o->db_path : (db_default = vulndb_default_path());
        const char *dir = o->download_dir ? o->download_dir : (dir_default = default_download_dir());
        if (!db_path || !dir)
                return -ENOMEM;
        if (!feeds) {
                struct vulndb_feed *def;
                if ((r = vulndb_default_feeds(a, &def, &n_feeds)) < 0)
                        return r;
                feeds = def;
        }
        if (n_feeds == 0)
                return diag_error(d, -EINVAL, "no feed to update from");
        if ((r = mkdir_p(dir, 0700)) < 0)
                return diag_error(d, r, "cannot create the download directory '%s': %s", dir, strerror(-r));
        if (asprintf(&lock_path, "%s/.lock", dir) < 0) {
                lock_path = NULL;
                return -ENOMEM;
        }
        lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) < 0)
                return diag_error(d, -EBUSY, "another 'stockade db update' is using '%s'", dir);
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
                return diag_error(d, -EIO, "cannot initialize libcurl");

        jobs = calloc(n_feeds, sizeof *jobs);
        if (!jobs) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < n_feeds; i++) {
                struct feed_job *j = &jobs[n_jobs++];
                _cleanup_free_ char *fname = NULL;
                j->feed = &feeds[i];
                if (!valid_feed_name(feeds[i].name) || !valid_url(feeds[i].url)) {
                        r = diag_error(d, -EINVAL, "feed '%s': invalid name or URL",
                                       feeds[i].name ? feeds[i].name : "?");
                        goto out;
                }
                if (!(j->url = effective_url(o, feeds[i].url)) || !(fname = file_name_for(feeds[i].url)) ||
                    asprintf(&j->dir, "%s/%s", dir, feeds[i].name) < 0 ||
                    asprintf(&j->file, "%s/%s/%s", dir, feeds[i].name, fname) < 0 ||
                    asprintf(&j->part, "%s/%s/.%s.part", dir, feeds[i].name, fname) < 0 ||
                    asprintf(&j->rel, "%s/%s", feeds[i].name, fname) < 0) {
                        r = -ENOMEM;
                        goto out;
                }
                for (size_t k = 0; k + 1 < n_jobs; k++)
                        if (streq(jobs[k].rel, j->rel)) {
                                r = diag_error(d, -EINVAL,
                                               "feeds '%s' and '%s' would be stored in the same file '%s'",
                                               jobs[k].feed->url, j->feed->url, j->rel);
                                goto out;
                        }
        }
        if ((r = state_load(&s, dir, d)) < 0)
                goto out;

        rep.n_feeds = n_jobs;
        for (size_t i = 0; i < n_jobs; i++) {
                switch (fetch_feed(&jobs[i], o, &s, &rep, d, &failed)) {
                case VF_UNCHANGED: rep.unchanged++; break;
                case VF_DOWNLOADED: rep.downloaded++; break;
                case VF_FAILED: rep.failed++; break;
                }
        }
        if (rep.failed) {
                r = -EIO; /* the error names the first failure; the database is left as it is */
                goto out;
        }

        char digest[DIGEST_STR_MAX];
        if ((r = inputs_digest(&s, jobs, n_jobs, digest)) < 0)
                goto out;
        json_t *built = json_get_obj(s.root, "built");
        if (!o->force && built && streq_ptr(json_get_str(built, "inputs"), digest) &&
            streq_ptr(json_get_str(built, "db"), db_path) &&
            db_is(db_path, json_get_str(built, "checksum"))) {
                r = 0;
                goto out;
        }

        /* build from every feed directory, each a source named after its feed */
        VEC(char *) srcs = {0};
        for (size_t i = 0; i < n_jobs; i++) {
                bool seen = false;
                for (size_t k = 0; k < i; k++)
                        seen |= streq(jobs[k].feed->name, jobs[i].feed->name);
                char *spec = NULL;
                if (seen)
                        continue;
                if (asprintf(&spec, "%s=%s", jobs[i].feed->name, jobs[i].dir) < 0 ||
                    VEC_PUSH(&srcs, spec) < 0) {
                        free(spec);
                        r = -ENOMEM;
                        break;
                }
        }
        if (r == 0) {
                struct vulndb_build_options bo = {.tool_version = o->tool_version};
                r = vulndb_build((const char *const *) srcs.items, srcs.n, db_path, &bo, d, &rep.build);
        }
        for (size_t i = 0; i < srcs.n; i++)
                free(srcs.items[i]);
        VEC_FREE(&srcs);
        if (r < 0)
                goto out;
        rep.rebuilt = true;
        {
                struct diag dd;
                struct vulndb *db = NULL;
                _cleanup_(arena_freep) struct arena *ia = arena_new(0);
                struct vulndb_info info;
                diag_init(&dd);
                json_t *b = json_object();
                if (b && ia && vulndb_open(db_path, &dd, &db) >= 0 && vulndb_get_info(db, ia, &info) >= 0) {
                        set_str(b, "inputs", digest);
                        set_str(b, "db", db_path);
                        set_str(b, "checksum", info.checksum);
                        (void) json_object_set(s.root, "built", b);
                }
                json_decref(b);
                vulndb_close(db);
                diag_done(&dd);
        }
        r = state_save(&s, d);
out:
        for (size_t i = 0; i < n_jobs; i++)
                job_free(&jobs[i]);
        free(jobs);
        json_decref(s.root);
        free(s.path);
        curl_global_cleanup();
        if (r >= 0 && ret)
                *ret = rep;
        else if (ret)
                *ret = rep; /* what was tried, for the report of a failure */
        return r;
}
