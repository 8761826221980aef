/* SPDX-License-Identifier: Apache-2.0 */
/* The rpm cataloger on committed real databases (tests/data/inv-rpm/), on synthetic header blobs, and on
 * every kind of damage we could think of: each must give warnings and no (or partial) packages, never a
 * crash, a hang or a write outside the private temporary directory. */

#include <dirent.h>
#include <sqlite3.h>

#include "rpm-test.h"
#include "tests.h"

/* ---- helpers ---- */

static char *fixture(const char *name, size_t *n) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/data/inv-rpm/%s", name);
        return test_read_file(test_srcpath(rel), n);
}

static char tmpdir[64];

static const char *private_tmp(void) {
        if (!tmpdir[0]) {
                snprintf(tmpdir, sizeof tmpdir, "/tmp/stockade-test-rpm.XXXXXX");
                if (!mkdtemp(tmpdir))
                        abort();
        }
        return tmpdir;
}

static bool tmp_is_empty(void) {
        DIR *d = opendir(private_tmp());
        if (!d)
                return false;
        int n = 0;
        for (struct dirent *e; (e = readdir(d));)
                n += e->d_name[0] != '.';
        closedir(d);
        return n == 0;
}

/* Runs the analyzer on data as `path` in a fresh context; the caller inspects and calls rt_done(). */
static void run(struct rt *t, const char *path, const void *data, size_t n) {
        rt_init(t, private_tmp());
        CHECK_INT(rt_feed(t, path, data, n), 0);
}

/* Checks the packages and files found against the fixture's expectations (what rpm printed). */
static void check_fixture_result(struct rt *t) {
        size_t wl, fl;
        char *wp = fixture("fixture-pkgs.txt", &wl), *wf = fixture("fixture-files.txt", &fl);
        char **gp, **gf;
        size_t ngp, ngf;
        rt_render(t, &gp, &ngp, &gf, &ngf);

        size_t k = 0;
        for (char *p = wp, *e; *p; p = e + 1, k++) {
                e = strchr(p, '\n');
                REQUIRE(e);
                *e = 0;
                REQUIRE(k < ngp);
                CHECK_STR(gp[k], p);
        }
        CHECK_INT(k, ngp);
        k = 0;
        for (char *p = wf, *e; *p; p = e + 1, k++) {
                e = strchr(p, '\n');
                REQUIRE(e);
                *e = 0;
                REQUIRE(k < ngf);
                CHECK_STR(gf[k], p);
        }
        CHECK_INT(k, ngf);
        rt_free_lines(gp, ngp);
        rt_free_lines(gf, ngf);
        free(wp);
        free(wf);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rng(void) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return rng_state;
}

/* Feeds many randomly damaged copies of data: nothing may crash (the sanitizer build checks memory). */
static void mutate_many(const char *path, const uint8_t *data, size_t n, int rounds) {
        uint8_t *c = malloc(n);
        for (int i = 0; i < rounds; i++) {
                memcpy(c, data, n);
                int flips = 1 + (int) (rng() % 8);
                for (int j = 0; j < flips; j++) {
                        size_t at = rng() % n;
                        switch (rng() % 3) {
                        case 0: c[at] ^= (uint8_t) (1u << (rng() % 8)); break;
                        case 1: c[at] = 0xff; break;
                        default: c[at] = 0; break;
                        }
                }
                size_t len = rng() % 4 == 0 ? rng() % (n + 1) : n;
                struct rt t;
                run(&t, path, c, len);
                rt_done(&t);
        }
        free(c);
}

/* ---- matching ---- */

TEST(rpm_match_paths) {
        static const struct {
                const char *path;
                bool match;
        } cases[] = {
                {"var/lib/rpm/Packages", true},
                {"var/lib/rpm/Packages.db", true},
                {"var/lib/rpm/rpmdb.sqlite", true},
                {"usr/lib/sysimage/rpm/Packages", true},
                {"usr/lib/sysimage/rpm/Packages.db", true},
                {"usr/lib/sysimage/rpm/rpmdb.sqlite", true},
                {"usr/share/rpm/rpmdb.sqlite", true},
                {"var/lib/rpm/rpmdb.sqlite-wal", false},
                {"var/lib/rpm/Name", false},
                {"var/lib/rpm/Index.db", false},
                {"var/lib/rpmx/Packages", false},
                {"x/var/lib/rpm/Packages", false},
                {"var/lib/rpm/sub/Packages", false},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct layer_file f = {.path = cases[i].path, .kind = LF_REG};
                CHECK_INT(analyzer_rpm.match(&f) == ANALYZE_STREAM, cases[i].match);
        }
        CHECK_STR(analyzer_rpm.name, "rpm");
}

/* ---- committed real databases ---- */

static void check_real_fixture(const char *name, const char *path) {
        size_t n;
        char *d = fixture(name, &n);
        struct rt t;
        run(&t, path, d, n);
        CHECK_INT(rt_nwarnings(&t), 0);
        rt_print_warnings(&t, stderr);
        CHECK_INT(rt_npkgs(&t), 2);
        check_fixture_result(&t);

        const struct pkg *p = rt_find(&t, "epoch-lib");
        REQUIRE(p);
        CHECK_INT(p->type, PKG_RPM);
        CHECK_STR(p->epoch, "2");
        CHECK_STR(p->version, "0.9-1.el9");
        CHECK_STR(p->arch, "noarch");
        CHECK_STR(p->source_name, "epoch-lib");
        CHECK_STR(p->source_version, "0.9-1.el9");
        CHECK_STR(p->licenses[0], "GPL-2.0-or-later AND BSD-3-Clause");
        CHECK(p->licenses[1] == NULL);
        CHECK_STR(p->record_path, path);
        CHECK_INT(p->layer, -1);
        CHECK_INT(rt_nfiles(p), 3);
        CHECK_STR(p->owned_files[0], "usr/lib/epoch-lib");
        p = rt_find(&t, "hello-tool");
        REQUIRE(p);
        CHECK(p->epoch == NULL);
        CHECK_INT(rt_nfiles(p), 5);
        /* gpg-pubkey is in the database (rpm -qa lists it) but is not a package. */
        CHECK(rt_find(&t, "gpg-pubkey") == NULL);
        rt_done(&t);
        free(d);
}

TEST(rpm_fixture_bdb_big_endian) {
        check_real_fixture("bdb-be512.Packages", "var/lib/rpm/Packages");
}

TEST(rpm_fixture_bdb_little_endian) {
        check_real_fixture("bdb-le512.Packages", "usr/lib/sysimage/rpm/Packages");
}

TEST(rpm_fixture_ndb) {
        check_real_fixture("ndb.Packages.db", "usr/lib/sysimage/rpm/Packages.db");
}

TEST(rpm_backends_count_blobs) {
        /* The walkers see all three headers (two packages and the key). */
        static const char *const names[] = {"bdb-be512.Packages", "bdb-le512.Packages", "ndb.Packages.db"};
        for (size_t i = 0; i < ELEMENTSOF(names); i++) {
                size_t n;
                char *d = fixture(names[i], &n);
                struct rt t;
                rt_init(&t, private_tmp());
                struct rpmdb_walk w = {.ctx = t.ctx, .path = names[i]};
                int r = i < 2 ? rpmdb_bdb_read(&w, (uint8_t *) d, n) : rpmdb_ndb_read(&w, (uint8_t *) d, n);
                CHECK_INT(r, 0);
                CHECK_INT(w.n_blobs, 3);
                CHECK_INT(w.n_pkgs, 2);
                CHECK_INT(w.n_bad, 0);
                CHECK_INT(w.n_files, 8);
                rt_done(&t);
                free(d);
        }
}

