/* SPDX-License-Identifier: Apache-2.0 */
/* The vulnerability database: CVSS, the scanners and converters, every feed parser on hand-written
 * fixtures in the real formats (tests/data/vulndb/), enrichment, alias merging, hostile feeds, the atomic
 * build, and the detection of damaged database files. */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests.h"
#include "vulndb/vulndb-internal.h"

/* ---- helpers ---- */

static char tmpdir[256];

/* The scratch directory goes when every check passed; it stays for a look otherwise. */
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
                snprintf(tmpdir, sizeof tmpdir, "%s/stockade-vulndb-XXXXXX",
                         getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
                if (!mkdtemp(tmpdir))
                        abort();
                atexit(remove_tmpdir);
        }
        char *b = buf[k++ % 8];
        snprintf(b, sizeof buf[0], "%s/%s", tmpdir, name);
        return b;
}

static bool has_warning(const struct diag *d, const char *a, const char *b) {
        for (size_t i = 0; i < d->n_warnings; i++)
                if (strstr(d->warnings[i], a) && (!b || strstr(d->warnings[i], b)))
                        return true;
        return false;
}

static void dump_warnings(const struct diag *d) {
        for (size_t i = 0; i < d->n_warnings; i++)
                fprintf(stderr, "  warning: %s\n", d->warnings[i]);
        if (d->error[0])
                fprintf(stderr, "  error: %s\n", d->error);
}

static int build(const char *const *src, size_t n, const char *out, struct diag *d,
                 struct vulndb_build_stats *st, const struct vulndb_build_options *opts) {
        struct vulndb_build_options o = {.tool_version = "test", .built_at = "2026-11-20T00:00:00Z"};
        if (opts)
                o = *opts;
        return vulndb_build(src, n, out, &o, d, st);
}

/* The fixture database, built once. */
static const char *fixture_db(void) {
        static const char *path;
        if (path)
                return path;
        const char *src[] = {test_srcpath("tests/data/vulndb/feeds"), test_srcpath("tests/data/vulndb/bad")};
        struct diag d;
        diag_init(&d);
        struct vulndb_build_stats st;
        const char *out = tmp_path("fixtures.db");
        int r = build(src, 2, out, &d, &st, NULL);
        if (r < 0) {
                dump_warnings(&d);
                abort();
        }
        diag_done(&d);
        path = strdup(out);
        return path;
}

struct collected {
        size_t n;
        struct vuln_affected items[64];
        struct arena *a;
};

static const char **copy_strv(struct arena *a, const char *const *v) {
        size_t n = vdb_strv_len(v);
        if (!v)
                return NULL;
        const char **c = arena_alloc(a, (n + 1) * sizeof *c);
        for (size_t i = 0; i < n; i++)
                c[i] = arena_strdup(a, v[i]);
        return c;
}

static int collect_cb(void *userdata, const struct vuln_affected *x) {
        struct collected *c = userdata;
        if (c->n >= ELEMENTSOF(c->items))
                return -E2BIG;
        struct vuln_affected *y = &c->items[c->n++];
        *y = *x;
        /* keep what the tests look at beyond the next lookup */
        y->id = arena_strdup(c->a, x->id);
        y->fixed_version = x->fixed_version ? arena_strdup(c->a, x->fixed_version) : NULL;
        y->aliases = copy_strv(c->a, x->aliases);
        y->upstream = copy_strv(c->a, x->upstream);
        y->versions = copy_strv(c->a, x->versions);
        y->cwes = copy_strv(c->a, x->cwes);
        y->severity_source = x->severity_source ? arena_strdup(c->a, x->severity_source) : NULL;
        y->note = x->note ? arena_strdup(c->a, x->note) : NULL;
        y->kev_date_added = x->kev_date_added ? arena_strdup(c->a, x->kev_date_added) : NULL;
        y->summary = x->summary ? arena_strdup(c->a, x->summary) : NULL;
        y->source = arena_strdup(c->a, x->source);
        y->cvss_vector = x->cvss_vector ? arena_strdup(c->a, x->cvss_vector) : NULL;
        y->ecosystem_specific = x->ecosystem_specific ? arena_strdup(c->a, x->ecosystem_specific) : NULL;
        struct vuln_range *r = arena_alloc(c->a, (x->n_ranges + 1) * sizeof *r);
        for (size_t i = 0; i < x->n_ranges; i++) {
                struct vuln_event *e = arena_alloc(c->a, (x->ranges[i].n_events + 1) * sizeof *e);
                for (size_t k = 0; k < x->ranges[i].n_events; k++)
                        e[k] = (struct vuln_event){x->ranges[i].events[k].kind,
                                                   arena_strdup(c->a, x->ranges[i].events[k].version)};
                r[i] = (struct vuln_range){x->ranges[i].type, e, x->ranges[i].n_events};
        }
        y->ranges = r;
        return 0;
}

static void lookup(struct vulndb *db, const char *eco, const char *pkg, unsigned flags,
                   struct collected *c) {
        arena_free(c->a);
        memset(c, 0, sizeof *c);
        c->a = arena_new(0);
        int r = vulndb_lookup_ex(db, eco, pkg, flags, collect_cb, c);
        CHECK_INT(r, 0);
}

static const struct vuln_affected *find(const struct collected *c, const char *id) {
        for (size_t i = 0; i < c->n; i++)
                if (streq(c->items[i].id, id))
                        return &c->items[i];
        return NULL;
}

static bool strv_has(const char *const *v, const char *s) {
        return vdb_strv_contains(v, s);
}

/* ---- CVSS ---- */

