/* SPDX-License-Identifier: Apache-2.0 */
/* The matcher beyond the database: ecosystems of distributions named by purls, packages from purls and
 * from SBOMs (every mapping of docs/vulnerability-matching.md, CycloneDX and SPDX, hostile documents),
 * the ignore file, OpenVEX and CycloneDX VEX, and the order in which exceptions apply. The database is
 * built from the hand-written feeds of tests/data/vulndb/feeds and tests/data/match/feeds. */
#include <sys/stat.h>

#include "match/ignore.h"
#include "match/match-internal.h"
#include "match/match.h"
#include "match/vex.h"
#include "sbomin/sbomin.h"
#include "tests.h"
#include "vec.h"
#include "vulndb/vulndb.h"

/* ---- helpers ---- */

static char tmpdir[256];

static void remove_tmpdir(void) {
        char cmd[600];
        if (tests_failed_checks == 0 && tmpdir[0]) {
                snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
                (void) !system(cmd);
        }
}

static const char *tmp_path(const char *name) {
        static char buf[8][512];
        static int k;
        if (!tmpdir[0]) {
                snprintf(tmpdir, sizeof tmpdir, "%s/stockade-match-XXXXXX",
                         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
                if (!mkdtemp(tmpdir))
                        abort();
                atexit(remove_tmpdir);
        }
        char *b = buf[k++ % 8];
        snprintf(b, sizeof buf[0], "%s/%s", tmpdir, name);
        return b;
}

static void dump(const struct diag *d) {
        for (size_t i = 0; i < d->n_warnings; i++)
                fprintf(stderr, "  warning: %s\n", d->warnings[i]);
        if (d->error[0])
                fprintf(stderr, "  error: %s\n", d->error);
}

static bool has_warning(const struct diag *d, const char *a, const char *b) {
        for (size_t i = 0; i < d->n_warnings; i++)
                if (strstr(d->warnings[i], a) && (!b || strstr(d->warnings[i], b)))
                        return true;
        return false;
}

static const char *fixture_db(void) {
        static const char *path;
        if (path)
                return path;
        const char *src[] = {test_srcpath("tests/data/vulndb/feeds"),
                             test_srcpath("tests/data/match/feeds")};
        struct vulndb_build_options o = {.tool_version = "test", .built_at = "2026-11-20T00:00:00Z"};
        struct diag d;
        diag_init(&d);
        const char *out = tmp_path("match.db");
        if (vulndb_build(src, 2, out, &o, &d, NULL) < 0) {
                dump(&d);
                abort();
        }
        diag_done(&d);
        path = strdup(out);
        return path;
}

/* A scan of an SBOM without the scan module: read it, match it. */
struct matched {
        struct arena *a;
        struct diag d;
        struct pkg_vec pkgs;
        struct sbomin_info info;
        struct vuln_finding_vec v;
        struct match_stats st;
        int r;
};

static void matched_done(struct matched *m) {
        VEC_FREE(&m->pkgs);
        VEC_FREE(&m->v);
        arena_free(m->a);
        diag_done(&m->d);
}

static void match_sbom_text(struct matched *m, const char *text, size_t len, const char *name) {
        memset(m, 0, sizeof *m);
        m->a = arena_new(0);
        diag_init(&m->d);
        struct vulndb *db = NULL;
        m->r = sbomin_parse(text, len, name, NULL, m->a, &m->d, &m->info, &m->pkgs);
        if (m->r < 0)
                return;
        if ((m->r = vulndb_open(fixture_db(), &m->d, &db)) < 0)
                return;
        m->r = match_packages(db, &m->pkgs, &m->info.os, m->a, &m->d, &m->v, &m->st);
        vulndb_close(db);
}

static void match_sbom(struct matched *m, const char *rel) {
        size_t len;
        char *text = test_read_file(test_srcpath(rel), &len);
        match_sbom_text(m, text, len, rel);
        free(text);
}

static const struct vuln_finding *find(const struct vuln_finding_vec *v, const char *name, const char *id) {
        VEC_FOREACH (f, v)
                if (streq(f->pkg->name, name) && match_finding_has_id(f, id))
                        return f;
        return NULL;
}

/* ---- distributions ---- */

TEST(distro_ecosystems) {
        static const char *const cases[][2] = {
                {"debian-12", "Debian:12"},        {"debian-12.5", "Debian:12"},
                {"debian-bookworm", "Debian:12"},  {"alpine-3.18", "Alpine:v3.18"},
                {"alpine-3.18.4", "Alpine:v3.18"}, {"almalinux-9", "AlmaLinux:9"},
                {"almalinux-9.3", "AlmaLinux:9"},  {"rocky-9", "Rocky Linux:9"},
                {"redhat-9", "Red Hat:9"},         {"rhel-8.6", "Red Hat:8"},
                {"ubuntu-22.04", "Ubuntu:22.04"},  {"Debian-11", "Debian:11"},
                {"wolfi-20230201", "Wolfi"},
        };
        struct arena *a = arena_new(0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_STR(match_distro_ecosystem(a, cases[i][0]), cases[i][1]);
        CHECK(!match_distro_ecosystem(a, "debian"));
        CHECK(!match_distro_ecosystem(a, "debian-"));
        CHECK(!match_distro_ecosystem(a, "fedora-39"));
        CHECK(!match_distro_ecosystem(a, "debian-sarge"));
        CHECK(!match_distro_ecosystem(a, ""));
        CHECK(!match_distro_ecosystem(a, NULL));
        arena_free(a);
}

TEST(pkg_from_purl) {
        struct arena *a = arena_new(0);
        struct pkg p;

        REQUIRE(sbomin_pkg_from_purl(
                        a,
                        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc",
                        &p) == 0);
        CHECK_INT(p.type, PKG_DEB);
        CHECK_STR(p.name, "libc6");
        CHECK_STR(p.version, "2.36-9+deb12u4");
        CHECK_STR(p.source_name, "glibc");
        CHECK(!p.source_version);
        CHECK_STR(p.arch, "amd64");
        CHECK_STR(p.distro, "debian-12");
        CHECK_INT(p.layer, -1);
        CHECK_STR(p.purl,
                  "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12&upstream=glibc");

        /* syft's upstream with a version; a codename as distro */
        REQUIRE(sbomin_pkg_from_purl(
                        a, "pkg:deb/debian/libgcc-s1@12.2.0-14?distro=bookworm&upstream=gcc-12%4012.2.0-14",
                        &p) == 0);
        CHECK_STR(p.source_name, "gcc-12");
        CHECK_STR(p.source_version, "12.2.0-14");
        CHECK_STR(p.distro, "debian-bookworm");

        /* a deb epoch as a qualifier joins the version */
        REQUIRE(sbomin_pkg_from_purl(a, "pkg:deb/debian/perl@5.36.0-7?epoch=1", &p) == 0);
        CHECK_STR(p.version, "1:5.36.0-7");
        CHECK(!p.distro);

        REQUIRE(sbomin_pkg_from_purl(
                        a, "pkg:rpm/almalinux/openssl@3.0.7-24.el9?arch=x86_64&epoch=1&distro=almalinux-9",
                        &p) == 0);
        CHECK_INT(p.type, PKG_RPM);
        CHECK_STR(p.version, "3.0.7-24.el9");
        CHECK_STR(p.epoch, "1");
        CHECK_STR(p.distro, "almalinux-9");

        REQUIRE(sbomin_pkg_from_purl(a, "pkg:apk/alpine/musl@1.1.22-r2?distro=alpine-3.10&upstream=musl",
                                     &p) == 0);
        CHECK_INT(p.type, PKG_APK);
        CHECK_STR(p.distro, "alpine-3.10");

        REQUIRE(sbomin_pkg_from_purl(a, "pkg:npm/%40babel/core@7.22.0", &p) == 0);
        CHECK_INT(p.type, PKG_NPM);
        CHECK_STR(p.name, "@babel/core");

        REQUIRE(sbomin_pkg_from_purl(a, "pkg:golang/github.com/pkg/errors@v0.9.1", &p) == 0);
        CHECK_INT(p.type, PKG_GO);
        CHECK_STR(p.name, "github.com/pkg/errors");
        CHECK_INT(p.flags, 0);
        REQUIRE(sbomin_pkg_from_purl(a, "pkg:golang/stdlib@v1.19.8", &p) == 0);
        CHECK_INT(p.flags, PKG_F_GO_STDLIB);

        REQUIRE(sbomin_pkg_from_purl(a, "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1?type=jar",
                                     &p) == 0);
        CHECK_INT(p.type, PKG_MAVEN);
        CHECK_STR(p.namespace_, "org.apache.logging.log4j");
        CHECK_STR(p.name, "log4j-core");

        REQUIRE(sbomin_pkg_from_purl(a, "pkg:pypi/PyYAML@6.0", &p) == 0);
        CHECK_INT(p.type, PKG_PYTHON);
        REQUIRE(sbomin_pkg_from_purl(a, "pkg:cargo/smallvec@1.6.0", &p) == 0);
        CHECK_INT(p.type, PKG_CARGO);
        REQUIRE(sbomin_pkg_from_purl(a, "pkg:gem/rack@2.2.3", &p) == 0);
        CHECK_INT(p.type, PKG_GEM);

        CHECK_INT(sbomin_pkg_from_purl(a, "pkg:nuget/Newtonsoft.Json@12.0.1", &p), -EOPNOTSUPP);
        CHECK_INT(sbomin_pkg_from_purl(a, "pkg:npm/left-pad", &p), -ENODATA);
        CHECK_INT(sbomin_pkg_from_purl(a, "not a purl", &p), -EINVAL);
        CHECK_INT(sbomin_pkg_from_purl(a, "pkg:npm/%zz@1", &p), -EINVAL);
        arena_free(a);
}

/* ---- every mapping, from CycloneDX and from SPDX ---- */

struct expect {
        const char *name, *id, *installed, *fixed, *ecosystem, *matched_name;
        enum finding_status status;
};

static const struct expect mappings[] = {
        {"curl", "CVE-2023-38546", "7.88.1-10+deb12u1", "7.88.1-10+deb12u4", "Debian:12", "curl",
         FINDING_FIXED},
        {"libc6", "CVE-2023-4911", "2.36-9+deb12u1", "2.36-9+deb12u3", "Debian:12", "glibc", FINDING_FIXED},
        /* no distro qualifier: the SBOM's operating-system component; the source version from upstream */
        {"bash", "TEMP-0841856-B18BAF", "5.2.15-2", NULL, "Debian:12", "bash", FINDING_UNFIXED},
        {"php8.1", "CVE-2025-6491", "8.1.2-1ubuntu2.20", "8.1.2-1ubuntu2.22", "Ubuntu:22.04", "php8.1",
         FINDING_FIXED},
        {"libcrypto3", "CVE-2023-5363", "3.1.0-r4", "3.1.4-r0", "Alpine:v3.18", "openssl", FINDING_FIXED},
        {"libcrypto3", "CVE-2023-2650", "3.1.0-r4", "3.1.1-r0", "Alpine:v3.18", "openssl", FINDING_FIXED},
        {"openssl-libs", "ALSA-2023:0946", "1:3.0.1-43.el9_0", "1:3.0.1-47.el9_1", "AlmaLinux:9",
         "openssl-libs", FINDING_FIXED},
        {"openssl", "CVE-2023-5678", "1:3.0.7-24.el9", "1:3.0.7-25.el9_3", "Rocky Linux:9", "openssl",
         FINDING_FIXED},
        {"log4j", "CVE-2021-44228", "2.14.1-5.el9", "0:2.14.1-6.el9_0", "Red Hat:9", "log4j", FINDING_FIXED},
        {"Requests", "CVE-2023-32681", "2.30.0", "2.31.0", "PyPI", "Requests", FINDING_FIXED},
        {"semver", "CVE-2022-25883", "7.5.1", "7.5.2", "npm", "semver", FINDING_FIXED},
        {"@auth0/legacy-jwt", "CVE-2022-23540", "1.0.1", NULL, "npm", "@auth0/legacy-jwt", FINDING_UNFIXED},
        {"stdlib", "CVE-2023-29403", "v1.20.4", "1.20.5", "Go", "stdlib", FINDING_FIXED},
        {"net2", "GHSA-qgwf-r2jj-2ccv", "0.2.37", NULL, "crates.io", "net2", FINDING_UNFIXED},
        {"log4j-core", "CVE-2021-44228", "2.14.1", "2.15.0", "Maven", "org.apache.logging.log4j:log4j-core",
         FINDING_FIXED},
        {"rack", "CVE-2023-27530", "2.2.3", "2.2.6.3", "RubyGems", "rack", FINDING_FIXED},
};

static void check_mappings(const char *rel, const char *format) {
        struct matched m;
        match_sbom(&m, rel);
        if (m.r < 0)
                dump(&m.d);
        REQUIRE(m.r >= 0);
        CHECK_STR(m.info.format, format);
        CHECK_STR(m.info.os.id, "debian");
        CHECK_STR(m.info.os.version_id, "12");
        CHECK_STR(m.info.subject_name, "example.test/mappings");
        CHECK_INT(m.info.components, 21);
        CHECK_INT(m.info.packages, 17);
        CHECK_INT(m.info.no_purl, 2);     /* the Go binary, a file */
        CHECK_INT(m.info.unsupported, 1); /* pkg:nuget */
        CHECK_INT(m.info.no_version, 1);
        CHECK_INT(m.st.no_ecosystem, 1); /* pkg:deb with distro=alpine-3.18: not guessed around */
        for (size_t i = 0; i < ELEMENTSOF(mappings); i++) {
                const struct expect *e = &mappings[i];
                const struct vuln_finding *f = find(&m.v, e->name, e->id);
                if (!f) {
                        fprintf(stderr, "%s: no finding %s for %s\n", rel, e->id, e->name);
                        tests_failed_checks++;
                        continue;
                }
                CHECK_STR(f->installed_version, e->installed);
                CHECK(streq_ptr(f->fixed_version, e->fixed));
                CHECK_STR(f->ecosystem, e->ecosystem);
                CHECK_STR(f->package_name, e->matched_name);
                CHECK_INT(f->status, e->status);
        }
        /* backports: the Debian package that has the fix (…+deb12u5) is not affected */
        CHECK(!find(&m.v, "libcurl4", "CVE-2023-38546"));
        CHECK_INT(m.v.n, ELEMENTSOF(mappings));
        matched_done(&m);
}

TEST(sbom_mappings_cyclonedx) {
        check_mappings("tests/data/match/sbom-mappings.cdx.json", "CycloneDX 1.5");
}

TEST(sbom_mappings_spdx) {
        check_mappings("tests/data/match/sbom-mappings.spdx.json", "SPDX-2.3");
}

/* ---- hostile and odd SBOMs ---- */

static int parse_text(const char *text, const struct sbomin_limits *l, struct diag *d,
                      struct sbomin_info *info, struct pkg_vec *pkgs, struct arena *a) {
        return sbomin_parse(text, strlen(text), "t.json", l, a, d, info, pkgs);
}

static void expect_error(const char *text, const struct sbomin_limits *l, int err, const char *msg) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct pkg_vec pkgs = {};
        struct sbomin_info info;
        diag_init(&d);
        int r = parse_text(text, l, &d, &info, &pkgs, a);
        if (r != err || !strstr(d.error, msg)) {
                fprintf(stderr, "input %.60s…: r=%d (wanted %d), error '%s' (wanted '%s')\n", text, r, err,
                        d.error, msg);
                tests_failed_checks++;
        }
        VEC_FREE(&pkgs);
        diag_done(&d);
        arena_free(a);
}

TEST(sbom_hostile) {
        struct sbomin_limits small;
        sbomin_limits_default(&small);
        small.max_components = 3;
        small.max_depth = 2;
        small.max_element_bytes = 200;

        expect_error("", NULL, -EBADMSG, "line 1, column 1: not a JSON object");
        expect_error("[1,2]", NULL, -EBADMSG, "not a JSON object");
        expect_error("{\"bomFormat\": \"CycloneDX\",\n \"components\": [\n {\"purl\": }]}", NULL, -EBADMSG,
                     "SBOM 't.json', line 3, column 12: not valid JSON");
        expect_error("{\"bomFormat\": \"CycloneDX\", \"components\": []} x", NULL, -EBADMSG,
                     "data after the end of the document");
        expect_error("{\"bomFormat\": \"CycloneDX\", \"bomFormat\": \"CycloneDX\"}", NULL, -EBADMSG,
                     "duplicate member 'bomFormat'");
        expect_error("{\"bomFormat\": \"CycloneDX\", \"components\": [{\"a\": 1, \"a\": 2}]}", NULL,
                     -EBADMSG, "not valid JSON");
        expect_error("{\"components\": [1,]}", NULL, -EBADMSG, "not valid JSON");
        expect_error("{\"components\": [1 2]}", NULL, -EBADMSG, "expected ',' or ']'");
        expect_error("{\"name\": \"x\"}", NULL, -EBADMSG, "not a CycloneDX or SPDX 2 JSON document");
        expect_error("{\"spdxVersion\": \"SPDX-3.0\"}", NULL, -EBADMSG, "SPDX 3");
        expect_error("{\"bomFormat\": \"CycloneDX\", \"components\": [{}, {}, {}, {}]}", &small, -E2BIG,
                     "more than 3 components");
        expect_error("{\"bomFormat\": \"CycloneDX\", \"components\": [{\"components\": [{\"components\": "
                     "[{\"components\": [{}]}]}]}]}",
                     &small, -E2BIG, "nested deeper than 2 levels");
        char big[1024];
        snprintf(big, sizeof big, "{\"bomFormat\": \"CycloneDX\", \"components\": [{\"name\": \"%0300d\"}]}",
                 0);
        expect_error(big, &small, -E2BIG, "element 0 of 'components' is larger than 200 bytes");
        small.max_bytes = 10;
        expect_error("{\"bomFormat\": \"CycloneDX\"}", &small, -E2BIG, "larger than 10 bytes");
        /* a NUL byte inside the text */
        struct arena *a = arena_new(0);
        struct diag d;
        struct pkg_vec pkgs = {};
        struct sbomin_info info;
        diag_init(&d);
        CHECK_INT(sbomin_parse("{\"bomFormat\"\0: 1}", 17, "t", NULL, a, &d, &info, &pkgs), -EBADMSG);
        diag_done(&d);
        VEC_FREE(&pkgs);
        arena_free(a);
}

TEST(sbom_counts_and_odd_values) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct pkg_vec pkgs = {};
        struct sbomin_info info;
        diag_init(&d);
        /* no OS anywhere: a deb without distro cannot be matched, and is counted as such; components of
         * the wrong JSON types are ignored; a top-level "components" that is not an array too */
        const char *text =
                "{\"metadata\": {\"component\": {\"name\": \"s\", \"type\": \"nonsense\"}},"
                " \"components\": [\"x\", 3, null, {\"purl\": 7},"
                " {\"purl\": \"pkg:deb/debian/zlib1g@1.2.13\"},"
                " {\"purl\": \"pkg:oci/app@sha256%3Aabc\"},"
                " {\"purl\": \"pkg:\"},"
                " {\"purl\": \"pkg:npm/a@1\", \"evidence\": {\"occurrences\": [{\"location\": "
                "\"app/node_modules/a/package.json\"}]},"
                "  \"properties\": [{\"name\": \"stockade:package:owner\", \"value\": \"deb:node-a\"}]}],"
                " \"bomFormat\": \"CycloneDX\", \"specVersion\": \"1.6\", \"dependencies\": [{}, {}]}";
        int r = parse_text(text, NULL, &d, &info, &pkgs, a);
        if (r < 0)
                dump(&d);
        REQUIRE(r == 0);
        CHECK_STR(info.format, "CycloneDX 1.6");
        CHECK_STR(info.subject_type, "nonsense");
        CHECK_INT(info.components, 5);
        CHECK_INT(info.packages, 2);
        CHECK_INT(info.no_purl, 1);
        CHECK_INT(info.bad_purl, 1);
        CHECK_INT(info.unsupported, 0); /* the image itself is not counted as unsupported */
        CHECK_INT(info.no_distro, 1);
        CHECK(has_warning(&d, "1 distribution package names no distribution release", NULL));
        REQUIRE(pkgs.n == 2);
        const struct pkg *npm = pkgs.items[0].type == PKG_NPM ? &pkgs.items[0] : &pkgs.items[1];
        CHECK_STR(npm->record_path, "app/node_modules/a/package.json");
        CHECK_STR(npm->owner, "deb:node-a");
        VEC_FREE(&pkgs);
        diag_done(&d);
        arena_free(a);
}

