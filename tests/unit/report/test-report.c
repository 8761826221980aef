/* SPDX-License-Identifier: Apache-2.0 */
/* Report writers: golden files for every format (tests/data/report/, reproducible mode), plus the
 * helpers every writer relies on. To regenerate the golden files after an intended change:
 *
 *     STOCKADE_REGEN_GOLDEN=1 meson test -C build unit-report
 *     git diff tests/data/report/     # review by eye
 */
#include <jansson.h>

#include "arena.h"
#include "report-fixture.h"
#include "report/report-internal.h"
#include "tests.h"

/* The report as a string. */
static char *render(const struct scan_result *r, enum report_format fmt, const struct report_options *o,
                    int *ret) {
        char *s = NULL;
        size_t n = 0;
        FILE *f = open_memstream(&s, &n);
        if (!f)
                abort();
        *ret = report_write(f, fmt, r, o);
        fclose(f);
        return s;
}

static void check_golden(const struct fixture_case *c) {
        struct scan_result *r = fixture_for(c);
        struct report_options o = {
                .kind = c->kind, .reproducible = true, .color = c->color, .min_severity = c->min_severity
        };
        char rel[256];
        int e;

        snprintf(rel, sizeof rel, "tests/data/report/%s", c->file);
        char *out = render(r, c->format, &o, &e);
        fixture_free(r);
        CHECK_INT(e, 0);

        if (getenv("STOCKADE_REGEN_GOLDEN")) {
                FILE *f = fopen(test_srcpath(rel), "we");
                REQUIRE(f);
                fputs(out, f);
                CHECK_INT(fclose(f), 0);
                printf("regenerated %s\n", rel);
                free(out);
                return;
        }
        char *want = test_read_file(test_srcpath(rel), NULL);
        if (strcmp(out, want) != 0) {
                /* Show where they part, then the whole output for the record. */
                size_t i = 0, line = 1;
                for (; out[i] && out[i] == want[i]; i++)
                        line += out[i] == '\n';
                fprintf(stderr, "%s differs from the golden file at line %zu (byte %zu); got:\n%s\n", rel,
                        line, i, out);
                fprintf(stderr, "(STOCKADE_REGEN_GOLDEN=1 rewrites the golden files)\n");
                tests_failed_checks++;
        }
        free(want);
        free(out);
}

TEST(golden_files) {
        for (size_t i = 0; i < fixture_n_cases; i++)
                check_golden(&fixture_cases[i]);
}

/* Every JSON output parses as JSON (jansson rejects invalid UTF-8), whatever the fixture holds. */
TEST(json_outputs_are_valid_utf8_json) {
        for (size_t i = 0; i < fixture_n_cases; i++) {
                const struct fixture_case *c = &fixture_cases[i];
                if (c->format == REPORT_TABLE)
                        continue;
                struct scan_result *r = fixture_for(c);
                struct report_options o = { .kind = c->kind };
                int e;
                char *out = render(r, c->format, &o, &e);
                CHECK_INT(e, 0);
                json_error_t err;
                json_t *j = json_loads(out, 0, &err);
                if (!j)
                        fprintf(stderr, "%s: line %d: %s\n", c->file, err.line, err.text);
                CHECK(j);
                json_decref(j);
                free(out);
                fixture_free(r);
        }
}

TEST(hostile_strings_are_escaped) {
        struct scan_result *r = fixture_full();
        struct report_options o = { .kind = REPORT_KIND_SCAN, .reproducible = true };
        int e;

        /* Table: no raw escape character, no bidi override, no invalid UTF-8 reaches the terminal. */
        char *t = render(r, REPORT_TABLE, &o, &e);
        CHECK_INT(e, 0);
        CHECK(!strchr(t, '\033'));
        CHECK(!strchr(t, '\007'));
        CHECK(!strstr(t, "\xe2\x80\xae"));
        CHECK(strstr(t, "\\x1b]0;pwned\\x07"));
        CHECK(strstr(t, "\\u202e"));
        free(t);

        /* JSON: the invalid bytes became U+FFFD, the rest survived exactly. */
        o.kind = REPORT_KIND_SBOM;
        char *s = render(r, REPORT_JSON, &o, &e);
        CHECK_INT(e, 0);
        json_t *j = json_loads(s, 0, NULL);
        REQUIRE(j);
        json_t *pkgs = json_object_get(j, "packages");
        bool found = false;
        size_t i;
        json_t *p;
        json_array_foreach(pkgs, i, p) {
                const char *name = json_string_value(json_object_get(p, "name"));
                if (name && strneq(name, "evil", 4)) {
                        CHECK_STR(name, "evil\"pkg\n\033[31mred\xef\xbf\xbd\xef\xbf\xbd");
                        found = true;
                }
        }
        CHECK(found);
        json_decref(j);
        free(s);
        fixture_free(r);
}