TEST(cvss3_published_examples) {
        /* FIRST's "CVSS v3.1 Examples" and NVD's scores for well-known CVEs */
        static const struct {
                const char *vector;
                double score;
        } cases[] = {
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", 6.1},  /* CVE-2013-1937 phpMyAdmin XSS */
                {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:L/I:L/A:N", 6.4},  /* CVE-2013-0375 MySQL */
                {"CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1},  /* CVE-2014-3566 POODLE */
                {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:C/C:H/I:H/A:H", 9.9},  /* CVE-2012-1516 VMware escape */
                {"CVSS:3.1/AV:L/AC:L/PR:H/UI:N/S:U/C:L/I:L/A:L", 4.2},  /* CVE-2009-0783 Tomcat */
                {"CVSS:3.1/AV:N/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 8.8},  /* CVE-2012-0384 Cisco IOS */
                {"CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", 7.8},  /* CVE-2015-1098 Apple iWork */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", 7.5},  /* CVE-2014-0160 Heartbleed */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8},  /* CVE-2014-6271 Shellshock */
                {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:C/C:N/I:H/A:N", 6.8},  /* CVE-2008-1447 DNS */
                {"CVSS:3.1/AV:P/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 6.8},  /* CVE-2014-2005 Sophos */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:L/I:N/A:N", 5.8},  /* CVE-2010-0467 Joomla */
                {"CVSS:3.1/AV:A/AC:L/PR:N/UI:N/S:C/C:H/I:N/A:H", 9.3},  /* CVE-2013-6014 Juniper */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:C/C:H/I:H/A:H", 10.0}, /* CVE-2021-44228 Log4Shell */
                {"CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H", 7.4},  /* CVE-2023-0286 OpenSSL */
                {"CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H", 7.8},  /* CVE-2023-4911 glibc */
                {"CVSS:3.0/AV:N/AC:H/PR:N/UI:R/S:U/C:L/I:N/A:N", 3.1},  /* POODLE in the v3.0 document */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", 0.0},  /* no impact */
                /* temporal and environmental metrics do not change the base score */
                {"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/E:P/RL:O/RC:C/CR:H/MAV:L", 9.8},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                double s = -1;
                CHECK_INT(cvss3_score(cases[i].vector, &s), 0);
                if (lround(s * 10) != lround(cases[i].score * 10))
                        fprintf(stderr, "%s: %.1f, expected %.1f\n", cases[i].vector, s, cases[i].score);
                CHECK(lround(s * 10) == lround(cases[i].score * 10));
        }
}

TEST(cvss3_invalid_vectors) {
        static const char *const bad[] = {
                "",
                "CVSS:3.1/",
                "AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",               /* no prefix */
                "CVSS:2.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      /* wrong version */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H",          /* A missing */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L", /* AV twice */
                "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",      /* bad value */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:h",      /* values are uppercase */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/",     /* trailing slash */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/ZZ:Q", /* unknown metric */
                "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:HH",
                "CVSS:3.1/AV:N//AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                double s;
                if (cvss3_score(bad[i], &s) != -EINVAL)
                        fprintf(stderr, "accepted: '%s'\n", bad[i]);
                CHECK_INT(cvss3_score(bad[i], &s), -EINVAL);
        }
}

TEST(cvss2_and_cvss4) {
        double s;
        CHECK_INT(cvss2_score("AV:N/AC:L/Au:N/C:P/I:P/A:P", &s), 0);
        CHECK(lround(s * 10) == 75);
        CHECK_INT(cvss2_score("AV:L/AC:L/Au:N/C:C/I:C/A:C", &s), 0); /* NVD: 7.2 */
        CHECK(lround(s * 10) == 72);
        CHECK_INT(cvss2_score("(AV:N/AC:M/Au:N/C:C/I:C/A:C)", &s), 0); /* CVE-2021-44228's v2: 9.3 */
        CHECK(lround(s * 10) == 93);
        CHECK_INT(cvss2_score("AV:N/AC:L/Au:N/C:N/I:N/A:N", &s), 0);
        CHECK(s == 0.0);
        CHECK_INT(cvss2_score("AV:N/AC:L/Au:N/C:P/I:P", &s), -EINVAL);
        CHECK(cvss4_vector_valid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"));
        CHECK(cvss4_vector_valid(
                "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:A/U:Amber"));
        CHECK(!cvss4_vector_valid("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N"));
        CHECK(!cvss4_vector_valid("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"));
        CHECK(vdb_severity_from_cvss(9.0) == SEV_CRITICAL);
        CHECK(vdb_severity_from_cvss(8.9) == SEV_HIGH);
        CHECK(vdb_severity_from_cvss(4.0) == SEV_MEDIUM);
        CHECK(vdb_severity_from_cvss(0.1) == SEV_LOW);
        CHECK(vdb_severity_from_cvss(0.0) == SEV_UNKNOWN);
}

/* ---- names ---- */

TEST(names_and_ecosystems) {
        char buf[128];
        CHECK_STR(vulndb_normalize_package("PyPI", "Django_REST.framework", buf, sizeof buf),
                  "django-rest-framework");
        CHECK_STR(vulndb_normalize_package("pypi", "zope..interface", buf, sizeof buf), "zope-interface");
        CHECK_STR(vulndb_normalize_package("PyPI", "-_.x", buf, sizeof buf), "x");
        CHECK_STR(vulndb_normalize_package("Go", "github.com/Foo/Bar", buf, sizeof buf),
                  "github.com/Foo/Bar");
        CHECK_STR(vulndb_normalize_package("Go", "stdlib", buf, sizeof buf), "stdlib");
        CHECK_STR(vulndb_normalize_package("npm", "@Scope/Pkg", buf, sizeof buf), "@Scope/Pkg");
        CHECK_STR(vulndb_canonical_ecosystem("pypi", buf, sizeof buf), "PyPI");
        CHECK_STR(vulndb_canonical_ecosystem("CRATES.IO", buf, sizeof buf), "crates.io");
        CHECK_STR(vulndb_canonical_ecosystem("Alpine:3.18.4", buf, sizeof buf), "Alpine:v3.18");
        CHECK_STR(vulndb_canonical_ecosystem("alpine:v3.18", buf, sizeof buf), "Alpine:v3.18");
        CHECK_STR(vulndb_canonical_ecosystem("Debian:12.5", buf, sizeof buf), "Debian:12");
        CHECK_STR(vulndb_canonical_ecosystem("debian:unstable", buf, sizeof buf), "Debian:unstable");
        CHECK_STR(vulndb_canonical_ecosystem("Ubuntu:22.04:LTS", buf, sizeof buf), "Ubuntu:22.04:LTS");
        CHECK_STR(vulndb_canonical_ecosystem("red hat:enterprise_linux:9::appstream", buf, sizeof buf),
                  "Red Hat:9");
        CHECK_STR(vulndb_canonical_ecosystem("Red Hat:enterprise_linux:8::baseos", buf, sizeof buf),
                  "Red Hat:8");
        CHECK_STR(vulndb_canonical_ecosystem("Red Hat:9.4", buf, sizeof buf), "Red Hat:9");
        CHECK_STR(vulndb_canonical_ecosystem("Red Hat:rhel_eus:9.2::appstream", buf, sizeof buf),
                  "Red Hat:rhel_eus:9.2::appstream");
        CHECK_STR(vulndb_canonical_ecosystem("Frobnix", buf, sizeof buf), "Frobnix");
        CHECK(vdb_valid_id("ALSA-2023:0946"));
        CHECK(vdb_valid_id("TEMP-0841856-B18BAF"));
        CHECK(!vdb_valid_id("BAD ID"));
        CHECK(!vdb_valid_id("-x"));
        CHECK(vdb_valid_date("2024-06-01T00:00:00Z"));
        CHECK(!vdb_valid_date("0001-01-01T00:00:00Z"));
        CHECK(!vdb_valid_date("2024-13-01"));
        CHECK(vdb_severity_from_word("MODERATE") == SEV_MEDIUM);
        CHECK(vdb_severity_from_word("low**") == SEV_LOW);
        CHECK(vdb_severity_from_word("Important") == SEV_HIGH);
        CHECK(vdb_severity_from_word("unimportant") == SEV_LOW);
        CHECK(vdb_severity_from_word("not yet assigned") == SEV_UNKNOWN);
        CHECK(vdb_package_key("PyPI", "x") != vdb_package_key("PyP", "Ix"));
        CHECK(vdb_package_key("PyPI", "x") > 0);
}

/* ---- JSON scanner, YAML ---- */

struct members {
        char keys[8][64];
        size_t n;
};

static int member_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct members *m = userdata;
        if (m->n < 8)
                snprintf(m->keys[m->n++], 64, "%s=%.*s", key, (int) MIN(len, (size_t) 40), val);
        return 0;
}

static int element_cb(void *userdata, size_t index, const char *val, size_t len) {
        return 0;
}

TEST(jscan) {
        const char *ok = " {\"a\": 1, \"b\\u00e9\\n\": [1, {\"x\": \"y\\\"\"}], \"c\": null} ";
        struct members m = {0};
        struct jscan_error err = {0};
        CHECK_INT(jscan_object(ok, ok + strlen(ok), member_cb, &m, &err), 0);
        CHECK_INT(m.n, 3);
        CHECK_STR(m.keys[0], "a=1");
        CHECK_STR(m.keys[1], "b\xc3\xa9\n=[1, {\"x\": \"y\\\"\"}]");
        CHECK_STR(m.keys[2], "c=null");
        static const char *const bad[] = {
                "{\"a\": 1",    "{\"a\" 1}", "{\"a\": 1,}", "{\"a\": tru}",         "{\"a\": \"\x01\"}",
                "{\"a\": 1} x", "[1, 2",     "{a: 1}",      "{\"a\": \"\\ud800\"}", "{\"a\": -}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct members mm = {0};
                int r = bad[i][0] == '['
                                ? jscan_array(bad[i], bad[i] + strlen(bad[i]), element_cb, NULL, &err)
                                : jscan_object(bad[i], bad[i] + strlen(bad[i]), member_cb, &mm, &err);
                CHECK_INT(r, -EBADMSG);
        }
        /* nesting is bounded */
        char deep[600];
        memset(deep, '[', 300);
        memset(deep + 300, ']', 300);
        CHECK(jscan_skip_value(deep, deep + 600, &err) == NULL);
        char id[32];
        const char *rec = "{\"schema_version\": \"1.4.0\", \"id\": \"GO-2023-1\", \"affected\": [";
        CHECK(jscan_peek_string(rec, rec + strlen(rec), "id", id, sizeof id));
        CHECK_STR(id, "GO-2023-1");
}

TEST(yaml_to_json) {
        char err[256];
        json_t *j = NULL;
        const char *y = "id: X-1\nversions: [1.10, 1.0, \"2\"]\nempty:\nflag: true\nq: 'null'\nn: ~\n";
        CHECK_INT(vdb_yaml_to_json(y, strlen(y), 4096, &j, err, sizeof err), 0);
        REQUIRE(j);
        json_t *v = json_object_get(j, "versions");
        CHECK_STR(json_string_value(json_array_get(v, 0)), "1.10");
        CHECK_STR(json_string_value(json_array_get(v, 1)), "1.0");
        CHECK(json_is_null(json_object_get(j, "empty")));
        CHECK(json_is_true(json_object_get(j, "flag")));
        CHECK_STR(json_string_value(json_object_get(j, "q")), "null");
        CHECK(json_is_null(json_object_get(j, "n")));
        json_decref(j);

        static const char *const bad[] = {
                "a: &x 1\nb: *x\n",  /* aliases */
                "a: 1\na: 2\n",      /* duplicate keys */
                "a: 1\n---\nb: 2\n", /* two documents */
                "? [1, 2]\n: x\n",   /* complex key */
                "a: [1, 2\n",        /* unterminated */
                "",                  /* empty */
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                j = NULL;
                CHECK_INT(vdb_yaml_to_json(bad[i], strlen(bad[i]), 4096, &j, err, sizeof err), -EBADMSG);
                CHECK(j == NULL);
        }
        char deep[400];
        memset(deep, '[', 200);
        memset(deep + 200, ']', 200);
        CHECK_INT(vdb_yaml_to_json(deep, sizeof deep, 4096, &j, err, sizeof err), -EBADMSG);
        CHECK_INT(vdb_yaml_to_json(y, strlen(y), 10, &j, err, sizeof err), -E2BIG);
}

/* ---- the parsers, directly ---- */

static const struct vdb_stmt *stmt_for(const struct vdb_build *b, const char *package) {
        for (size_t i = 0; i < b->stmts.n; i++)
                if (streq(b->stmts.items[i].package, package))
                        return &b->stmts.items[i];
        return NULL;
}

TEST(osv_parser_details) {
        const char *rec =
                "{\"id\": \"OSV-2024-1\", \"modified\": \"2024-02-03T04:05:06Z\","
                " \"summary\": \"\", \"details\": \"First paragraph.\\n\\nSecond paragraph.\","
                " \"severity\": [{\"type\": \"CVSS_V4\", \"score\": "
                "\"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N\"}],"
                " \"affected\": ["
                "  {\"package\": {\"ecosystem\": \"crates.io\", \"name\": \"lim\"},"
                "   \"ranges\": [{\"type\": \"SEMVER\", \"events\": [{\"introduced\": \"0\"}, {\"limit\": "
                "\"2.0.0\"}]}],"
                "   \"database_specific\": {\"cvss\": \"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\"}},"
                "  {\"package\": {\"ecosystem\": \"Hex\", \"name\": \"plug\"},"
                "   \"severity\": [{\"type\": \"CVSS_V3\", \"score\": "
                "\"CVSS:3.1/AV:N/AC:L/PR:N/UI:R/S:U/C:N/I:L/A:N\"}],"
                "   \"versions\": [\"1.0.0\", \"bad version\", \"1.0.1\"]},"
                "  {\"package\": {\"ecosystem\": \"Pub\", \"name\": \"http\"}, \"versions\": [\"0.13.0\"]}"
                " ]}";
        struct diag d;
        struct vdb_build b;
        diag_init(&d);
        REQUIRE(vdb_build_init(&b, &d, 0, 0, 0) == 0);
        b.file = "inline.json";
        CHECK_INT(vdb_parse_osv_json(&b, rec, strlen(rec)), 0);
        CHECK_INT(b.stmts.n, 3);
        CHECK_INT(b.fs.records, 1);
        CHECK_STR(b.fs.snapshot, "2024-02-03T04:05:06Z");
        CHECK_STR(b.fs.family, "crates.io");
        const struct vdb_stmt *s = stmt_for(&b, "lim");
        REQUIRE(s);
        CHECK_INT(s->ranges[0].events[1].kind, VE_LIMIT);
        CHECK(lround(s->cvss * 10) == 98); /* RustSec's database_specific.cvss */
        s = stmt_for(&b, "plug");
        REQUIRE(s);
        CHECK(lround(s->cvss * 10) == 43); /* affected-level severity */
        CHECK_INT(s->n_versions, 2);
        CHECK(has_warning(
                &d, "inline.json: record 'OSV-2024-1': affected[1] (Hex/plug): versions[1] is not a version",
                NULL));
        const struct vdb_vuln *v = hashmap_get(b.vulns, "OSV-2024-1");
        REQUIRE(v);
        CHECK_STR(v->summary, "First paragraph."); /* empty summary: the first paragraph of details */
        CHECK(strneq(v->cvss_vector, "CVSS:4.0/", 9));
        CHECK(v->cvss == 0.0); /* v4 is kept, not scored */
        vdb_build_done(&b);
        diag_done(&d);
}

/* ---- the fixtures ---- */

TEST(fixture_sources_and_counts) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct vulndb_info in;
        REQUIRE(vulndb_get_info(db, a, &in) == 0);
        CHECK_INT(in.schema_version, VULNDB_SCHEMA_VERSION);
        CHECK_STR(in.built_at, "2026-11-20T00:00:00Z");
        CHECK_STR(in.tool_version, "test");
        CHECK(digest_is_valid_sha256(in.checksum));
        const char *want[] = {"alpine",   "debian",   "kev",   "nvd", "osv-distro",
                              "osv-lang", "osv-yaml", "wolfi", "bad"};
        const char *kinds[] = {"secdb", "debian-tracker", "kev", "nvd", "osv", "osv", "osv", "secdb", "osv"};
        CHECK_INT(in.n_sources, ELEMENTSOF(want));
        for (size_t i = 0; i < MIN(in.n_sources, ELEMENTSOF(want)); i++) {
                CHECK_STR(in.sources[i].name, want[i]);
                CHECK_STR(in.sources[i].kind, kinds[i]);
                CHECK(digest_is_valid_sha256(in.sources[i].sha256));
        }
        CHECK_STR(in.sources[2].snapshot, "2026-11-18T16:55:12.3891Z"); /* KEV dateReleased */
        CHECK_STR(in.sources[5].snapshot, "2025-02-04T15:50:24Z");      /* newest modified */
        bool debian12 = false;
        for (size_t i = 0; i < in.n_ecosystems; i++)
                if (streq(in.ecosystem_counts[i].name, "Debian:12")) {
                        debian12 = true;
                        CHECK_INT(in.ecosystem_counts[i].packages, 6);
                }
        CHECK(debian12);
        CHECK_INT(vulndb_verify(db, &d), 0);
        diag_done(&d);
}

TEST(debian_tracker_statuses) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};
        const struct vuln_affected *a;

        lookup(db, "Debian:12", "curl", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_FIXED);
        CHECK_STR(c.items[0].fixed_version, "7.88.1-10+deb12u4");
        CHECK(c.items[0].severity == SEV_LOW);
        CHECK_STR(c.items[0].severity_source, "debian");
        CHECK_STR(c.items[0].source, "debian");
        CHECK(c.items[0].summary && strstr(c.items[0].summary, "insert cookies"));

        lookup(db, "Debian:11", "curl", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_UNFIXED);
        CHECK_STR(c.items[0].note, "nodsa (postponed): Minor issue");
        lookup(db, "Debian:10", "curl", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_END_OF_LIFE);
        lookup(db, "Debian:unstable", "curl", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].fixed_version, "8.4.0-1");

        lookup(db, "Debian:11", "glibc", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_NOT_AFFECTED);
        CHECK(c.items[0].fixed_version == NULL);

        lookup(db, "Debian:12", "systemd", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_WONT_FIX);
        CHECK(c.items[0].severity == SEV_LOW); /* unimportant */

        lookup(db, "Debian:12", "libtiff", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].status, VS_UNFIXED);
        CHECK_STR(c.items[0].note, "status undetermined");
        CHECK(c.items[0].severity == SEV_MEDIUM); /* "medium**" */

        lookup(db, "Debian:12", "bash", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].id, "TEMP-0841856-B18BAF");

        /* "not yet assigned": the rating comes from NVD's CVSS */
        lookup(db, "debian:12.4", "openssl", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK_STR(a->id, "CVE-2023-0286");
        CHECK(a->severity == SEV_HIGH);
        CHECK_STR(a->severity_source, "nvd");
        CHECK(lround(a->cvss_score * 10) == 74);
        CHECK_STR(a->cvss_vector, "CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:H/I:N/A:H");
        CHECK(strv_has(a->cwes, "CWE-843"));
        CHECK(!a->kev);

        /* the unknown release was warned about once, when building */
        lookup(db, "Debian:hamm", "curl", 0, &c);
        CHECK_INT(c.n, 0);
        arena_free(c.a);
        diag_done(&d);
}