/* ---- the ignore file ---- */

static struct ignore_list *ignore_text(struct arena *a, struct diag *d, const char *text, int *ret) {
        struct ignore_list *l = NULL;
        *ret = ignore_parse(text, strlen(text), "ignore.yaml", "2026-06-15", a, d, &l);
        return l;
}

static void ignore_error(const char *text, const char *msg) {
        struct arena *a = arena_new(0);
        struct diag d;
        int r;
        diag_init(&d);
        (void) ignore_text(a, &d, text, &r);
        if (r != -EBADMSG || !strstr(d.error, msg)) {
                fprintf(stderr, "ignore file %.50s…: r=%d, error '%s' (wanted '%s')\n", text, r, d.error,
                        msg);
                tests_failed_checks++;
        }
        diag_done(&d);
        arena_free(a);
}

TEST(ignore_parse) {
        struct arena *a = arena_new(0);
        struct diag d;
        int r;
        diag_init(&d);
        const char *text = "# accepted for now\n"
                           "ignore:\n"
                           "  - id: CVE-2023-29403\n"
                           "    package: stdlib\n"
                           "    reason: \"not reachable: no setuid binaries\"\n"
                           "    expires: 2026-12-31\n"
                           "  - id: GHSA-j8r2-6x86-q33q\n"
                           "    reason: proxy credentials are not used\n"
                           "  - id: CVE-2020-1\n"
                           "    package: pkg:golang/stdlib@v1.19.8\n"
                           "    reason: old\n"
                           "    expires: '2026-06-15'\n";
        struct ignore_list *l = ignore_text(a, &d, text, &r);
        if (r < 0)
                dump(&d);
        REQUIRE(r == 0 && l);
        CHECK_INT(l->n, 3);
        CHECK_STR(l->rules[0].id, "CVE-2023-29403");
        CHECK_STR(l->rules[0].package, "stdlib");
        CHECK_STR(l->rules[0].reason, "not reachable: no setuid binaries");
        CHECK_STR(l->rules[0].expires, "2026-12-31");
        CHECK_STR(l->rules[0].source, "ignore.yaml:3");
        CHECK(!l->rules[0].expired);
        CHECK(!l->rules[1].package && !l->rules[1].expires && !l->rules[1].expired);
        /* expires on the day: from that day on, it no longer applies */
        CHECK(l->rules[2].expired);
        CHECK_INT(l->n_expired, 1);
        CHECK(has_warning(
                &d,
                "ignore file 'ignore.yaml', line 9: the entry for CVE-2020-1 in pkg:golang/stdlib@v1.19.8 "
                "expired on 2026-06-15",
                NULL));
        diag_done(&d);

        diag_init(&d);
        l = ignore_text(a, &d, "", &r);
        CHECK(r == 0 && l && l->n == 0);
        l = ignore_text(a, &d, "ignore: []\n", &r);
        CHECK(r == 0 && l && l->n == 0);
        l = ignore_text(a, &d, "ignore:\n", &r);
        CHECK(r == 0 && l && l->n == 0);
        diag_done(&d);
        arena_free(a);

        ignore_error("ignore:\n  - id: CVE-1\n    reason: x\n    expire: 2025-01-01\n",
                     "ignore file 'ignore.yaml', line 4, column 5: unknown key 'expire'");
        ignore_error("ignore:\n  - id: CVE-1\n    reason: x\n    expires: 2025-02-30\n",
                     "line 4, column 14: invalid date '2025-02-30'");
        ignore_error("ignore:\n  - id: CVE-1\n    reason: x\n    expires: 2023-02-29\n", "invalid date");
        ignore_error("ignore:\n  - id: CVE-1\n    reason: x\n    expires: tomorrow\n",
                     "invalid date 'tomorrow'");
        ignore_error("ignore:\n  - id: CVE-1\n", "line 2, column 5: entry for CVE-1 without a reason");
        ignore_error("ignore:\n  - reason: x\n", "entry without an id");
        ignore_error("ignore:\n  - id: CVE 1\n    reason: x\n", "invalid vulnerability id 'CVE 1'");
        ignore_error("ignore:\n  - id: CVE-1\n    id: CVE-2\n    reason: x\n",
                     "line 3, column 5: duplicate key 'id'");
        ignore_error("ignore:\n  - id: [CVE-1]\n    reason: x\n", "'id' must be a single value");
        ignore_error("ignore: CVE-1\n", "'ignore' must be a list of entries");
        ignore_error("- id: CVE-1\n", "expected a mapping with the key 'ignore'");
        ignore_error("ignores: []\n", "unknown key 'ignores'");
        ignore_error("ignore:\n  - &a {id: CVE-1, reason: x}\n  - *a\n", "anchors are not allowed");
        ignore_error("ignore:\n  - id: CVE-1\n    reason: x\n---\nignore: []\n",
                     "more than one YAML document");
        ignore_error("ignore: [\n", "line 2");
        ignore_error("ignore:\n  - id: CVE-1\n    reason: \"a\\x1bb\"\n",
                     "control characters in the reason");
        ignore_error("ignore:\n  - id: CVE-1\n    package: a b\n    reason: x\n", "invalid package 'a b'");
        ignore_error("ignore:\n  - CVE-1\n", "an entry must be a mapping");
        /* depth and size */
        char deep[256] = "ignore:\n  - id: ";
        for (int i = 0; i < 40; i++)
                strcat(deep, "[");
        ignore_error(deep, "nested deeper than 16 levels");
        char *huge = malloc(IGNORE_MAX_BYTES + 2);
        memset(huge, '#', IGNORE_MAX_BYTES + 1);
        huge[IGNORE_MAX_BYTES + 1] = 0;
        a = arena_new(0);
        diag_init(&d);
        struct ignore_list *l2;
        CHECK_INT(ignore_parse(huge, IGNORE_MAX_BYTES + 1, "big.yaml", NULL, a, &d, &l2), -EFBIG);
        diag_done(&d);
        arena_free(a);
        free(huge);
}