TEST(rpm_through_layer_dispatch) {
        /* As the layer walkers do it: the analyzer table picks analyzer_rpm for the path. */
        size_t n;
        char *d = fixture("ndb.Packages.db", &n);
        struct rt t;
        rt_init(&t, private_tmp());
        struct layer_file f = {
                .path = "usr/lib/sysimage/rpm/Packages.db", .size = n, .mode = 0644, .kind = LF_REG};
        CHECK_INT(layer_ctx_feed_file(t.ctx, &f, d, n), 0);
        CHECK_INT(rt_npkgs(&t), 2);
        CHECK_INT(layer_ctx_result(t.ctx)->files_read, 1);
        rt_done(&t);
        free(d);
}

TEST(rpm_dir_target) {
        /* A root filesystem directory (dir: targets) with the database where Fedora and openSUSE keep it
         * and an unrelated file rpm also writes there. */
        char root[] = "/tmp/stockade-rpm-root.XXXXXX", p[8192];
        REQUIRE(mkdtemp(root));
        snprintf(p, sizeof p,
                 "mkdir -p '%s/usr/lib/sysimage/rpm' && cp '%s' '%s/usr/lib/sysimage/rpm/Packages.db' && "
                 ": > '%s/usr/lib/sysimage/rpm/Index.db'",
                 root, test_srcpath("tests/data/inv-rpm/ndb.Packages.db"), root, root);
        REQUIRE(system(p) == 0);
        struct layer_options opts = {.tmpdir = private_tmp()};
        struct diag d;
        struct layer_result *res = NULL;
        layer_limits_default(&opts.limits);
        diag_init(&d);
        CHECK_INT(layer_analyze_dir(root, &opts, &d, &res), 0);
        REQUIRE(res);
        CHECK_INT(res->pkgs.n, 2);
        CHECK_INT(res->warnings.n, 0);
        for (size_t i = 0; i < res->pkgs.n; i++)
                CHECK_STR(res->pkgs.items[i].record_path, "usr/lib/sysimage/rpm/Packages.db");
        layer_result_free(res);
        diag_done(&d);
        snprintf(p, sizeof p, "rm -rf '%s'", root);
        CHECK(system(p) == 0);
}

TEST(rpm_metadata_budget) {
        /* A layer whose metadata budget runs out: a warning, and the reading stops. */
        size_t n;
        char *d = fixture("ndb.Packages.db", &n);
        struct rt t;
        rt_init(&t, private_tmp());
        t.opts.limits.max_arena = 200;
        CHECK_INT(rt_feed(&t, "var/lib/rpm/Packages.db", d, n), 0);
        CHECK(rt_warned(&t, "metadata limit is reached"));
        CHECK_INT(rt_npkgs(&t), 1);
        rt_done(&t);
        free(d);
}

TEST(rpm_sniff) {
        CHECK_INT(rpmdb_sniff((const uint8_t *) "SQLite format 3\0xxxx", 20), RPMDB_SQLITE);
        CHECK_INT(rpmdb_sniff((const uint8_t *) "RpmP", 4), RPMDB_NDB);
        CHECK_INT(rpmdb_sniff((const uint8_t *) "RpmX", 4), RPMDB_UNKNOWN);
        CHECK_INT(rpmdb_sniff((const uint8_t *) "", 0), RPMDB_UNKNOWN);
        uint8_t b[16] = {0};
        b[12] = 0x61, b[13] = 0x15, b[14] = 0x06;
        CHECK_INT(rpmdb_sniff(b, 16), RPMDB_BDB);
        b[12] = 0, b[13] = 0x06, b[14] = 0x15, b[15] = 0x61;
        CHECK_INT(rpmdb_sniff(b, 16), RPMDB_BDB);
}

TEST(rpm_not_a_database) {
        struct rt t;
        run(&t, "var/lib/rpm/Packages", "", 0);
        CHECK(rt_warned(&t, "is empty"));
        CHECK_INT(rt_npkgs(&t), 0);
        rt_done(&t);

        run(&t, "var/lib/rpm/rpmdb.sqlite", "hello, world, this is not a database", 36);
        CHECK(rt_warned(&t, "not an rpm database in a known format"));
        rt_done(&t);
}

TEST(rpm_too_large_is_skipped) {
        struct rt t;
        rt_init(&t, private_tmp());
        struct layer_file f = {.path = "var/lib/rpm/Packages", .size = 600 * MiB, .kind = LF_REG};
        struct entry_reader *r = entry_reader_new_mem("x", 1);
        CHECK_INT(analyzer_rpm.on_stream(t.ctx, &f, r), 0);
        entry_reader_free(r);
        CHECK(rt_warned(&t, "over the 512 MiB limit"));
        CHECK_INT(rt_npkgs(&t), 0);
        rt_done(&t);
}

/* ---- synthetic header blobs ---- */

struct hb {
        uint8_t index[64 * 16];
        uint8_t store[65536];
        uint32_t il, dl;
        int region_at; /* -1: no region */
};

static void put_be32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) (v >> 24), p[1] = (uint8_t) (v >> 16), p[2] = (uint8_t) (v >> 8),
        p[3] = (uint8_t) v;
}

static void hb_init(struct hb *b) {
        memset(b, 0, sizeof *b);
        b->region_at = -1;
}

static void hb_entry(struct hb *b, uint32_t tag, uint32_t type, uint32_t offset, uint32_t count) {
        uint8_t *e = b->index + b->il++ * 16;
        put_be32(e, tag), put_be32(e + 4, type), put_be32(e + 8, offset), put_be32(e + 12, count);
}

static void hb_data(struct hb *b, uint32_t tag, uint32_t type, const void *p, size_t len, uint32_t count,
                    unsigned align) {
        while (b->dl % align)
                b->store[b->dl++] = 0;
        hb_entry(b, tag, type, b->dl, count);
        memcpy(b->store + b->dl, p, len);
        b->dl += (uint32_t) len;
}

static void hb_str(struct hb *b, uint32_t tag, const char *s) {
        hb_data(b, tag, RPM_STRING_TYPE, s, strlen(s) + 1, 1, 1);
}

static void hb_strv(struct hb *b, uint32_t tag, const char *const *v, uint32_t n) {
        uint8_t tmp[4096];
        size_t len = 0;
        for (uint32_t i = 0; i < n; i++) {
                size_t l = strlen(v[i]) + 1;
                memcpy(tmp + len, v[i], l);
                len += l;
        }
        hb_data(b, tag, RPM_STRING_ARRAY_TYPE, tmp, len, n, 1);
}

static void hb_u32v(struct hb *b, uint32_t tag, const uint32_t *v, uint32_t n) {
        uint8_t tmp[4096];
        for (uint32_t i = 0; i < n; i++)
                put_be32(tmp + i * 4, v[i]);
        hb_data(b, tag, RPM_INT32_TYPE, tmp, n * 4, n, 4);
}