TEST(secdb_alpine_wolfi) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};

        lookup(db, "Alpine:v3.18", "curl", 0, &c);
        CHECK_INT(c.n, 4);
        const struct vuln_affected *a =
                find(&c, "CVE-2023-28319"); /* "CVE-2023-28319 (heap use after free)" */
        REQUIRE(a);
        CHECK_INT(a->status, VS_FIXED);
        CHECK_STR(a->fixed_version, "8.1.0-r0");
        CHECK_STR(a->source, "alpine");
        a = find(&c, "CVE-2023-38546");
        REQUIRE(a);
        CHECK(a->severity == SEV_LOW); /* no rating in secdb: NVD's CVSS */
        CHECK_STR(a->severity_source, "nvd");

        lookup(db, "Alpine:3.18.4", "openssl", 0, &c);
        a = find(&c, "CVE-2022-1292");
        REQUIRE(a);
        CHECK_INT(a->status, VS_NOT_AFFECTED);

        lookup(db, "Alpine:v3.18", "xen", 0, &c);
        a = find(&c, "CVE-2023-20593");
        REQUIRE(a);
        CHECK(strv_has(a->aliases, "XSA-433"));
        CHECK(find(&c, "XSA-431") != NULL);

        lookup(db, "Wolfi", "glibc", 0, &c);
        a = find(&c, "CVE-2023-4911");
        REQUIRE(a);
        CHECK_STR(a->fixed_version, "2.38-r1");
        CHECK(a->kev);
        CHECK_STR(a->kev_date_added, "2023-11-21");
        CHECK(lround(a->cvss_score * 10) == 78);
        a = find(&c, "CVE-2010-4756");
        REQUIRE(a);
        CHECK_INT(a->status, VS_NOT_AFFECTED);
        CHECK(lround(a->cvss_score * 10) == 40); /* NVD v2 only */
        lookup(db, "Wolfi", "py3-requests", 0, &c);
        CHECK(find(&c, "GHSA-j8r2-6x86-q33q") != NULL);
        lookup(db, "Alpine:v3.18", "busybox", 0, &c); /* secfixes: null */
        CHECK_INT(c.n, 0);
        arena_free(c.a);
        diag_done(&d);
}