/* ---- exceptions on real findings ---- */

TEST(exceptions_apply) {
        struct matched m;
        match_sbom(&m, "tests/data/match/sbom-mappings.cdx.json");
        REQUIRE(m.r >= 0);
        struct arena *a = m.a;
        struct diag d;
        int r;
        diag_init(&d);
        /* by alias (GHSA of the Requests CVE), by source package name, by purl with a version that
         * matches and one that does not, by Maven group:artifact; one expired, one unused */
        const char *text =
                "ignore:\n"
                "  - {id: GHSA-j8r2-6x86-q33q, reason: proxies unused}\n"
                "  - {id: cve-2023-4911, package: glibc, reason: not setuid, expires: 2999-01-01}\n"
                "  - {id: CVE-2022-25883, package: 'pkg:npm/semver@7.5.1', reason: dev only}\n"
                "  - {id: CVE-2023-29403, package: 'pkg:golang/stdlib@v1.19.0', reason: other version}\n"
                "  - {id: CVE-2021-44228, package: 'org.apache.logging.log4j:log4j-core', reason: jndi "
                "off}\n"
                "  - {id: CVE-2023-5363, reason: expired, expires: 2000-01-01}\n"
                "  - {id: CVE-1999-0001, reason: unused}\n";
        struct ignore_list *il = ignore_text(a, &d, text, &r);
        REQUIRE(r == 0);

        /* VEX outranks the ignore file: the OpenVEX document says not_affected for the Maven log4j */
        struct vex_set vex = {};
        size_t len;
        char *doc = test_read_file(test_srcpath("tests/data/match/openvex.json"), &len);
        r = vex_parse(doc, len, "openvex.json", a, &d, &vex);
        free(doc);
        if (r < 0)
                dump(&d);
        REQUIRE(r == 0);

        const char *digests[] = {"sha256:1111111111111111111111111111111111111111111111111111111111111111",
                                 NULL};
        struct match_exceptions x = {
                .ignore = il, .vex = &vex, .ignore_unfixed = true, .image_digests = digests};
        REQUIRE(match_apply_exceptions(&x, &m.v, a, &d) == 0);

        const struct vuln_finding *f;
        REQUIRE((f = find(&m.v, "Requests", "CVE-2023-32681")));
        CHECK_STR(f->excepted_by, "ignore-file");
        CHECK_STR(f->exception_reason, "proxies unused");
        CHECK_STR(f->exception_source, "ignore.yaml:2");
        REQUIRE((f = find(&m.v, "libc6", "CVE-2023-4911")));
        CHECK_STR(f->excepted_by, "ignore-file");
        CHECK_STR(f->exception_expires, "2999-01-01");
        REQUIRE((f = find(&m.v, "semver", "CVE-2022-25883")));
        CHECK_STR(f->excepted_by, "ignore-file");
        REQUIRE((f = find(&m.v, "stdlib", "CVE-2023-29403")));
        CHECK(!f->excepted_by);
        REQUIRE((f = find(&m.v, "log4j-core", "CVE-2021-44228")));
        CHECK_STR(f->excepted_by, "vex");
        CHECK_STR(f->vex_status, "not_affected");
        CHECK_STR(f->vex_justification, "vulnerable_code_not_in_execute_path");
        CHECK_STR(f->exception_reason,
                  "not affected (vulnerable_code_not_in_execute_path): JNDI lookups are disabled");
        CHECK_STR(f->exception_source, "openvex.json");
        /* the RPM log4j of the same CVE is another product: neither VEX nor the Maven-only ignore */
        REQUIRE((f = find(&m.v, "log4j", "CVE-2021-44228")));
        CHECK(!f->excepted_by);
        REQUIRE((f = find(&m.v, "libcrypto3", "CVE-2023-5363")));
        CHECK(!f->excepted_by);
        /* VEX for the image (a subcomponent of this image's digest): fixed */
        REQUIRE((f = find(&m.v, "curl", "CVE-2023-38546")));
        CHECK_STR(f->excepted_by, "vex");
        CHECK_STR(f->vex_status, "fixed");
        /* a later under_investigation replaces an earlier not_affected */
        REQUIRE((f = find(&m.v, "rack", "CVE-2023-27530")));
        CHECK(!f->excepted_by);
        /* an image product with another digest does not apply */
        REQUIRE((f = find(&m.v, "php8.1", "CVE-2025-6491")));
        CHECK(!f->excepted_by);
        /* --ignore-unfixed last */
        REQUIRE((f = find(&m.v, "net2", "GHSA-qgwf-r2jj-2ccv")));
        CHECK_STR(f->excepted_by, "ignore-unfixed");
        REQUIRE((f = find(&m.v, "bash", "TEMP-0841856-B18BAF")));
        CHECK_STR(f->excepted_by, "ignore-unfixed");

        CHECK_INT(il->rules[0].used, 1);
        CHECK_INT(il->rules[3].used, 0);
        CHECK_INT(il->rules[5].used, 0);
        CHECK_INT(il->rules[6].used, 0);
        vex_set_done(&vex);
        diag_done(&d);
        matched_done(&m);
}