/* Opens an immutable region: its entry is first, its trailer is written by hb_region_end(). */
static void hb_region_begin(struct hb *b) {
        b->region_at = (int) b->il;
        hb_entry(b, RPMTAG_HEADERIMMUTABLE, RPM_BIN_TYPE, 0, 16);
}

static void hb_region_end(struct hb *b) {
        uint32_t ril = b->il;
        uint32_t off = b->dl;
        put_be32(b->store + off, RPMTAG_HEADERIMMUTABLE);
        put_be32(b->store + off + 4, RPM_BIN_TYPE);
        put_be32(b->store + off + 8, (uint32_t) - (int32_t) (ril * 16));
        put_be32(b->store + off + 12, 16);
        b->dl += 16;
        put_be32(b->index + b->region_at * 16 + 8, off);
}

static uint8_t *hb_blob(const struct hb *b, size_t *n) {
        *n = 8 + b->il * 16 + b->dl;
        uint8_t *p = malloc(*n);
        put_be32(p, b->il);
        put_be32(p + 4, b->dl);
        memcpy(p + 8, b->index, b->il * 16);
        memcpy(p + 8 + b->il * 16, b->store, b->dl);
        return p;
}

/* A typical installed header: region with the package's tags, files in two directories. */
static void hb_typical(struct hb *b, const char *name) {
        static const char *const bases[] = {"bash", "sh", "bash.1.gz"};
        static const char *const dirs[] = {"/usr/bin/", "/usr/share/man/man1/"};
        static const uint32_t idx[] = {0, 0, 1};
        hb_init(b);
        hb_region_begin(b);
        hb_str(b, RPMTAG_NAME, name);
        hb_str(b, RPMTAG_VERSION, "5.1.8");
        hb_str(b, RPMTAG_RELEASE, "6.el9");
        hb_str(b, RPMTAG_LICENSE, "GPLv3+");
        hb_str(b, RPMTAG_ARCH, "x86_64");
        hb_str(b, RPMTAG_SOURCERPM, "bash-5.1.8-6.el9.src.rpm");
        hb_u32v(b, RPMTAG_DIRINDEXES, idx, 3);
        hb_strv(b, RPMTAG_BASENAMES, bases, 3);
        hb_strv(b, RPMTAG_DIRNAMES, dirs, 2);
        hb_region_end(b);
}

/* Parses one blob into a fresh context. */
static void add_blob(struct rt *t, const uint8_t *blob, size_t n) {
        rt_init(t, private_tmp());
        struct rpmdb_walk w = {.ctx = t->ctx, .path = "var/lib/rpm/rpmdb.sqlite"};
        CHECK_INT(rpmdb_add_header(&w, blob, n), 0);
}

static void add_hb(struct rt *t, const struct hb *b) {
        size_t n;
        uint8_t *blob = hb_blob(b, &n);
        add_blob(t, blob, n);
        free(blob);
}

TEST(rpm_header_typical) {
        struct hb b;
        struct rt t;
        hb_typical(&b, "bash");
        add_hb(&t, &b);
        CHECK_INT(rt_nwarnings(&t), 0);
        const struct pkg *p = rt_find(&t, "bash");
        REQUIRE(p);
        CHECK_STR(p->version, "5.1.8-6.el9");
        CHECK(p->epoch == NULL);
        CHECK_STR(p->arch, "x86_64");
        CHECK_STR(p->source_name, "bash");
        CHECK_STR(p->source_version, "5.1.8-6.el9");
        CHECK_STR(p->record_path, "var/lib/rpm/rpmdb.sqlite");
        REQUIRE(rt_nfiles(p) == 3);
        CHECK_STR(p->owned_files[0], "usr/bin/bash");
        CHECK_STR(p->owned_files[1], "usr/bin/sh");
        CHECK_STR(p->owned_files[2], "usr/share/man/man1/bash.1.gz");
        rt_done(&t);
}

TEST(rpm_header_epochs) {
        static const uint32_t epochs[] = {0, 1, 7, 4294967295u};
        static const char *const want[] = {"0", "1", "7", "4294967295"};
        for (size_t i = 0; i < ELEMENTSOF(epochs); i++) {
                struct hb b;
                struct rt t;
                hb_typical(&b, "tzdata");
                hb_u32v(&b, RPMTAG_EPOCH, &epochs[i], 1);
                add_hb(&t, &b);
                const struct pkg *p = rt_find(&t, "tzdata");
                REQUIRE(p);
                CHECK_STR(p->epoch, want[i]);
                rt_done(&t);
        }
}

TEST(rpm_header_missing_fields) {
        struct hb b;
        struct rt t;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "bare");
        add_hb(&t, &b);
        CHECK_INT(rt_nwarnings(&t), 0);
        const struct pkg *p = rt_find(&t, "bare");
        REQUIRE(p);
        CHECK(p->version == NULL && p->epoch == NULL && p->arch == NULL && p->licenses == NULL);
        CHECK(p->source_name == NULL && p->source_version == NULL && p->owned_files == NULL);
        rt_done(&t);

        /* A version without a release, and a source rpm that does not parse. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "half");
        hb_str(&b, RPMTAG_VERSION, "1.0");
        hb_str(&b, RPMTAG_SOURCERPM, "weird.rpm");
        add_hb(&t, &b);
        p = rt_find(&t, "half");
        REQUIRE(p);
        CHECK_STR(p->version, "1.0");
        CHECK(p->source_name == NULL);
        rt_done(&t);

        /* No name: not a package. */
        hb_init(&b);
        hb_str(&b, RPMTAG_VERSION, "1.0");
        add_hb(&t, &b);
        CHECK_INT(rt_npkgs(&t), 0);
        CHECK(rt_warned(&t, "no NAME"));
        rt_done(&t);
}

TEST(rpm_header_gpg_pubkey_skipped) {
        struct hb b;
        struct rt t;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "gpg-pubkey");
        hb_str(&b, RPMTAG_VERSION, "fd431d51");
        hb_str(&b, RPMTAG_RELEASE, "4ae0493b");
        add_hb(&t, &b);
        CHECK_INT(rt_npkgs(&t), 0);
        CHECK_INT(rt_nwarnings(&t), 0);
        rt_done(&t);
}

TEST(rpm_header_install_time_entries_win) {
        /* rpm appends entries after the region at install time; they replace the region's. */
        struct hb b;
        struct rt t;
        hb_typical(&b, "old-name");
        hb_str(&b, RPMTAG_NAME, "new-name");
        add_hb(&t, &b);
        CHECK(rt_find(&t, "old-name") == NULL);
        CHECK(rt_find(&t, "new-name") != NULL);
        rt_done(&t);
}