TEST(osv_distro_records) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};
        const struct vuln_affected *a;

        lookup(db, "Ubuntu:22.04:LTS", "php8.1", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK_STR(a->id, "UBUNTU-CVE-2025-6491");
        CHECK_INT(a->status, VS_AFFECTED);
        CHECK(a->severity == SEV_MEDIUM);
        CHECK_STR(a->severity_source, "ubuntu");
        CHECK(lround(a->cvss_score * 10) == 59);
        CHECK(strv_has(a->upstream, "CVE-2025-6491"));
        CHECK(a->ecosystem_specific && strstr(a->ecosystem_specific, "php8.1-cli"));
        REQUIRE(a->n_ranges == 1);
        CHECK_STR(a->ranges[0].events[1].version, "8.1.2-1ubuntu2.22");
        lookup(db, "Ubuntu:Pro:20.04:LTS", "php7.4", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(vdb_strv_len(c.items[0].versions), 3);

        /* AlmaLinux names its CVEs only in related: they enrich it (CVSS), the summary gives the rating */
        lookup(db, "AlmaLinux:9", "openssl-libs", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK_STR(a->id, "ALSA-2023:0946");
        CHECK(a->severity == SEV_HIGH);
        CHECK_STR(a->severity_source, "almalinux");
        CHECK(lround(a->cvss_score * 10) == 74);
        CHECK_STR(a->ranges[0].events[1].version, "1:3.0.1-47.el9_1");

        /* Red Hat: upstream CVE in KEV, its own CVSS v3 before NVD's; one release whatever the repository */
        lookup(db, "Red Hat:9", "log4j", 0, &c);
        CHECK_INT(c.n, 1);
        lookup(db, "Red Hat:enterprise_linux:9::appstream", "log4j", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK(a->kev);
        CHECK_STR(a->kev_date_added, "2021-12-10");
        CHECK(a->severity == SEV_CRITICAL);
        CHECK_STR(a->severity_source, "redhat");
        CHECK(lround(a->cvss_score * 10) == 100);

        /* Debian's OSV record: urgency from ecosystem_specific; not merged with the tracker's statement */
        lookup(db, "Debian:12", "glibc", 0, &c);
        CHECK_INT(c.n, 2);
        a = find(&c, "DEBIAN-CVE-2023-4911");
        REQUIRE(a);
        CHECK(a->severity == SEV_HIGH);
        CHECK_STR(a->severity_source, "debian");
        CHECK(a->kev);
        a = find(&c, "CVE-2023-4911");
        REQUIRE(a);
        CHECK_INT(a->status, VS_FIXED);
        CHECK(a->kev);
        arena_free(c.a);
        diag_done(&d);
}

TEST(osv_language_records) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};
        const struct vuln_affected *a;

        lookup(db, "Maven", "org.apache.logging.log4j:log4j-core", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK(a->kev); /* through its alias CVE-2021-44228 */
        CHECK(a->severity == SEV_CRITICAL);
        CHECK_STR(a->severity_source, "ghsa");
        CHECK_INT(a->n_ranges, 3);
        CHECK(strv_has(a->cwes, "CWE-502"));
        CHECK(strv_has(a->cwes, "CWE-917"));
        CHECK_STR(a->published, "2021-12-10T00:40:56Z");

        /* an array file; SEMVER ranges; last_affected; CVSS v4 kept with the score database_specific gives
         */
        lookup(db, "npm", "semver", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].ranges[0].type, VR_SEMVER);
        CHECK_INT(c.items[0].n_ranges, 3);
        lookup(db, "npm", "jsonwebtoken", 0, &c);
        REQUIRE(c.n == 1);
        a = &c.items[0];
        CHECK_INT(a->ranges[0].events[1].kind, VE_LAST_AFFECTED);
        CHECK(strneq(a->cvss_vector, "CVSS:4.0/", 9));
        CHECK(lround(a->cvss_score * 10) == 64);
        lookup(db, "npm", "@auth0/legacy-jwt", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(vdb_strv_len(c.items[0].versions), 2);
        CHECK_INT(c.items[0].n_ranges, 0);

        /* Go: stdlib and toolchain as named, GIT-only entries dropped, withdrawn records skipped */
        lookup(db, "Go", "stdlib", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].id, "GO-2023-1840");
        CHECK(c.items[0].modified == NULL); /* "0001-01-01…" is no date */
        CHECK(c.items[0].ecosystem_specific && strstr(c.items[0].ecosystem_specific, "runtime"));
        lookup(db, "Go", "toolchain", 0, &c);
        CHECK_INT(c.n, 1);
        lookup(db, "Go", "github.com/example/only-git", 0, &c);
        CHECK_INT(c.n, 0);
        lookup(db, "Go", "os/exec", 0, &c);
        CHECK_INT(c.n, 0);

        /* RustSec informational advisories keep their kind as a note */
        lookup(db, "crates.io", "net2", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].note, "informational: unmaintained");

        /* YAML: plain versions stay text ("1.10", not 1.1); PEP 503 at build and lookup */
        lookup(db, "PyPI", "zope-interface-test", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].ranges[0].events[1].version, "1.10");
        CHECK(strv_has(c.items[0].versions, "1.10"));
        lookup(db, "PyPI", "Zope.Interface__Test", 0, &c);
        CHECK_INT(c.n, 1);
        arena_free(c.a);
        diag_done(&d);
}