TEST(format_names) {
        CHECK_INT(report_format_from_string("table"), REPORT_TABLE);
        CHECK_INT(report_format_from_string("json"), REPORT_JSON);
        CHECK_INT(report_format_from_string("sarif"), REPORT_SARIF);
        CHECK_INT(report_format_from_string("cyclonedx"), REPORT_CYCLONEDX);
        CHECK_INT(report_format_from_string("cyclonedx-json"), REPORT_CYCLONEDX);
        CHECK_INT(report_format_from_string("spdx"), REPORT_SPDX);
        CHECK_INT(report_format_from_string("spdx-json"), REPORT_SPDX);
        CHECK_INT(report_format_from_string("SPDX-JSON"), REPORT_SPDX);
        CHECK_INT(report_format_from_string("xml"), -EINVAL);
        CHECK_INT(report_format_from_string(""), -EINVAL);
        CHECK_INT(report_format_from_string(NULL), -EINVAL);
        CHECK_STR(report_format_to_string(REPORT_CYCLONEDX), "cyclonedx");
        CHECK_STR(report_format_to_string(REPORT_SPDX), "spdx");
}

TEST(utf8_sanitizing) {
        struct arena *a = arena_new(0);
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "plain", "plain" },
                { "caf\xc3\xa9", "caf\xc3\xa9" },
                { "\xf0\x9f\x90\xb3", "\xf0\x9f\x90\xb3" },                 /* U+1F433 */
                { "\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd" },                 /* overlong '/' */
                { "\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* a surrogate */
                { "\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" }, /* > U+10FFFF */
                { "a\xe2\x82", "a\xef\xbf\xbd\xef\xbf\xbd" }, /* truncated at the end */
                { "\xff", "\xef\xbf\xbd" },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                CHECK_STR(report_utf8(a, cases[i].in), cases[i].out);
        CHECK(report_utf8(a, NULL) == NULL);

        CHECK_STR(report_term(a, "a\nb\tc\033[2J\x7f"), "a\\nb\\tc\\x1b[2J\\x7f");
        CHECK_STR(report_term(a, "x\xc2\x9b"
                                 "31m"),
                  "x\\u009b31m");
        CHECK_STR(report_term(a, "abc\xe2\x80\xae"
                                 "cod.exe"),
                  "abc\\u202ecod.exe");
        arena_free(a);
}

TEST(truncation_and_width) {
        struct arena *a = arena_new(0);
        CHECK_INT(report_text_width("caf\xc3\xa9"), 4);
        CHECK_STR(report_truncate(a, "abcdef", 6, false), "abcdef");
        CHECK_STR(report_truncate(a, "abcdefg", 6, false), "abcde\xe2\x80\xa6");
        CHECK_STR(report_truncate(a, "usr/lib/x/y", 6, true), "\xe2\x80\xa6"
                                                              "b/x/y");
        CHECK_STR(report_truncate(a, "\xc3\xa9\xc3\xa9\xc3\xa9", 2, false), "\xc3\xa9\xe2\x80\xa6");
        CHECK_STR(report_idstring(a, "Custom \"License\" v2+", 64), "Custom-License-v2-plus");
        CHECK_STR(report_idstring(a, "---", 64), "unknown");
        CHECK_STR(report_idstring(a, "@babel/core", 64), "babel-core");
        arena_free(a);
}