TEST(rpm_header_region) {
        struct hb b;
        struct rt t;
        size_t n;
        hb_typical(&b, "bash");
        uint8_t *blob = hb_blob(&b, &n);
        struct rpm_header h;
        const char *why;
        CHECK_INT(rpm_header_parse(blob, n, &h, &why), 0);
        CHECK_INT(h.region_tag, RPMTAG_HEADERIMMUTABLE);
        CHECK_INT(h.region_il, 10);
        CHECK(!h.region_bad);

        /* A damaged trailer (wrong tag) is reported; the entries are still read. */
        size_t trailer = 8 + b.il * 16 + (b.dl - 16);
        put_be32(blob + trailer, 1000);
        CHECK_INT(rpm_header_parse(blob, n, &h, &why), 0);
        CHECK(h.region_bad);
        add_blob(&t, blob, n);
        CHECK(rt_find(&t, "bash") != NULL);
        CHECK(rt_warned(&t, "damaged header region"));
        rt_done(&t);

        /* A region that claims more entries than the header has. */
        put_be32(blob + trailer, RPMTAG_HEADERIMMUTABLE);
        put_be32(blob + trailer + 8, (uint32_t) - (int32_t) (1000 * 16));
        CHECK_INT(rpm_header_parse(blob, n, &h, &why), 0);
        CHECK(h.region_bad);

        /* A region entry whose trailer lies outside the store. */
        put_be32(blob + 8 + 8, 0x7ffffff0);
        CHECK_INT(rpm_header_parse(blob, n, &h, &why), 0);
        CHECK(h.region_bad);
        free(blob);
}

TEST(rpm_header_old_filenames) {
        static const char *const files[] = {"/bin/true", "/etc/", "/usr//lib/./x", "/"};
        struct hb b;
        struct rt t;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "ancient");
        hb_strv(&b, RPMTAG_OLDFILENAMES, files, 4);
        add_hb(&t, &b);
        const struct pkg *p = rt_find(&t, "ancient");
        REQUIRE(p);
        REQUIRE(rt_nfiles(p) == 3);
        CHECK_STR(p->owned_files[0], "bin/true");
        CHECK_STR(p->owned_files[1], "etc");
        CHECK_STR(p->owned_files[2], "usr/lib/x");
        rt_done(&t);
}

TEST(rpm_header_hostile_paths) {
        static const char *const bases[] = {"passwd", "ok", "x"};
        static const char *const dirs[] = {"/../../etc/", "/usr/"};
        static const uint32_t idx[] = {0, 1, 7};
        struct hb b;
        struct rt t;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "evil");
        hb_u32v(&b, RPMTAG_DIRINDEXES, idx, 3);
        hb_strv(&b, RPMTAG_BASENAMES, bases, 3);
        hb_strv(&b, RPMTAG_DIRNAMES, dirs, 2);
        add_hb(&t, &b);
        const struct pkg *p = rt_find(&t, "evil");
        REQUIRE(p);
        REQUIRE(rt_nfiles(p) == 1);
        CHECK_STR(p->owned_files[0], "usr/ok");
        CHECK(rt_warned(&t, "2 file names were not usable paths"));
        rt_done(&t);
}

TEST(rpm_header_root_and_dot_names) {
        /* rpm stores "/" as directory "/" with an empty basename; "." and "a/b" are not basenames. */
        static const char *const bases[] = {"", "passwd", ".", "a/b", ""};
        static const char *const dirs[] = {"/", "/etc/"};
        static const uint32_t idx[] = {0, 1, 1, 1, 1};
        struct hb b;
        struct rt t;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "filesystem");
        hb_u32v(&b, RPMTAG_DIRINDEXES, idx, 5);
        hb_strv(&b, RPMTAG_BASENAMES, bases, 5);
        hb_strv(&b, RPMTAG_DIRNAMES, dirs, 2);
        add_hb(&t, &b);
        const struct pkg *p = rt_find(&t, "filesystem");
        REQUIRE(p);
        REQUIRE(rt_nfiles(p) == 2);
        CHECK_STR(p->owned_files[0], "etc/passwd");
        CHECK_STR(p->owned_files[1], "etc");
        CHECK(rt_warned(&t, "2 file names were not usable paths"));
        rt_done(&t);
}

/* A header of n_files basenames "x", all in one directory dir (built by hand: it is big). */
static uint8_t *big_header(const char *dir, uint32_t n_files, size_t *ret_n) {
        size_t dirlen = strlen(dir) + 1;
        size_t dl = 8 + (size_t) n_files * 4 + (size_t) n_files * 2 + dirlen;
        size_t n = 8 + 4 * 16 + dl;
        uint8_t *p = calloc(1, n), *e = p + 8, *st = p + 8 + 4 * 16;
        put_be32(p, 4);
        put_be32(p + 4, (uint32_t) dl);
        uint32_t off = 0;
        memcpy(st, "big\0", 4);
        put_be32(e, RPMTAG_NAME), put_be32(e + 4, RPM_STRING_TYPE), put_be32(e + 8, 0), put_be32(e + 12, 1);
        off = 8;
        e += 16;
        put_be32(e, RPMTAG_DIRINDEXES), put_be32(e + 4, RPM_INT32_TYPE), put_be32(e + 8, off);
        put_be32(e + 12, n_files);
        off += n_files * 4; /* all zero: directory 0 */
        e += 16;
        put_be32(e, RPMTAG_BASENAMES), put_be32(e + 4, RPM_STRING_ARRAY_TYPE), put_be32(e + 8, off);
        put_be32(e + 12, n_files);
        for (uint32_t i = 0; i < n_files; i++)
                st[off + i * 2] = 'x';
        off += n_files * 2;
        e += 16;
        put_be32(e, RPMTAG_DIRNAMES), put_be32(e + 4, RPM_STRING_ARRAY_TYPE), put_be32(e + 8, off);
        put_be32(e + 12, 1);
        memcpy(st + off, dir, dirlen);
        *ret_n = n;
        return p;
}

TEST(rpm_header_many_files_one_long_dir) {
        /* A million files in one 4000-byte directory that climbs out of the root at its very end: the
         * directory is judged once, not a million times. */
        char dir[4001];
        size_t k = 0;
        while (k < 2000)
                dir[k++] = 'a', dir[k++] = '/';
        while (k < 3997)
                dir[k++] = '.', dir[k++] = '.', dir[k++] = '/';
        dir[k] = 0;
        size_t n;
        uint8_t *blob = big_header(dir, RPMDB_MAX_PKG_FILES, &n);
        struct rt t;
        add_blob(&t, blob, n);
        const struct pkg *p = rt_find(&t, "big");
        REQUIRE(p);
        CHECK_INT(rt_nfiles(p), 0);
        CHECK(rt_warned(&t, "1048575 file names were not usable paths"));
        rt_done(&t);
        free(blob);

        /* The same with a usable directory: every file is recorded. */
        blob = big_header("/usr/share/many/", 100000, &n);
        add_blob(&t, blob, n);
        p = rt_find(&t, "big");
        REQUIRE(p);
        CHECK_INT(rt_nfiles(p), 100000);
        CHECK_STR(p->owned_files[99999], "usr/share/many/x");
        rt_done(&t);
        free(blob);

        /* One file over rpm's limit: not read at all. */
        blob = big_header("/d/", RPMDB_MAX_PKG_FILES + 1, &n);
        add_blob(&t, blob, n);
        CHECK(rt_warned(&t, "too many files"));
        rt_done(&t);
        free(blob);
}