TEST(alias_merging) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};

        /* PYSEC-2023-74 (YAML) and GHSA-j8r2-6x86-q33q name each other: one statement, under the GHSA id
         * (CVE, then GHSA, then the source's own: docs/vulnerability-matching.md) */
        lookup(db, "PyPI", "Requests", 0, &c);
        REQUIRE(c.n == 1);
        const struct vuln_affected *a = &c.items[0];
        CHECK_STR(a->id, "GHSA-j8r2-6x86-q33q");
        CHECK(strv_has(a->aliases, "PYSEC-2023-74"));
        CHECK(strv_has(a->aliases, "CVE-2023-32681"));
        CHECK(!strv_has(a->aliases, "GHSA-j8r2-6x86-q33q"));
        CHECK(a->severity == SEV_MEDIUM); /* GHSA's MODERATE */
        CHECK_STR(a->severity_source, "ghsa");
        CHECK_INT(a->n_ranges, 1);               /* the same range twice is kept once */
        CHECK_INT(vdb_strv_len(a->versions), 3); /* the PYSEC record's list */
        CHECK(a->summary && strstr(a->summary, "Proxy-Authorization"));

        lookup(db, "PyPI", "requests", VULNDB_LOOKUP_RAW, &c);
        CHECK_INT(c.n, 2);

        /* without details: one read per package; the details come on demand */
        lookup(db, "PyPI", "requests", VULNDB_LOOKUP_NO_DETAILS, &c);
        REQUIRE(c.n == 1);
        CHECK(c.items[0].summary == NULL);
        CHECK_INT(vulndb_fill_details(db, &c.items[0], c.a), 0);
        CHECK(c.items[0].summary && strstr(c.items[0].summary, "Proxy-Authorization"));
        arena_free(c.a);
        diag_done(&d);
}