TEST(cyclonedx_vex) {
        struct matched m;
        match_sbom(&m, "tests/data/match/sbom-mappings.cdx.json");
        REQUIRE(m.r >= 0);
        struct diag d;
        diag_init(&d);
        struct vex_set vex = {};
        size_t len;
        char *doc = test_read_file(test_srcpath("tests/data/match/cyclonedx-vex.json"), &len);
        int r = vex_parse(doc, len, "cdx-vex.json", m.a, &d, &vex);
        free(doc);
        if (r < 0)
                dump(&d);
        REQUIRE(r == 0);
        /* the ref that resolves to nothing is a warning, the plain scan entry without analysis is skipped */
        CHECK(has_warning(&d, "affects ref 'no-such-ref'", NULL));
        struct match_exceptions x = {.vex = &vex};
        REQUIRE(match_apply_exceptions(&x, &m.v, m.a, &d) == 0);
        const struct vuln_finding *f;
        /* ref is a purl (without version: every version) */
        REQUIRE((f = find(&m.v, "semver", "CVE-2022-25883")));
        CHECK_STR(f->excepted_by, "vex");
        CHECK_STR(f->vex_status, "not_affected");
        CHECK_STR(f->vex_justification, "code_not_reachable");
        /* ref is a bom-ref of the VEX document's own components, named by an alias (references[]) */
        REQUIRE((f = find(&m.v, "Requests", "CVE-2023-32681")));
        CHECK_STR(f->excepted_by, "vex");
        /* a BOM-link: the fragment names a component; state resolved = fixed */
        REQUIRE((f = find(&m.v, "rack", "CVE-2023-27530")));
        CHECK_STR(f->excepted_by, "vex");
        CHECK_STR(f->vex_status, "fixed");
        /* exploitable: stays */
        REQUIRE((f = find(&m.v, "stdlib", "CVE-2023-29403")));
        CHECK(!f->excepted_by);
        vex_set_done(&vex);
        diag_done(&d);
        matched_done(&m);
}