TEST(rpm_header_broken_file_lists) {
        static const char *const bases[] = {"a", "b"};
        static const char *const dirs[] = {"/d/"};
        static const uint32_t idx[] = {0, 0};
        struct hb b;
        struct rt t;

        /* DIRINDEXES shorter than BASENAMES. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "p1");
        hb_u32v(&b, RPMTAG_DIRINDEXES, idx, 1);
        hb_strv(&b, RPMTAG_BASENAMES, bases, 2);
        hb_strv(&b, RPMTAG_DIRNAMES, dirs, 1);
        add_hb(&t, &b);
        REQUIRE(rt_find(&t, "p1"));
        CHECK(rt_find(&t, "p1")->owned_files == NULL);
        CHECK(rt_warned(&t, "differ in length"));
        rt_done(&t);

        /* No DIRNAMES. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "p2");
        hb_u32v(&b, RPMTAG_DIRINDEXES, idx, 2);
        hb_strv(&b, RPMTAG_BASENAMES, bases, 2);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "without DIRNAMES"));
        rt_done(&t);

        /* A huge BASENAMES count: the strings would run past the store. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "p3");
        hb_u32v(&b, RPMTAG_DIRINDEXES, idx, 2);
        hb_strv(&b, RPMTAG_BASENAMES, bases, 2);
        hb_strv(&b, RPMTAG_DIRNAMES, dirs, 1);
        put_be32(b.index + 2 * 16 + 12, 0xffffffff);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad BASENAMES"));
        CHECK(rt_find(&t, "p3") && !rt_find(&t, "p3")->owned_files);
        rt_done(&t);

        /* A huge DIRINDEXES count. */
        put_be32(b.index + 2 * 16 + 12, 2);
        put_be32(b.index + 1 * 16 + 12, 0x40000000);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad DIRINDEXES"));
        rt_done(&t);

        /* BASENAMES of the wrong type. */
        put_be32(b.index + 1 * 16 + 12, 2);
        put_be32(b.index + 2 * 16 + 4, RPM_INT32_TYPE);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad BASENAMES"));
        rt_done(&t);
}

TEST(rpm_header_bad_entries) {
        struct hb b;
        struct rt t;

        /* NAME's offset outside the store. */
        hb_typical(&b, "bash");
        put_be32(b.index + 1 * 16 + 8, 0x7fffffff);
        add_hb(&t, &b);
        CHECK_INT(rt_npkgs(&t), 0);
        CHECK(rt_warned(&t, "bad NAME"));
        rt_done(&t);

        /* A STRING with a count other than 1, and a STRING of the wrong type. */
        hb_typical(&b, "bash");
        put_be32(b.index + 1 * 16 + 12, 5);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad NAME"));
        rt_done(&t);
        hb_typical(&b, "bash");
        put_be32(b.index + 2 * 16 + 4, RPM_BIN_TYPE);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad VERSION"));
        CHECK_INT(rt_npkgs(&t), 0);
        rt_done(&t);

        /* A string that runs to the end of the store without a NUL. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "x");
        hb_data(&b, RPMTAG_LICENSE, RPM_STRING_TYPE, "MIT", 3, 1, 1);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad LICENSE"));
        rt_done(&t);

        /* An EPOCH that is a string, and one whose INT32 runs past the store. */
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "x");
        hb_str(&b, RPMTAG_EPOCH, "1");
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad EPOCH"));
        rt_done(&t);
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "x");
        hb_data(&b, RPMTAG_EPOCH, RPM_INT32_TYPE, "\0\0", 2, 1, 4);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad EPOCH"));
        rt_done(&t);

        /* A field longer than the cap. */
        char *big = malloc(RPMDB_MAX_FIELD + 2);
        memset(big, 'a', RPMDB_MAX_FIELD + 1);
        big[RPMDB_MAX_FIELD + 1] = 0;
        hb_init(&b);
        hb_str(&b, RPMTAG_NAME, "x");
        hb_str(&b, RPMTAG_VERSION, big);
        add_hb(&t, &b);
        CHECK(rt_warned(&t, "bad VERSION"));
        rt_done(&t);
        free(big);
}

TEST(rpm_header_bad_framing) {
        uint8_t blob[64] = {0};
        struct rpm_header h;
        const char *why = NULL;
        CHECK_INT(rpm_header_parse(blob, 4, &h, &why), -EBADMSG);
        CHECK_STR(why, "shorter than a header");
        CHECK_INT(rpm_header_parse(blob, 64, &h, &why), -EBADMSG);
        CHECK_STR(why, "no tags");
        put_be32(blob, 0x10000);
        CHECK_INT(rpm_header_parse(blob, 64, &h, &why), -EBADMSG);
        CHECK_STR(why, "too many tags");
        put_be32(blob, 1);
        put_be32(blob + 4, 0xffffffff);
        CHECK_INT(rpm_header_parse(blob, 64, &h, &why), -EBADMSG);
        CHECK_STR(why, "data store too large");
        put_be32(blob + 4, 100);
        CHECK_INT(rpm_header_parse(blob, 64, &h, &why), -EBADMSG);
        CHECK_STR(why, "truncated");
        put_be32(blob, 0xffff);
        put_be32(blob + 4, 0);
        CHECK_INT(rpm_header_parse(blob, 64, &h, &why), -EBADMSG);

        struct rt t;
        add_blob(&t, blob, 64);
        CHECK(rt_warned(&t,
                        "skipping package header 1 of rpm database 'var/lib/rpm/rpmdb.sqlite': truncated"));
        rt_done(&t);
}

TEST(rpm_header_truncations) {
        /* Every prefix of a good blob is either fine (trailing bytes) or a warning. */
        struct hb b;
        size_t n;
        hb_typical(&b, "bash");
        uint8_t *blob = hb_blob(&b, &n);
        for (size_t k = 0; k < n; k++) {
                struct rt t;
                uint8_t *c = malloc(k ? k : 1);
                memcpy(c, blob, k);
                add_blob(&t, c, k);
                CHECK_INT(rt_npkgs(&t), 0);
                CHECK_INT(rt_nwarnings(&t), 1);
                rt_done(&t);
                free(c);
        }
        free(blob);
}

TEST(rpm_header_mutations) {
        struct hb b;
        size_t n;
        hb_typical(&b, "bash");
        uint8_t *blob = hb_blob(&b, &n);
        uint8_t *c = malloc(n);
        for (int i = 0; i < 5000; i++) {
                memcpy(c, blob, n);
                for (int j = 0, k = 1 + (int) (rng() % 6); j < k; j++) {
                        size_t at = rng() % n;
                        c[at] = rng() % 2 ? (uint8_t) rng() : (uint8_t) (c[at] ^ 0x80);
                }
                struct rt t;
                add_blob(&t, c, n);
                rt_done(&t);
        }
        free(c);
        free(blob);
}