TEST(malformed_feeds_are_named_and_skipped) {
        const char *src[] = {test_srcpath("tests/data/vulndb/bad")};
        struct diag d;
        diag_init(&d);
        struct vulndb_build_stats st;
        const char *out = tmp_path("bad.db");
        REQUIRE(build(src, 1, out, &d, &st, NULL) == 0);
        CHECK(has_warning(&d, "bad/not-json.json: record 'GHSA-bad0-json-0000': not valid JSON", NULL));
        CHECK(has_warning(&d, "bad/bad-yaml.yaml: record 'PYSEC-2099-2': not valid YAML", "line 5"));
        CHECK(has_warning(&d, "bad/alias.yaml: record 'PYSEC-2099-3'", "aliases are not supported"));
        CHECK(has_warning(&d,
                          "bad/unknown-ecosystem.json: record 'FRX-2024-0001': unknown ecosystem 'Frobnix'",
                          "warned once"));
        CHECK(has_warning(&d,
                          "bad/invalid-range.json: record 'GHSA-bad1-rang-0000': affected[0] (npm/ranges)",
                          "no introduced event"));
        CHECK(has_warning(&d, "record 'GHSA-bad1-rang-0000'", "unknown range type 'FOO'"));
        CHECK(has_warning(&d, "record 'GHSA-bad1-rang-0000'", "affected[2]: no package ecosystem or name"));
        CHECK(has_warning(&d, "record 'GHSA-bad1-rang-0000'",
                          "affected[3] (npm/nothing): no ranges or versions"));
        CHECK(has_warning(&d, "bad/dup-2.json: record 'OSV-2099-1'", "which it replaces (newer)"));
        CHECK(has_warning(&d, "bad/dup-3.json: record 'OSV-2099-1'",
                          "duplicate of the newer record in bad/dup-2.json"));
        CHECK(has_warning(&d, "bad/no-id.json", "not a valid id"));
        CHECK(has_warning(&d, "bad/bad-id.json: record 'BAD ID WITH SPACES'", NULL));
        CHECK(has_warning(&d, "bad/empty.json: empty file", NULL));
        CHECK(has_warning(&d, "bad/not-a-feed.json: not a feed", NULL));
        CHECK(has_warning(&d, "record 'GHSA-badc-vssv-ecto': invalid CVSS v3 vector", NULL));
        size_t unknown = 0;
        for (size_t i = 0; i < d.n_warnings; i++)
                unknown += strstr(d.warnings[i], "unknown ecosystem") != NULL;
        CHECK_INT(unknown, 1);

        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(out, &d, &db) == 0);
        struct collected c = {0};
        /* the good range of a record with bad ones is kept */
        lookup(db, "npm", "ranges", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_INT(c.items[0].n_ranges, 1);
        CHECK_STR(c.items[0].ranges[0].events[0].version, "3.0.0");
        lookup(db, "npm", "only-bad", 0, &c);
        CHECK_INT(c.n, 0);
        /* unknown ecosystems are kept as they are */
        lookup(db, "Frobnix", "widget", 0, &c);
        CHECK_INT(c.n, 1);
        /* duplicate ids: the newest record wins, whatever the order they are read in */
        lookup(db, "PyPI", "dup", 0, &c);
        REQUIRE(c.n == 1);
        CHECK_STR(c.items[0].ranges[0].events[1].version, "2.0");
        CHECK(c.items[0].summary && streq(c.items[0].summary, "newer copy"));
        lookup(db, "npm", "fine", 0, &c);
        CHECK_INT(c.n, 1);
        arena_free(c.a);
        diag_done(&d);
}

static void write_file(const char *path, const char *data, size_t len) {
        FILE *f = fopen(path, "w");
        if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
                abort();
}

TEST(gigantic_records) {
        const char *dir = tmp_path("giant");
        char path[600];
        mkdir(dir, 0755);
        /* one record of 200 KiB, an array whose second element is 200 KiB, and a good record */
        size_t big = 200 * 1024;
        char *s = malloc(big + 1024);
        int n = snprintf(
                s, 1024,
                "{\"id\": \"GHSA-huge-huge-huge\", \"modified\": \"2024-01-01T00:00:00Z\", \"details\": \"");
        memset(s + n, 'x', big);
        strcpy(s + n + big, "\", \"affected\": []}");
        snprintf(path, sizeof path, "%s/huge.json", dir);
        write_file(path, s, strlen(s));
        char *arr = malloc(big + 2048);
        int m = snprintf(arr, 2048,
                         "[{\"id\": \"GHSA-smal-lsma-llll\", \"modified\": \"2024-01-01T00:00:00Z\", "
                         "\"affected\": [{\"package\": {\"ecosystem\": \"npm\", \"name\": \"small\"}, "
                         "\"versions\": [\"1.0.0\"]}]}, ");
        memcpy(arr + m, s, strlen(s) + 1);
        strcat(arr, "]");
        snprintf(path, sizeof path, "%s/array.json", dir);
        write_file(path, arr, strlen(arr));
        free(s);
        free(arr);

        const char *src[] = {dir};
        struct vulndb_build_options o = {.tool_version = "test", .max_record_bytes = 64 * 1024};
        struct diag d;
        diag_init(&d);
        struct vulndb_build_stats st;
        REQUIRE(build(src, 1, tmp_path("giant.db"), &d, &st, &o) == 0);
        CHECK(has_warning(&d, "giant/huge.json: record 'GHSA-huge-huge-huge': too large", "limit 65536"));
        CHECK(has_warning(&d, "giant/array.json: record 'GHSA-huge-huge-huge': too large", NULL));
        CHECK_INT(st.skipped, 2);
        diag_done(&d);

        /* the memory cap is a clean error, not an abort */
        diag_init(&d);
        const char *feeds[] = {test_srcpath("tests/data/vulndb/feeds")};
        o.max_memory = 16 * 1024;
        o.max_record_bytes = 0;
        CHECK(build(feeds, 1, tmp_path("capped.db"), &d, &st, &o) < 0);
        CHECK(strstr(d.error, "memory limit") != NULL);
        CHECK(access(tmp_path("capped.db"), F_OK) < 0);
        diag_done(&d);
}

/* ---- the atomic build ---- */

static bool same_file(const char *a, const char *b) {
        size_t la, lb;
        char *x = test_read_file(a, &la), *y = test_read_file(b, &lb);
        bool same = la == lb && memcmp(x, y, la) == 0;
        free(x);
        free(y);
        return same;
}

static size_t leftover_temp_files(const char *dir) {
        size_t n = 0;
        DIR *dd = opendir(dir);
        for (struct dirent *e; dd && (e = readdir(dd));)
                n += strstr(e->d_name, ".tmp-") != NULL;
        if (dd)
                closedir(dd);
        return n;
}

static void copy_file(const char *from, const char *to) {
        size_t n;
        char *x = test_read_file(from, &n);
        write_file(to, x, n);
        free(x);
}