static void vex_error(const char *text, const char *msg) {
        struct arena *a = arena_new(0);
        struct diag d;
        struct vex_set vex = {};
        diag_init(&d);
        int r = vex_parse(text, strlen(text), "v.json", a, &d, &vex);
        if (r >= 0 || !strstr(d.error, msg)) {
                fprintf(stderr, "VEX %.50s…: r=%d, error '%s' (wanted '%s')\n", text, r, d.error, msg);
                tests_failed_checks++;
        }
        vex_set_done(&vex);
        diag_done(&d);
        arena_free(a);
}

TEST(vex_hostile) {
        vex_error("", "VEX 'v.json' is not valid JSON: line 1");
        vex_error("[]", "is not a JSON object");
        vex_error("{\"a\": 1}", "neither an OpenVEX nor a CycloneDX VEX document");
        vex_error("{\"@context\": \"https://openvex.dev/ns/v0.2.0\"}",
                  "OpenVEX document without a statements list");
        vex_error("{\"bomFormat\": \"CycloneDX\"}", "CycloneDX document without vulnerabilities");
        vex_error("{\"@context\": \"https://openvex.dev/ns\", \"statements\": [], \"statements\": []}",
                  "duplicate");

        /* statements that cannot be used are warnings */
        struct arena *a = arena_new(0);
        struct diag d;
        struct vex_set vex = {};
        diag_init(&d);
        const char *text =
                "{\"@context\": \"https://openvex.dev/ns/v0.2.0\", \"statements\": ["
                "{\"status\": \"not_affected\", \"products\": [{\"@id\": \"pkg:npm/a@1\"}]},"
                "{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"maybe\", \"products\": [{\"@id\": "
                "\"pkg:npm/a@1\"}]},"
                "{\"vulnerability\": {\"name\": \"CVE-1\"}, \"status\": \"fixed\", \"products\": []},"
                "{\"vulnerability\": \"CVE-2\", \"status\": \"fixed\", \"products\": [\"pkg:npm/a@1\"]},"
                "3]}";
        REQUIRE(vex_parse(text, strlen(text), "v.json", a, &d, &vex) == 0);
        CHECK_INT(vex.n, 1); /* the v0.0.1 spelling (strings) works */
        CHECK_STR(vex.items[0].id, "CVE-2");
        CHECK(has_warning(&d, "statement 0 has no vulnerability id", NULL));
        CHECK(has_warning(&d, "statement 1 (CVE-1) has no valid status", NULL));
        CHECK(has_warning(&d, "statement 2 (CVE-1) names no product", NULL));
        CHECK(has_warning(&d, "statement 4 is not an object", NULL));
        vex_set_done(&vex);
        diag_done(&d);
        arena_free(a);
}