TEST(rpm_split_sourcerpm) {
        static const struct {
                const char *in, *name, *version;
        } cases[] = {
                {"bash-5.1.8-6.el9.src.rpm", "bash", "5.1.8-6.el9"},
                {"python3-pip-21.2.3-7.el9.src.rpm", "python3-pip", "21.2.3-7.el9"},
                {"kernel-5.14.0-284.11.1.el9_2.nosrc.rpm", "kernel", "5.14.0-284.11.1.el9_2"},
                {"a-1-2.src.rpm", "a", "1-2"},
                {"bash-5.1.8.src.rpm", NULL, NULL},
                {"-1-2.src.rpm", NULL, NULL},
                {"a--2.src.rpm", NULL, NULL},
                {"a-1-.src.rpm", NULL, NULL},
                {"bash-5.1.8-6.el9.noarch.rpm", NULL, NULL},
                {".src.rpm", NULL, NULL},
                {"", NULL, NULL},
        };
        struct arena *a = arena_new(0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *name = NULL, *version = NULL;
                int r = rpm_split_sourcerpm(a, cases[i].in, &name, &version);
                if (!cases[i].name) {
                        CHECK_INT(r, -EINVAL);
                        continue;
                }
                CHECK_INT(r, 0);
                CHECK_STR(name, cases[i].name);
                CHECK_STR(version, cases[i].version);
        }
        arena_free(a);
}

/* ---- Berkeley DB damage ---- */

struct bdbf {
        uint8_t *d;
        size_t n;
        bool be;
        uint32_t ps;
};

static uint32_t bget32(const struct bdbf *f, size_t off) {
        const uint8_t *p = f->d + off;
        return f->be ? (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3]
                     : (uint32_t) p[3] << 24 | (uint32_t) p[2] << 16 | (uint32_t) p[1] << 8 | p[0];
}

static void bput32(struct bdbf *f, size_t off, uint32_t v) {
        uint8_t *p = f->d + off;
        for (int i = 0; i < 4; i++)
                p[f->be ? 3 - i : i] = (uint8_t) (v >> (8 * i));
}

static uint16_t bget16(const struct bdbf *f, size_t off) {
        const uint8_t *p = f->d + off;
        return (uint16_t) (f->be ? p[0] << 8 | p[1] : p[1] << 8 | p[0]);
}

static void bput16(struct bdbf *f, size_t off, uint16_t v) {
        uint8_t *p = f->d + off;
        p[f->be ? 1 : 0] = (uint8_t) v;
        p[f->be ? 0 : 1] = (uint8_t) (v >> 8);
}

static void bdb_load(struct bdbf *f, const char *name) {
        f->d = (uint8_t *) fixture(name, &f->n);
        f->be = f->d[12] == 0;
        f->ps = bget32(f, 20);
}

/* The nth page of a type (pages 1..), or 0. */
static uint32_t bdb_page(const struct bdbf *f, uint8_t type, int nth) {
        for (uint32_t pg = 1; (size_t) (pg + 1) * f->ps <= f->n; pg++)
                if (f->d[(size_t) pg * f->ps + 25] == type && nth-- == 0)
                        return pg;
        return 0;
}

/* The first overflow chain's head: the page an H_OFFPAGE item of the first hash page points at, and the
 * offset of that item. */
static uint32_t bdb_first_offpage(const struct bdbf *f, size_t *ret_item) {
        for (int k = 0;; k++) {
                uint32_t pg = bdb_page(f, 13, k);
                if (!pg)
                        return 0;
                size_t base = (size_t) pg * f->ps;
                uint16_t nent = bget16(f, base + 20);
                for (uint16_t i = 1; i < nent; i += 2) {
                        uint16_t off = bget16(f, base + 26 + i * 2);
                        if (f->d[base + off] == 3) {
                                *ret_item = base + off;
                                return bget32(f, base + off + 4);
                        }
                }
        }
}

static void bdb_expect(struct bdbf *f, const char *warning, int max_pkgs) {
        struct rt t;
        run(&t, "var/lib/rpm/Packages", f->d, f->n);
        if (!rt_warned(&t, warning)) {
                fprintf(stderr, "expected a warning with '%s', got:\n", warning);
                rt_print_warnings(&t, stderr);
                CHECK(false);
        }
        CHECK((int) rt_npkgs(&t) <= max_pkgs);
        rt_done(&t);
}

static void bdb_damage(const char *name) {
        struct bdbf f;
        size_t item;

        /* An overflow page that points at itself. */
        bdb_load(&f, name);
        uint32_t head = bdb_first_offpage(&f, &item);
        REQUIRE(head);
        REQUIRE(bget32(&f, (size_t) head * f.ps + 16) != 0);
        bput32(&f, (size_t) head * f.ps + 16, head);
        bdb_expect(&f, "loops", 1);
        free(f.d);

        /* An overflow chain that runs back to its start from further down. */
        bdb_load(&f, name);
        head = bdb_first_offpage(&f, &item);
        uint32_t second = bget32(&f, (size_t) head * f.ps + 16);
        bput32(&f, (size_t) second * f.ps + 16, head);
        bdb_expect(&f, "loops", 1);
        free(f.d);

        /* An overflow chain that ends in a hash page, and one that ends early. */
        bdb_load(&f, name);
        head = bdb_first_offpage(&f, &item);
        f.d[(size_t) bget32(&f, (size_t) head * f.ps + 16) * f.ps + 25] = 13;
        bdb_expect(&f, "not an overflow page", 1);
        free(f.d);
        bdb_load(&f, name);
        head = bdb_first_offpage(&f, &item);
        bput32(&f, (size_t) head * f.ps + 16, 0);
        bdb_expect(&f, "ends early", 1);
        free(f.d);

        /* Two items sharing one overflow chain. */
        bdb_load(&f, name);
        {
                size_t item2 = 0;
                uint32_t pg = bdb_page(&f, 13, 0);
                size_t base = (size_t) pg * f.ps;
                uint16_t nent = bget16(&f, base + 20);
                int found = 0;
                for (uint16_t i = 1; i < nent; i += 2) {
                        uint16_t off = bget16(&f, base + 26 + i * 2);
                        if (f.d[base + off] == 3 && found++ == 0)
                                item = base + off;
                        else if (f.d[base + off] == 3)
                                item2 = base + off;
                }
                if (item2) {
                        memcpy(f.d + item2, f.d + item, 12);
                        bdb_expect(&f, "shared", 2);
                }
        }
        free(f.d);

        /* Overflow references out of the file and with absurd lengths. */
        bdb_load(&f, name);
        head = bdb_first_offpage(&f, &item);
        bput32(&f, item + 4, 0x7fffffff);
        bdb_expect(&f, "leaves the file", 1);
        bput32(&f, item + 4, head);
        bput32(&f, item + 8, 0xffffffff);
        bdb_expect(&f, "implausible", 1);
        bput32(&f, item + 8, 0);
        bdb_expect(&f, "implausible", 1);
        free(f.d);

        /* Hash page damage: a self-loop in the bucket chain, offsets out of range, an absurd count. */
        bdb_load(&f, name);
        uint32_t hp = bdb_page(&f, 13, 0);
        size_t hb = (size_t) hp * f.ps;
        bput32(&f, hb + 16, hp);
        bdb_expect(&f, "loops", 2);
        free(f.d);
        bdb_load(&f, name);
        bput16(&f, hb + 26, (uint16_t) (f.ps + 100));
        bdb_expect(&f, "out of order", 2);
        bput16(&f, hb + 26, 3);
        bdb_expect(&f, "out of order", 2);
        free(f.d);
        bdb_load(&f, name);
        bput16(&f, hb + 20, 0xffff);
        bdb_expect(&f, "bad item count", 2);
        bput16(&f, hb + 20, 3);
        bdb_expect(&f, "bad item count", 2);
        free(f.d);
        bdb_load(&f, name);
        f.d[hb + 25] = 7;
        bdb_expect(&f, "not a hash page", 2);
        free(f.d);
        bdb_load(&f, name);
        bput32(&f, hb + 8, 12345);
        bdb_expect(&f, "not a hash page", 2);
        free(f.d);

        /* Metadata damage. */
        bdb_load(&f, name);
        bput32(&f, 72, 0xffffffff); /* max_bucket */
        bdb_expect(&f, "buckets", 0);
        bput32(&f, 72, 1);
        bput32(&f, 96 + 4, 0x7fffffff); /* spares[1] */
        bdb_expect(&f, "bucket page out of the file", 2);
        free(f.d);
        bdb_load(&f, name);
        bput32(&f, 20, 1000); /* pagesize */
        bdb_expect(&f, "damaged metadata", 0);
        bput32(&f, 20, 1u << 20);
        bdb_expect(&f, "damaged metadata", 0);
        free(f.d);
        bdb_load(&f, name);
        bput32(&f, 16, 5); /* version */
        bdb_expect(&f, "not supported", 0);
        free(f.d);
        bdb_load(&f, name);
        f.d[24] = 1; /* encrypted */
        bdb_expect(&f, "encrypted", 0);
        free(f.d);
        bdb_load(&f, name);
        bput32(&f, 32, 0xfffffff0); /* last_pgno: claims more pages than there are */
        bdb_expect(&f, "truncated", 2);
        free(f.d);
        bdb_load(&f, name);
        f.d[13] = 0x42; /* magic */
        bdb_expect(&f, "not an rpm database", 0);
        {
                struct rt t;
                rt_init(&t, private_tmp());
                struct rpmdb_walk w = {.ctx = t.ctx, .path = "Packages"};
                CHECK_INT(rpmdb_bdb_read(&w, f.d, f.n), 0);
                CHECK(rt_warned(&t, "not a Berkeley DB hash database"));
                rt_done(&t);
        }
        free(f.d);

        /* Every truncation is reported; none crashes. */
        bdb_load(&f, name);
        for (size_t k = 0; k < f.n; k += 61) {
                struct rt t;
                run(&t, "var/lib/rpm/Packages", f.d, k);
                CHECK(rt_nwarnings(&t) > 0);
                rt_done(&t);
        }
        mutate_many("var/lib/rpm/Packages", f.d, f.n, 1500);
        free(f.d);
}