TEST(failed_build_keeps_the_old_database) {
        const char *dir = tmp_path("atomic");
        char db[600], copy[600], trunc_dir[600], trunc[700];
        mkdir(dir, 0755);
        snprintf(db, sizeof db, "%s/vuln.db", dir);
        snprintf(copy, sizeof copy, "%s/copy.db", tmp_path(""));
        copy_file(fixture_db(), db);
        copy_file(db, copy);

        /* a source that breaks off in the middle: a truncated Debian tracker export */
        snprintf(trunc_dir, sizeof trunc_dir, "%s/broken", tmp_path(""));
        mkdir(trunc_dir, 0755);
        snprintf(trunc, sizeof trunc, "%s/debian-tracker.json", trunc_dir);
        size_t n;
        char *t = test_read_file(test_srcpath("tests/data/vulndb/feeds/debian/debian-tracker.json"), &n);
        write_file(trunc, t, n / 2);
        free(t);
        const char *src[] = {test_srcpath("tests/data/vulndb/feeds/osv-lang"), trunc_dir};
        struct diag d;
        diag_init(&d);
        struct vulndb_build_stats st;
        CHECK(build(src, 2, db, &d, &st, NULL) < 0);
        CHECK(strstr(d.error, "broken") && strstr(d.error, "no usable vulnerability record"));
        CHECK(has_warning(&d, "broken/debian-tracker.json: not valid JSON (line", NULL));
        CHECK(same_file(db, copy));
        CHECK_INT(leftover_temp_files(dir), 0);
        diag_done(&d);

        /* the destination is replaced by rename: never a device or a FIFO (--out /dev/null) */
        diag_init(&d);
        const char *ok_src[] = {test_srcpath("tests/data/vulndb/feeds/kev")};
        const char *fifo = tmp_path("fifo");
        REQUIRE(mkfifo(fifo, 0600) == 0);
        CHECK_INT(build(ok_src, 1, fifo, &d, &st, NULL), -EINVAL);
        CHECK(strstr(d.error, "fifo': not a regular file") != NULL);
        struct stat fst;
        CHECK(stat(fifo, &fst) == 0 && S_ISFIFO(fst.st_mode));
        diag_done(&d);

        /* a source that does not exist */
        diag_init(&d);
        const char *src2[] = {test_srcpath("tests/data/vulndb/feeds/osv-lang"), "/nonexistent/feed"};
        CHECK(build(src2, 2, db, &d, &st, NULL) == -ENOENT);
        CHECK(strstr(d.error, "'/nonexistent/feed'") != NULL);
        CHECK(same_file(db, copy));
        diag_done(&d);

        /* writing fails midway (file size limit): the temporary file goes, the old database stays */
        pid_t pid = fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
                struct rlimit rl = {24 * 1024, 24 * 1024};
                signal(SIGXFSZ, SIG_IGN);
                setrlimit(RLIMIT_FSIZE, &rl);
                const char *s3[] = {test_srcpath("tests/data/vulndb/feeds")};
                struct diag dd;
                diag_init(&dd);
                int r = build(s3, 1, db, &dd, &st, NULL);
                _exit(r < 0 && strstr(dd.error, "cannot write") ? 0 : 1);
        }
        int status;
        waitpid(pid, &status, 0);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        CHECK(same_file(db, copy));
        CHECK_INT(leftover_temp_files(dir), 0);
}

TEST(builds_are_reproducible) {
        const char *src[] = {test_srcpath("tests/data/vulndb/feeds")};
        struct diag d;
        diag_init(&d);
        struct vulndb_build_stats st;
        REQUIRE(build(src, 1, tmp_path("r1.db"), &d, &st, NULL) == 0);
        REQUIRE(build(src, 1, tmp_path("r2.db"), &d, &st, NULL) == 0);
        CHECK(same_file(tmp_path("r1.db"), tmp_path("r2.db")));
        /* NAME=PATH names a source */
        char spec[600];
        snprintf(spec, sizeof spec, "golang=%s", test_srcpath("tests/data/vulndb/feeds/osv-lang"));
        const char *src2[] = {spec};
        REQUIRE(build(src2, 1, tmp_path("named.db"), &d, &st, NULL) == 0);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(tmp_path("named.db"), &d, &db) == 0);
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct vulndb_info in;
        REQUIRE(vulndb_get_info(db, a, &in) == 0);
        REQUIRE(in.n_sources == 1);
        CHECK_STR(in.sources[0].name, "golang");
        CHECK_INT(in.sources[0].records, 7);
        diag_done(&d);
}

/* ---- damaged database files ---- */

static int open_err(const char *path, struct diag *d) {
        struct vulndb *db = NULL;
        diag_init(d);
        int r = vulndb_open(path, d, &db);
        vulndb_close(db);
        return r;
}

static int verify_err(const char *path, struct diag *d) {
        struct vulndb *db = NULL;
        diag_init(d);
        int r = vulndb_open(path, d, &db);
        if (r >= 0) {
                struct collected c = {0};
                /* every lookup must fail cleanly or succeed; then the full check */
                const char *pk[][2] = {
                        {"Debian:12", "curl"}, {"PyPI", "requests"},
                        {"Go", "stdlib"},      {"Wolfi", "glibc"},
                        {"npm", "semver"},     {"Maven", "org.apache.logging.log4j:log4j-core"}};
                c.a = arena_new(0);
                for (size_t i = 0; i < ELEMENTSOF(pk) && r >= 0; i++)
                        r = vulndb_lookup(db, pk[i][0], pk[i][1], collect_cb, &c), c.n = 0;
                arena_free(c.a);
                if (r >= 0)
                        r = vulndb_verify(db, d);
        }
        vulndb_close(db);
        return r;
}

static void corrupt_copy(const char *to, size_t keep, long flip_at) {
        size_t n;
        char *x = test_read_file(fixture_db(), &n);
        if (flip_at >= 0 && (size_t) flip_at < n)
                x[flip_at] ^= 0x5a;
        write_file(to, x, MIN(keep, n));
        free(x);
}