TEST(purl_patterns) {
        struct arena *a = arena_new(0);
        CHECK(match_purl_matches(a, "pkg:npm/semver", "pkg:npm/semver@7.5.1"));
        CHECK(match_purl_matches(a, "pkg:npm/semver@7.5.1", "pkg:npm/semver@7.5.1"));
        CHECK(!match_purl_matches(a, "pkg:npm/semver@7.5.2", "pkg:npm/semver@7.5.1"));
        CHECK(match_purl_matches(a, "pkg:NPM/%40babel/core", "pkg:npm/%40babel/core@7.0.0"));
        CHECK(!match_purl_matches(a, "pkg:npm/core", "pkg:npm/%40babel/core@7.0.0"));
        CHECK(match_purl_matches(a, "pkg:pypi/pyyaml", "pkg:pypi/PyYAML@6.0"));
        CHECK(match_purl_matches(a, "pkg:pypi/zope-interface", "pkg:pypi/Zope.Interface@6.0"));
        CHECK(match_purl_matches(a, "pkg:golang/stdlib@1.19.8", "pkg:golang/stdlib@v1.19.8"));
        CHECK(match_purl_matches(a, "pkg:deb/debian/curl?distro=debian-12",
                                 "pkg:deb/debian/curl@1?arch=amd64&distro=debian-12"));
        CHECK(!match_purl_matches(a, "pkg:deb/debian/curl?distro=debian-11",
                                  "pkg:deb/debian/curl@1?arch=amd64&distro=debian-12"));
        CHECK(!match_purl_matches(a, "pkg:deb/ubuntu/curl", "pkg:deb/debian/curl@1"));
        CHECK(!match_purl_matches(a, "pkg:npm/semver", NULL));
        CHECK(!match_purl_matches(a, "semver", "pkg:npm/semver@1"));
        arena_free(a);
}