TEST(rpm_bdb_damage_big_endian) {
        bdb_damage("bdb-be512.Packages");
}

TEST(rpm_bdb_damage_little_endian) {
        bdb_damage("bdb-le512.Packages");
}

/* ---- ndb damage ---- */

static void put_le32(uint8_t *p, uint32_t v) {
        p[0] = (uint8_t) v, p[1] = (uint8_t) (v >> 8), p[2] = (uint8_t) (v >> 16),
        p[3] = (uint8_t) (v >> 24);
}

static uint32_t get_le32(const uint8_t *p) {
        return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16 | (uint32_t) p[3] << 24;
}

static void ndb_expect(const uint8_t *d, size_t n, const char *warning, int min_pkgs, int max_pkgs) {
        struct rt t;
        run(&t, "var/lib/rpm/Packages.db", d, n);
        if (!rt_warned(&t, warning)) {
                fprintf(stderr, "expected a warning with '%s', got:\n", warning);
                rt_print_warnings(&t, stderr);
                CHECK(false);
        }
        CHECK((int) rt_npkgs(&t) >= min_pkgs && (int) rt_npkgs(&t) <= max_pkgs);
        rt_done(&t);
}

TEST(rpm_ndb_damage) {
        size_t n;
        uint8_t *orig = (uint8_t *) fixture("ndb.Packages.db", &n), *d = malloc(n);
        /* Slots start after the 32-byte header: slot 2 is the first package. */
        const size_t s0 = 32;
        REQUIRE(get_le32(orig + s0 + 8) != 0);
        uint32_t blk0 = get_le32(orig + s0 + 8);

#define FRESH() memcpy(d, orig, n)
        FRESH();
        d[0] = 'X';
        ndb_expect(d, n, "not an rpm database", 0, 0);
        FRESH();
        put_le32(d + 4, 1);
        ndb_expect(d, n, "ndb version 1", 0, 0);
        FRESH();
        put_le32(d + 12, 0);
        ndb_expect(d, n, "slot pages", 0, 0);
        FRESH();
        put_le32(d + 12, 0x7fffffff);
        ndb_expect(d, n, "slot pages", 0, 0);
        FRESH();
        put_le32(d + s0 + 8, 0xfffffff0);
        ndb_expect(d, n, "outside the blob area", 1, 1);
        FRESH();
        put_le32(d + s0 + 8, 3); /* inside the slot pages */
        ndb_expect(d, n, "outside the blob area", 1, 1);
        FRESH();
        put_le32(d + s0 + 12, 0xffffffff);
        ndb_expect(d, n, "outside the blob area", 1, 1);
        FRESH();
        put_le32(d + s0 + 12, 1);
        ndb_expect(d, n, "blob too small", 1, 1);
        FRESH();
        put_le32(d + s0 + 4, 99); /* the slot's package index differs from the blob's */
        ndb_expect(d, n, "bad blob header", 1, 1);
        FRESH();
        put_le32(d + (size_t) blk0 * 16 + 12, 0xfffffff0); /* blob length */
        ndb_expect(d, n, "does not match its slot", 1, 1);
        FRESH();
        /* The tail: the last 12 bytes of the blob's blocks. */
        size_t tail = (size_t) (blk0 + get_le32(orig + s0 + 12)) * 16 - 12;
        d[tail + 11] = 'X';
        ndb_expect(d, n, "bad blob trailer", 1, 1);
        FRESH();
        d[tail] ^= 1; /* the checksum: reported, and the header is read anyway (as rpm does) */
        ndb_expect(d, n, "checksum mismatch", 2, 2);
        FRESH();
        d[s0 + 16] = (uint8_t) 'X'; /* the second slot's magic: the first package is still read */
        ndb_expect(d, n, "bad slot magic", 1, 1);
        FRESH();
        ndb_expect(d, n - 5, "block boundary", 0, 2);
        FRESH();
        /* Every free slot pointing at the first blob: more blob data than the file holds. */
        for (size_t s = 32; s < 4096; s += 16)
                if (get_le32(d + s + 8) == 0)
                        memcpy(d + s, d + s0, 16);
        ndb_expect(d, n, "hand out more data than the file holds", 2, 6);
#undef FRESH

        for (size_t k = 0; k < n; k += 97) {
                struct rt t;
                run(&t, "var/lib/rpm/Packages.db", orig, k);
                CHECK(rt_nwarnings(&t) > 0);
                rt_done(&t);
        }
        mutate_many("var/lib/rpm/Packages.db", orig, n, 1500);
        free(d);
        free(orig);
}

/* ---- sqlite ---- */