TEST(spdx_licenses) {
        struct arena *a = arena_new(0);
        const char *c;
        static const struct {
                const char *in;
                enum spdx_license_kind kind;
                const char *canon;
        } cases[] = {
                { "MIT", SPDX_LICENSE_ID, "MIT" },
                { "mit", SPDX_LICENSE_ID, "MIT" },
                { " Apache-2.0 ", SPDX_LICENSE_ID, "Apache-2.0" },
                { "GPL-2.0", SPDX_LICENSE_ID, "GPL-2.0" }, /* deprecated, still an identifier */
                { "GPL-2.0+", SPDX_LICENSE_EXPRESSION, "GPL-2.0+" },
                { "mit or (apache-2.0 and bsd-3-clause)", SPDX_LICENSE_EXPRESSION,
                  "MIT OR (Apache-2.0 AND BSD-3-Clause)" },
                { "GPL-2.0-only WITH Linux-syscall-note", SPDX_LICENSE_EXPRESSION,
                  "GPL-2.0-only WITH Linux-syscall-note" },
                { "((MIT))", SPDX_LICENSE_EXPRESSION, "((MIT))" },
                { "Expat", SPDX_LICENSE_INVALID, NULL },
                { "GPLv3+", SPDX_LICENSE_INVALID, NULL },
                { "MIT AND", SPDX_LICENSE_INVALID, NULL },
                { "MIT WITH MIT", SPDX_LICENSE_INVALID, NULL },
                { "(MIT", SPDX_LICENSE_INVALID, NULL },
                { "MIT)", SPDX_LICENSE_INVALID, NULL },
                { "LicenseRef-foo", SPDX_LICENSE_INVALID, NULL },
                { "MIT Or Apache-2.0", SPDX_LICENSE_INVALID, NULL },
                { "", SPDX_LICENSE_INVALID, NULL },
                { "M+IT", SPDX_LICENSE_INVALID, NULL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                enum spdx_license_kind k = spdx_license_classify(a, cases[i].in, &c);
                if (k != cases[i].kind)
                        fprintf(stderr, "license '%s'\n", cases[i].in);
                CHECK_INT(k, cases[i].kind);
                if (cases[i].canon)
                        CHECK_STR(c, cases[i].canon);
        }
        /* Deep nesting is refused, not recursed into. */
        char deep[200];
        memset(deep, '(', 100);
        strcpy(deep + 100, "MIT");
        memset(deep + 103, ')', 96);
        deep[199] = 0;
        CHECK_INT(spdx_license_classify(a, deep, &c), SPDX_LICENSE_INVALID);
        CHECK_STR(spdx_exception_id_lookup("classpath-exception-2.0"), "Classpath-exception-2.0");
        CHECK(spdx_license_id_lookup("Classpath-exception-2.0") == NULL);
        arena_free(a);
}

TEST(created_time) {
        char t[REPORT_TIME_MAX];
        struct report_options o = { .timestamp = "2024-02-29T23:30:00+02:00" };
        CHECK_INT(report_created(&o, t), 0);
        CHECK_STR(t, "2024-02-29T21:30:00Z");
        o.timestamp = "2024-01-01t00:00:00.123456Z";
        CHECK_INT(report_created(&o, t), 0);
        CHECK_STR(t, "2024-01-01T00:00:00Z");
        o.timestamp = "2024-01-01 00:00:00-00:30";
        CHECK_INT(report_created(&o, t), 0);
        CHECK_STR(t, "2024-01-01T00:30:00Z");
        static const char *bad[] = { "2024-01-01",          "2024-13-01T00:00:00Z",
                                     "2024-01-01T00:00:00", "2024-01-01T00:00:00Zjunk",
                                     "yesterday",           "2024-01-01T00:00:00+0200" };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                o.timestamp = bad[i];
                CHECK_INT(report_created(&o, t), -EINVAL);
        }
        o.reproducible = true; /* the timestamp is ignored */
        CHECK_INT(report_created(&o, t), 0);
        CHECK_STR(t, "1970-01-01T00:00:00Z");
        o.reproducible = false;
        o.timestamp = NULL;
        CHECK_INT(report_created(&o, t), 0);
        CHECK(strlen(t) == 20 && t[19] == 'Z');
}

TEST(uuids) {
        char a[REPORT_UUID_MAX], b[REPORT_UUID_MAX];
        struct scan_result *r = fixture_full();
        struct report_options o = { .reproducible = true };

        CHECK_INT(report_uuid(&o, r, "x", a), 0);
        CHECK_INT(report_uuid(&o, r, "x", b), 0);
        CHECK_STR(a, b);
        CHECK(a[14] == '5' && strchr("89ab", a[19]));
        CHECK_INT(report_uuid(&o, r, "y", b), 0);
        CHECK(strcmp(a, b) != 0);
        o.reproducible = false;
        CHECK_INT(report_uuid(&o, r, "x", a), 0);
        CHECK_INT(report_uuid(&o, r, "x", b), 0);
        CHECK(strcmp(a, b) != 0);
        CHECK(a[14] == '4' && strchr("89ab", a[19]) && strlen(a) == 36);
        fixture_free(r);
}

/* Normal mode: a fresh serial number and namespace each time, and the given creation time. */
TEST(not_reproducible) {
        struct scan_result *r = fixture_full();
        struct report_options o = { .kind = REPORT_KIND_SBOM, .timestamp = "2024-05-01T12:00:00Z" };
        int e;

        char *c1 = render(r, REPORT_CYCLONEDX, &o, &e), *c2 = render(r, REPORT_CYCLONEDX, &o, &e);
        CHECK(strcmp(c1, c2) != 0);
        CHECK(strstr(c1, "\"timestamp\": \"2024-05-01T12:00:00Z\""));
        char *s1 = render(r, REPORT_SPDX, &o, &e);
        CHECK(strstr(s1, "\"created\": \"2024-05-01T12:00:00Z\""));
        char *j1 = render(r, REPORT_JSON, &o, &e);
        CHECK(strstr(j1, "\"created\": \"2024-05-01T12:00:00Z\""));
        o.timestamp = "not a time";
        free(render(r, REPORT_SPDX, &o, &e));
        CHECK_INT(e, -EINVAL);
        free(c1);
        free(c2);
        free(s1);
        free(j1);
        fixture_free(r);
}