/* Two advisories that share an alias but affect different versions: only the one that affects the
 * version makes the finding, with its ids (zope 4.0b1 was reported with CVE-2021-32674 when the database
 * merged the records before the versions were compared). The explicit versions list still counts when no
 * range does (4.0.0 is listed; 4.0 equals it in PEP 440). */
TEST(shared_alias_per_statement) {
        static const char sbom[] = "{\"bomFormat\":\"CycloneDX\",\"specVersion\":\"1.5\",\"components\":["
                                   "{\"type\":\"library\",\"bom-ref\":\"a\",\"name\":\"twoadv\",\"purl\":"
                                   "\"pkg:pypi/twoadv@1.0\"},"
                                   "{\"type\":\"library\",\"bom-ref\":\"b\",\"name\":\"twoadv\",\"purl\":"
                                   "\"pkg:pypi/twoadv@3.1\"},"
                                   "{\"type\":\"library\",\"bom-ref\":\"c\",\"name\":\"twoadv\",\"purl\":"
                                   "\"pkg:pypi/twoadv@2.5\"},"
                                   "{\"type\":\"library\",\"bom-ref\":\"d\",\"name\":\"twoadv\",\"purl\":"
                                   "\"pkg:pypi/twoadv@4.0\"}]}";
        struct matched m;
        match_sbom_text(&m, sbom, sizeof sbom - 1, "twoadv.cdx.json");
        if (m.r < 0)
                dump(&m.d);
        REQUIRE(m.r >= 0);
        size_t n10 = 0, n31 = 0, n25 = 0, n40 = 0;
        VEC_FOREACH (f, &m.v) {
                const char *v = f->installed_version;
                bool first = match_finding_has_id(f, "PYSEC-2099-30"),
                     second = match_finding_has_id(f, "PYSEC-2099-31");
                if (streq(v, "1.0")) {
                        n10++;
                        CHECK(first && !second);
                        CHECK(!match_finding_has_id(f, "CVE-2099-3002"));
                        CHECK(match_finding_has_id(f, "CVE-2099-3001"));
                        CHECK_STR(f->fixed_version, "2.0");
                } else if (streq(v, "3.1")) {
                        n31++;
                        CHECK(second && !first);
                        CHECK(!match_finding_has_id(f, "CVE-2099-3001"));
                        CHECK_STR(f->fixed_version, "3.5");
                } else if (streq(v, "2.5"))
                        n25++;
                else if (streq(v, "4.0")) {
                        n40++;
                        CHECK(second && !first);
                        CHECK(f->status == FINDING_UNFIXED); /* listed only: no range gives a fix */
                }
        }
        CHECK_INT(n10, 1);
        CHECK_INT(n31, 1);
        CHECK_INT(n25, 0);
        CHECK_INT(n40, 1);
        matched_done(&m);
}