TEST(damaged_files_are_detected) {
        struct diag d;
        const char *p = tmp_path("damaged.db");
        size_t size;
        free(test_read_file(fixture_db(), &size));

        CHECK_INT(open_err(tmp_path("missing.db"), &d), -ENOENT);
        CHECK(strstr(d.error, "missing.db") && strstr(d.error, "stockade db build"));
        diag_done(&d);

        corrupt_copy(p, size - 4096, -1); /* truncated by a page */
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "damaged.db") && strstr(d.error, "truncated"));
        diag_done(&d);
        corrupt_copy(p, size - 100, -1); /* truncated mid-page */
        CHECK_INT(open_err(p, &d), -EBADMSG);
        diag_done(&d);

        write_file(p, "", 0);
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "empty file") != NULL);
        diag_done(&d);

        char rnd[8192];
        for (size_t i = 0; i < sizeof rnd; i++)
                rnd[i] = (char) (i * 2654435761u >> 13);
        write_file(p, rnd, sizeof rnd);
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "not an SQLite file") != NULL);
        diag_done(&d);

        /* the header's own fields */
        corrupt_copy(p, size, 0); /* magic */
        CHECK_INT(open_err(p, &d), -EBADMSG);
        diag_done(&d);
        corrupt_copy(p, size, 70); /* application id */
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "another application") != NULL);
        diag_done(&d);
        corrupt_copy(p, size, 30); /* page count */
        CHECK_INT(open_err(p, &d), -EBADMSG);
        diag_done(&d);

        /* an SQLite file of another schema, and one of ours from a future schema */
        unlink(p);
        sqlite3 *s = NULL;
        REQUIRE(sqlite3_open(p, &s) == SQLITE_OK);
        sqlite3_exec(s,
                     "CREATE TABLE layers(key TEXT PRIMARY KEY, data BLOB); INSERT INTO layers VALUES('a', "
                     "x'00');",
                     NULL, NULL, NULL);
        sqlite3_close(s);
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "another application") != NULL);
        diag_done(&d);
        unlink(p);
        REQUIRE(sqlite3_open(p, &s) == SQLITE_OK);
        char sql[128];
        snprintf(sql, sizeof sql,
                 "PRAGMA application_id=%d; PRAGMA user_version=2; CREATE TABLE meta(key, value);",
                 VDB_APPLICATION_ID);
        sqlite3_exec(s, sql, NULL, NULL, NULL);
        sqlite3_close(s);
        CHECK_INT(open_err(p, &d), -EPROTO);
        CHECK(strstr(d.error, "schema version 2") != NULL);
        diag_done(&d);
        unlink(p);
        REQUIRE(sqlite3_open(p, &s) == SQLITE_OK);
        snprintf(sql, sizeof sql, "PRAGMA application_id=%d; PRAGMA user_version=1; CREATE TABLE x(y);",
                 VDB_APPLICATION_ID);
        sqlite3_exec(s, sql, NULL, NULL, NULL);
        sqlite3_close(s);
        CHECK_INT(open_err(p, &d), -EBADMSG);
        CHECK(strstr(d.error, "no meta table") != NULL);
        diag_done(&d);

        /* a byte flipped anywhere: found by a lookup or by the full verification, or harmless (free space
         * in a page: verification then proves the content intact), never a crash (ASan/UBSan runs this) */
        size_t caught = 0, tried = 0;
        for (size_t off = 100; off < size; off += 331) {
                corrupt_copy(p, size, (long) off);
                int r = verify_err(p, &d);
                tried++;
                caught += r == -EBADMSG;
                if (r != -EBADMSG && r != 0)
                        fprintf(stderr, "offset %zu: %d %s\n", off, r, d.error);
                CHECK(r == -EBADMSG || r == 0);
                if (r == -EBADMSG)
                        CHECK(strstr(d.error, "damaged.db") != NULL);
                diag_done(&d);
        }
        CHECK(caught > 0);

        /* a byte flipped inside a stored record: that lookup fails, naming the file and the package */
        char *x = test_read_file(fixture_db(), &size);
        const char *needle = "org.apache.logging.log4j:log4j-core";
        size_t at = 0, hits = 0;
        for (size_t i = 0; i + 9 < size; i++)
                if (memcmp(x + i, "2.0-beta9", 9) == 0) /* a version inside the package blob */
                        at = i, hits++;
        free(x);
        REQUIRE(hits == 1);
        corrupt_copy(p, size, (long) at + 2);
        struct vulndb *db = NULL;
        diag_init(&d);
        REQUIRE(vulndb_open(p, &d, &db) == 0);
        struct collected c = {.a = arena_new(0)};
        CHECK_INT(vulndb_lookup(db, "Maven", needle, collect_cb, &c), -EBADMSG);
        CHECK(strstr(d.error, "damaged.db") && strstr(d.error, needle) &&
              strstr(d.error, "fails its check"));
        CHECK_INT(vulndb_lookup(db, "npm", "semver", collect_cb, &c), 0); /* other rows are fine */
        arena_free(c.a);
        vulndb_close(db);
        diag_done(&d);
        fprintf(stderr, "flipped bytes: %zu of %zu found damaged (the others fell in free space)\n", caught,
                tried);
}

/* ---- the record codec ---- */

TEST(codec_roundtrip_and_damage) {
        struct buf body = BUF_INIT(0), blob = BUF_INIT(0);
        struct vuln_event ev[] = {{VE_INTRODUCED, "0"}, {VE_FIXED, "1.2.3"}};
        struct vuln_range rg = {VR_SEMVER, ev, 2};
        const char *aliases[] = {"CVE-2024-1", NULL}, *versions[] = {"1.0", "1.1", NULL};
        struct vdb_enc_stmt s = {
                .id = "GHSA-x",
                .aliases = aliases,
                .status = VS_AFFECTED,
                .severity = SEV_HIGH,
                .kev = true,
                .severity_source = "ghsa",
                .cvss = 7.5,
                .cvss_vector = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
                .kev_date = "2024-01-02",
                .source = 3,
                .details_ref = 9,
                .extras_ref = 4,
                .ranges = &rg,
                .n_ranges = 1,
                .versions = versions,
        };
        REQUIRE(vdb_encode_stmt(&body, &s) == 0);
        s.id = "CVE-2";
        s.status = VS_FIXED;
        s.fixed = "2.0-1";
        s.n_ranges = 0;
        s.versions = NULL;
        REQUIRE(vdb_encode_stmt(&body, &s) == 0);
        REQUIRE(vdb_encode_package(&blob, body.data, body.len, 2) == 0);

        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        char *copy = arena_memdup(a, blob.data, blob.len);
        struct vdb_decoded *dec;
        size_t n;
        REQUIRE(vdb_decode_package(copy, blob.len, a, &dec, &n) == 0);
        CHECK_INT(n, 2);
        CHECK_STR(dec[0].a.id, "GHSA-x");
        CHECK_STR(dec[0].a.aliases[0], "CVE-2024-1");
        CHECK(dec[0].a.aliases[1] == NULL);
        CHECK(dec[0].a.kev);
        CHECK(lround(dec[0].a.cvss_score * 10) == 75);
        CHECK_INT(dec[0].source, 3);
        CHECK_INT(dec[0].a.details_ref, 9);
        CHECK_INT(dec[0].extras_ref, 4);
        CHECK_STR(dec[0].a.ranges[0].events[1].version, "1.2.3");
        CHECK_STR(dec[0].a.versions[1], "1.1");
        CHECK_STR(dec[1].a.fixed_version, "2.0-1");
        CHECK_INT(dec[1].a.status, VS_FIXED);

        /* every single-byte change and every truncation is refused (the CRC), never a crash */
        for (size_t i = 0; i < blob.len; i++) {
                char *x = arena_memdup(a, blob.data, blob.len);
                x[i] ^= 0x41;
                CHECK_INT(vdb_decode_package(x, blob.len, a, &dec, &n), -EBADMSG);
                char *y = arena_memdup(a, blob.data, blob.len);
                CHECK_INT(vdb_decode_package(y, i, a, &dec, &n), -EBADMSG);
        }
        buf_free(&body);
        buf_free(&blob);
}

TEST(lookup_misses_and_odd_names) {
        struct diag d;
        diag_init(&d);
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        REQUIRE(vulndb_open(fixture_db(), &d, &db) == 0);
        struct collected c = {0};
        lookup(db, "npm", "does-not-exist", 0, &c);
        CHECK_INT(c.n, 0);
        lookup(db, "NoSuchEcosystem", "curl", 0, &c);
        CHECK_INT(c.n, 0);
        lookup(db, "", "", 0, &c);
        CHECK_INT(c.n, 0);
        char longname[2000];
        memset(longname, 'a', sizeof longname - 1);
        longname[sizeof longname - 1] = 0;
        lookup(db, "npm", longname, 0, &c);
        CHECK_INT(c.n, 0);
        lookup(db, "GO", "stdlib", 0, &c); /* ecosystem names are case-insensitive at lookup */
        CHECK_INT(c.n, 1);
        arena_free(c.a);
        diag_done(&d);
}