TEST(write_errors_are_eio) {
        FILE *f = fopen("/dev/full", "we");
        if (!f) {
                printf("(no /dev/full: skipped)\n");
                return;
        }
        struct scan_result *r = fixture_full();
        static const enum report_format fmts[] = { REPORT_TABLE, REPORT_JSON, REPORT_SARIF, REPORT_CYCLONEDX,
                                                   REPORT_SPDX };
        for (size_t i = 0; i < ELEMENTSOF(fmts); i++) {
                struct report_options o = { .kind = REPORT_KIND_SCAN, .reproducible = true };
                clearerr(f);
                CHECK_INT(report_write(f, fmts[i], r, &o), -EIO);
        }
        fclose(f);
        fixture_free(r);
}

TEST(bad_arguments) {
        struct scan_result *r = fixture_full();
        CHECK_INT(report_write(stdout, REPORT_JSON, NULL, NULL), -EINVAL);
        CHECK_INT(report_write(NULL, REPORT_JSON, r, NULL), -EINVAL);
        CHECK_INT(report_write(stdout, (enum report_format) 42, r, NULL), -EINVAL);
        fixture_free(r);
}

/* Two packages that compare equal still get distinct identifiers. */
TEST(duplicate_packages_get_unique_ids) {
        struct scan_result *r = fixture_empty();
        struct pkg p = {
                .type = PKG_NPM, .name = "dup", .version = "1.0.0", .purl = "pkg:npm/dup@1.0.0", .layer = -1
        };
        REQUIRE(VEC_PUSH(&r->pkgs, p) >= 0);
        REQUIRE(VEC_PUSH(&r->pkgs, p) >= 0);
        struct report_options o = { .reproducible = true };
        int e;
        char *s = render(r, REPORT_SPDX, &o, &e);
        CHECK_INT(e, 0);
        char hash[REPORT_PKG_HASH_LEN + 1], id[128];
        REQUIRE(report_pkg_hash(&p, hash) == 0);
        snprintf(id, sizeof id, "\"SPDXRef-Package-npm-dup-%s\"", hash);
        CHECK(strstr(s, id));
        snprintf(id, sizeof id, "\"SPDXRef-Package-npm-dup-%s-2\"", hash);
        CHECK(strstr(s, id));
        free(s);
        s = render(r, REPORT_CYCLONEDX, &o, &e);
        CHECK_INT(e, 0);
        CHECK(strstr(s, "-2\""));
        free(s);
        fixture_free(r);
}

/* A deterministic stand-in for a fuzz run: random bytes (weighted towards what the parsers care about)
 * through every string helper. Under ASan/UBSan this finds out-of-bounds reads on truncated sequences. */
TEST(random_strings) {
        static const char alphabet[] =
                "()+: \tANDORWITHandorwithMITApache-2.0GPL-2.0-onlyLicenseRef-\xc3\xa9\xe2\x80"
                "\xae\xf0\x9f\x90\xb3\xff\x1b\n";
        uint64_t seed = 0x9e3779b97f4a7c15u;
        char s[96];

        for (int iter = 0; iter < 20000; iter++) {
                struct arena *a = arena_new(0);
                size_t n = 0, len;
                seed = seed * 6364136223846793005u + 1442695040888963407u;
                len = (size_t) (seed >> 58); /* 0..63 */
                for (; n < len; n++) {
                        seed = seed * 6364136223846793005u + 1442695040888963407u;
                        uint8_t r = (uint8_t) (seed >> 56);
                        s[n] = r < 200 ? alphabet[r % (sizeof alphabet - 1)] : (char) (r | 1);
                }
                s[n] = 0;
                const char *c;
                enum spdx_license_kind k = spdx_license_classify(a, s, &c);
                if (k != SPDX_LICENSE_INVALID) {
                        /* What we call valid re-parses to itself. */
                        const char *c2;
                        CHECK_INT(spdx_license_classify(a, c, &c2), k);
                        CHECK_STR(c2, c);
                }
                const char *u = report_utf8(a, s), *t = report_term(a, s);
                REQUIRE(u && t);
                json_t *j = json_string(u); /* jansson checks UTF-8 itself */
                CHECK(j);
                json_decref(j);
                for (size_t w = 1; w < 8; w++) {
                        CHECK(report_text_width(report_truncate(a, t, w, false)) <= w);
                        CHECK(report_text_width(report_truncate(a, t, w, true)) <= w);
                }
                CHECK(report_idstring(a, s, 64) != NULL);
                arena_free(a);
        }
}