/* The header blobs of the ndb fixture (two packages and the key). */
static size_t ndb_blobs(const uint8_t *ndb, const uint8_t **blobs, size_t *lens, size_t max) {
        size_t k = 0;
        for (size_t s = 32; s < 4096 && k < max; s += 16) {
                uint32_t off = get_le32(ndb + s + 8);
                if (!off)
                        continue;
                blobs[k] = ndb + (size_t) off * 16 + 16;
                lens[k++] = get_le32(ndb + (size_t) off * 16 + 12);
        }
        return k;
}

/* An rpmdb.sqlite image made with SQLite: rpm's schema, `copies` copies of the fixture's blobs, and
 * optionally some SQL of the test's choosing instead of the Packages table. */
static uint8_t *make_sqlite(int copies, const char *schema, sqlite3_int64 *ret_n) {
        size_t n;
        uint8_t *ndb = (uint8_t *) fixture("ndb.Packages.db", &n);
        const uint8_t *blobs[8];
        size_t lens[8];
        size_t nb = ndb_blobs(ndb, blobs, lens, 8);
        sqlite3 *db;
        sqlite3_stmt *st;
        if (sqlite3_open(":memory:", &db) != SQLITE_OK)
                abort();
        if (sqlite3_exec(
                    db,
                    schema ? schema
                           : "CREATE TABLE IF NOT EXISTS 'Packages' (hnum INTEGER PRIMARY KEY AUTOINCREMENT,"
                             "blob BLOB NOT NULL);"
                             "CREATE TABLE IF NOT EXISTS 'Name' (key 'TEXT' NOT NULL, hnum INTEGER NOT "
                             "NULL, idx INTEGER NOT NULL);",
                    NULL, NULL, NULL) != SQLITE_OK)
                abort();
        if (!schema) {
                sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
                if (sqlite3_prepare_v2(db, "INSERT INTO Packages (blob) VALUES (?)", -1, &st, NULL) !=
                    SQLITE_OK)
                        abort();
                for (int c = 0; c < copies; c++)
                        for (size_t i = 0; i < nb; i++) {
                                sqlite3_bind_blob(st, 1, blobs[i], (int) lens[i], SQLITE_STATIC);
                                if (sqlite3_step(st) != SQLITE_DONE)
                                        abort();
                                sqlite3_reset(st);
                        }
                sqlite3_finalize(st);
                sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
        }
        uint8_t *img = sqlite3_serialize(db, "main", ret_n, 0);
        uint8_t *out = malloc((size_t) *ret_n);
        memcpy(out, img, (size_t) *ret_n);
        sqlite3_free(img);
        sqlite3_close(db);
        free(ndb);
        return out;
}

TEST(rpm_sqlite_small) {
        sqlite3_int64 n;
        uint8_t *d = make_sqlite(1, NULL, &n);
        struct rt t;
        run(&t, "var/lib/rpm/rpmdb.sqlite", d, (size_t) n);
        CHECK_INT(rt_nwarnings(&t), 0);
        rt_print_warnings(&t, stderr);
        CHECK_INT(rt_npkgs(&t), 2);
        check_fixture_result(&t);
        rt_done(&t);

        /* rpm's databases are in WAL mode (header bytes 18 and 19 are 2): still read, no -wal wanted. */
        d[18] = d[19] = 2;
        run(&t, "var/lib/rpm/rpmdb.sqlite", d, (size_t) n);
        CHECK_INT(rt_nwarnings(&t), 0);
        CHECK_INT(rt_npkgs(&t), 2);
        rt_done(&t);
        free(d);
}

TEST(rpm_sqlite_large_is_spooled_privately) {
        /* Over the in-memory threshold: goes through the temporary file, which must not remain. */
        sqlite3_int64 n;
        uint8_t *d = make_sqlite(1500, NULL, &n);
        REQUIRE(n > (sqlite3_int64) (8 * MiB));
        struct rt t;
        run(&t, "usr/lib/sysimage/rpm/rpmdb.sqlite", d, (size_t) n);
        CHECK_INT(rt_nwarnings(&t), 0);
        CHECK_INT(rt_npkgs(&t), 3000);
        CHECK(tmp_is_empty());
        rt_done(&t);

        /* A temporary directory that does not exist: a warning, nothing else. */
        rt_init(&t, "/nonexistent/stockade-tmp");
        CHECK_INT(rt_feed(&t, "var/lib/rpm/rpmdb.sqlite", d, (size_t) n), 0);
        CHECK(rt_warned(&t, "cannot create a temporary file"));
        CHECK_INT(rt_npkgs(&t), 0);
        rt_done(&t);
        free(d);
}

TEST(rpm_sqlite_damage) {
        sqlite3_int64 n;
        uint8_t *d = make_sqlite(1, NULL, &n);
        struct rt t;

        /* Truncated: SQLite notices, we warn. */
        for (sqlite3_int64 k = 100; k < n; k += 1000) {
                run(&t, "var/lib/rpm/rpmdb.sqlite", d, (size_t) k);
                CHECK(rt_nwarnings(&t) > 0);
                rt_done(&t);
        }
        /* A page of garbage. */
        uint8_t *c = malloc((size_t) n);
        memcpy(c, d, (size_t) n);
        for (sqlite3_int64 i = 4096; i < 8192 && i < n; i++)
                c[i] = (uint8_t) (i * 7);
        run(&t, "var/lib/rpm/rpmdb.sqlite", c, (size_t) n);
        CHECK(rt_warned(&t, "(sqlite) is damaged"));
        rt_done(&t);
        free(c);

        mutate_many("var/lib/rpm/rpmdb.sqlite", d, (size_t) n, 300);
        free(d);
}

TEST(rpm_sqlite_hostile_schemas) {
        static const struct {
                const char *schema, *warning;
        } cases[] = {
                {"CREATE TABLE Other (x);", "no Packages table"},
                {"CREATE TABLE Other (blob); CREATE VIEW Packages AS WITH RECURSIVE c(x) AS (SELECT 1 "
                 "UNION "
                 "ALL "
                 "SELECT x + 1 FROM c) SELECT zeroblob(100) AS blob FROM c;",
                 "no Packages table"},
                {"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, data BLOB);", "no such column"},
                {"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);"
                 "INSERT INTO Packages (blob) VALUES ('text'), (42), (NULL), (x'');",
                 "4 rows without a header blob"},
                {"CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);"
                 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c LIMIT 50)"
                 "INSERT INTO Packages (blob) SELECT x'0000000100000000' FROM c;",
                 "50 package headers in all could not be read"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                sqlite3_int64 n;
                uint8_t *d = make_sqlite(0, cases[i].schema, &n);
                struct rt t;
                run(&t, "var/lib/rpm/rpmdb.sqlite", d, (size_t) n);
                if (!rt_warned(&t, cases[i].warning)) {
                        fprintf(stderr, "case %zu: expected '%s', got:\n", i, cases[i].warning);
                        rt_print_warnings(&t, stderr);
                        CHECK(false);
                }
                CHECK_INT(rt_npkgs(&t), 0);
                rt_done(&t);
                free(d);
        }
}

TEST(rpm_no_files_left_behind) {
        CHECK(tmp_is_empty());
}

__attribute__((destructor)) static void remove_private_tmp(void) {
        if (tmpdir[0])
                rmdir(tmpdir);
}
