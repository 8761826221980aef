/* SPDX-License-Identifier: Apache-2.0 */
/* Language catalogers: Python metadata, npm package.json and lockfiles. Inputs are real files copied from
 * this machine's Python installations and from npm installs (tests/data/inv-lang), and hand-made edge
 * cases. */

#include "../inv-os/inv-test-util.h"

/* ---- Python: which paths are records ---- */

static enum analyzer_mode py_match(const char *path) {
        struct layer_file f = {.path = path, .kind = LF_REG, .size = 10};
        return analyzer_python.match(&f);
}

TEST(python_match_rules) {
        static const char *const yes[] = {
                "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO",
                "usr/lib/python3/dist-packages/PyYAML-6.0.dist-info/METADATA",
                "usr/lib/python3/dist-packages/cryptography.egg-info/PKG-INFO",
                "usr/local/lib/python3.11/site-packages/requests-2.31.0.dist-info/METADATA",
                "opt/venv/lib/python3.12/site-packages/pip-24.0.dist-info/METADATA",
                "usr/lib/python2.7/wsgiref.egg-info",
                "usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info",
                "usr/lib/python3.11/site-packages/foo-1.0-py3.11.egg/EGG-INFO/PKG-INFO",
                "app/deps/flask-3.0.0.dist-info/METADATA", /* pip install --target */
                "src/project/project.egg-info/PKG-INFO",   /* pip install -e */
                "x.dist-info/METADATA",
        };
        static const char *const no[] = {
                /* vendored copies and test data below site-packages */
                "usr/lib/python3.12/site-packages/setuptools/_vendor/packaging-24.0.dist-info/METADATA",
                "usr/lib/python3/dist-packages/pkg_resources/tests/data/x.egg/EGG-INFO/PKG-INFO",
                "usr/lib/python3/dist-packages/a/b.egg-info",
                /* not records */
                "usr/lib/python3/dist-packages/x.dist-info/RECORD",
                "usr/lib/python3/dist-packages/x.dist-info/PKG-INFO",
                "usr/lib/python3/dist-packages/x.egg-info/METADATA",
                "usr/lib/python3/dist-packages/.dist-info/METADATA",
                "usr/lib/python3/dist-packages/.egg-info",
                "usr/lib/python3/dist-packages/METADATA",
                "METADATA",
                "PKG-INFO",
                "EGG-INFO/PKG-INFO",
                "a/.egg/EGG-INFO/PKG-INFO",
                "a/EGG-INFO/PKG-INFO",
                "usr/lib/python3/dist-packages/x.egg-info/PKG-INFO.orig",
        };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (py_match(yes[i]) != ANALYZE_BUFFER) {
                        fprintf(stderr, "should match: %s\n", yes[i]);
                        tests_failed_checks++;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (py_match(no[i]) != ANALYZE_NONE) {
                        fprintf(stderr, "should not match: %s\n", no[i]);
                        tests_failed_checks++;
                }
}

/* ---- Python: real metadata ---- */

TEST(python_real_metadata) {
        struct inv_test t;
        inv_begin(&t);
        static const struct {
                const char *file, *path, *name, *version, *licenses;
        } cases[] = {
                {"requests-METADATA", "usr/lib/python3.11/site-packages/requests-2.34.2.dist-info/METADATA",
                 "requests", "2.34.2", "Apache-2.0"},
                {"cryptography-METADATA",
                 "usr/lib/python3.11/site-packages/cryptography-48.0.0.dist-info/METADATA", "cryptography",
                 "48.0.0", "Apache-2.0 OR BSD-3-Clause"},
                {"docutils-METADATA", "usr/lib/python3.11/site-packages/docutils-0.19.dist-info/METADATA",
                 "docutils", "0.19", "public domain, Python, 2-Clause BSD, GPL 3 (see COPYING.txt)"},
                /* no License field: the classifier */
                {"jinja2-METADATA", "usr/lib/python3.11/site-packages/jinja2-3.1.6.dist-info/METADATA",
                 "Jinja2", "3.1.6", "BSD License"},
                /* License holds the whole license text: the classifier instead */
                {"traitlets-METADATA",
                 "usr/lib/python3.11/site-packages/traitlets-5.15.0.dist-info/METADATA", "traitlets",
                 "5.15.0", "BSD License"},
                {"six-deb-PKG-INFO", "usr/lib/python3/dist-packages/six-1.16.0.egg-info/PKG-INFO", "six",
                 "1.16.0", "MIT"},
                {"cryptography-deb-PKG-INFO", "usr/lib/python3/dist-packages/cryptography.egg-info/PKG-INFO",
                 "cryptography", "38.0.4", "BSD-3-Clause OR Apache-2.0"},
                {"wsgiref.egg-info", "usr/lib/python2.7/wsgiref.egg-info", "wsgiref", "0.1.2", "PSF or ZPL"},
        };
        char rel[256];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(rel, sizeof rel, "tests/data/inv-lang/python/%s", cases[i].file);
                CHECK_INT(inv_feed_data(&t, cases[i].path, rel), 0);
        }
        CHECK_INT(inv_count_type(&t, PKG_PYTHON), ELEMENTSOF(cases));
        CHECK_INT(inv_n_warnings(&t), 0);
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct pkg *p = NULL;
                VEC_FOREACH (q, &inv_res(&t)->pkgs)
                        if (streq(q->record_path, cases[i].path))
                                p = q;
                REQUIRE(p);
                CHECK_INT(p->type, PKG_PYTHON);
                CHECK_STR(p->name, cases[i].name);
                CHECK_STR(p->version, cases[i].version);
                CHECK_STR(inv_licenses(p), cases[i].licenses);
                CHECK(p->flags == 0 && p->source_name == NULL && p->arch == NULL);
        }
        inv_end(&t);
}

TEST(python_edge_cases) {
        struct inv_test t;
        inv_begin(&t);
        const char *dir = "usr/lib/python3/dist-packages/";
        char path[256];
#define FEED(n, s) \
        (snprintf(path, sizeof path, "%s%s.dist-info/METADATA", dir, n), inv_feed_str(&t, path, s))
        CHECK_INT(FEED("crlf", "Metadata-Version: 2.1\r\nName: crlf\r\nVersion: 1.0\r\nLicense: MIT\r\n\r\n"
                               "License: not a header\r\n"),
                  0);
        CHECK_STR(inv_licenses(inv_pkg(&t, "crlf")), "MIT");
        CHECK_INT(FEED("first", "Name: first\nVersion: 1\nName: second\nVersion: 2\n"), 0);
        CHECK_STR(inv_pkg(&t, "first")->version, "1");
        CHECK(inv_pkg(&t, "second") == NULL);
        CHECK_INT(FEED("noversion", "Name: noversion\n"), 0);
        CHECK(inv_pkg(&t, "noversion") == NULL);
        CHECK(inv_warned(&t, "noversion.dist-info"));
        CHECK_INT(FEED("noname", "Version: 1\n"), 0);
        CHECK_INT(FEED("body", "Name: body\n\nVersion: 1\n"), 0); /* Version is in the body */
        CHECK(inv_pkg(&t, "body") == NULL);
        CHECK_INT(FEED("unknown", "Name: unknown\nVersion: 1\nLicense: UNKNOWN\n"
                                  "Classifier: License :: OSI Approved :: MIT License\n"
                                  "Classifier: License :: OSI Approved :: Apache Software License\n"
                                  "Classifier: License :: OSI Approved :: MIT License\n"
                                  "Classifier: License :: OSI Approved\n"),
                  0);
        CHECK_STR(inv_licenses(inv_pkg(&t, "unknown")), "MIT License|Apache Software License");
        CHECK_INT(FEED("expr",
                       "Name: expr\nVersion: 1\nLicense: MIT\nLicense-Expression: MIT OR Apache-2.0\n"),
                  0);
        CHECK_STR(inv_licenses(inv_pkg(&t, "expr")), "MIT OR Apache-2.0");
        CHECK_INT(FEED("blankcont", "Name: blankcont\nVersion: 1\nLicense: BSD\n        \n        \n"), 0);
        CHECK_STR(inv_licenses(inv_pkg(&t, "blankcont")), "BSD");
        CHECK_INT(
                FEED("text",
                     "Name: text\nVersion: 1\nLicense: Copyright (c) 2020\n        Permission is granted\n"),
                0);
        CHECK_STR(inv_licenses(inv_pkg(&t, "text")), "");
        CHECK(inv_pkg(&t, "text")->licenses == NULL);
        CHECK_INT(FEED("badutf", "Name: bad\xff\nVersion: 1\n"), 0);
        CHECK(inv_pkg(&t, "bad\xff") == NULL);
        CHECK_INT(FEED("spaces", "Name:   spaced name  \nVersion:\t2.0 \n"), 0);
        CHECK_STR(inv_pkg(&t, "spaced name")->version, "2.0");
        CHECK_INT(FEED("garbage", "\x01\x02\x03\n\xff\xfe\n"), 0);
        char big[5000];
        memset(big, 'x', sizeof big - 1);
        big[sizeof big - 1] = 0;
        char *s = malloc(sizeof big + 100);
        REQUIRE(s);
        sprintf(s, "Name: long\nVersion: 1\nLicense: %s\n", big);
        CHECK_INT(FEED("long", s), 0);
        free(s);
        CHECK(inv_pkg(&t, "long")->licenses == NULL);
#undef FEED
        inv_end(&t);
}

/* ---- npm package.json ---- */

static enum analyzer_mode npm_match(const struct analyzer *a, const char *path) {
        struct layer_file f = {.path = path, .kind = LF_REG, .size = 10};
        return a->match(&f);
}

TEST(npm_package_match_rules) {
        static const char *const yes[] = {
                "app/node_modules/debug/package.json",
                "app/node_modules/@babel/core/package.json",
                "app/node_modules/debug/node_modules/ms/package.json",
                "node_modules/x/package.json",
                "usr/lib/node_modules/npm/package.json",
                "usr/lib/node_modules/npm/node_modules/@npmcli/arborist/package.json",
                "app/node_modules/.pnpm/lodash@4.17.21/node_modules/lodash/package.json",
                "usr/share/nodejs/debug/package.json",
                "usr/share/nodejs/@types/node/package.json",
                "usr/lib/nodejs/acorn/package.json",
                "usr/lib/x86_64-linux-gnu/nodejs/bufferutil/package.json",
        };
        static const char *const no[] = {
                "app/package.json",
                "package.json",
                "app/node_modules/package.json",
                "app/node_modules/.package-lock.json",
                "app/node_modules/.bin/package.json",
                "app/node_modules/@scope/package.json",
                "app/node_modules/debug/lib/package.json",
                "app/node_modules/debug/dist/esm/package.json",
                "app/node_modules/@babel/core/lib/package.json",
                "app/node_modules/@/x/package.json",
                "usr/share/nodejs/package.json",
                "usr/share/nodejs/debug/lib/package.json",
                "usr/share/nodejsx/debug/package.json",
                "usr/lib/a/b/nodejs/x/package.json",
                "usr/lib/x86_64-linux-gnu/nodejs/package.json",
                "srv/share/nodejs/debug/package.json",
                "app/node_modules/debug/package.json.bak",
        };
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (npm_match(&analyzer_npm_package, yes[i]) != ANALYZE_BUFFER) {
                        fprintf(stderr, "should match: %s\n", yes[i]);
                        tests_failed_checks++;
                }
        for (size_t i = 0; i < ELEMENTSOF(no); i++)
                if (npm_match(&analyzer_npm_package, no[i]) != ANALYZE_NONE) {
                        fprintf(stderr, "should not match: %s\n", no[i]);
                        tests_failed_checks++;
                }
        CHECK_INT(npm_match(&analyzer_npm_lock, "app/package-lock.json"), ANALYZE_BUFFER);
        CHECK_INT(npm_match(&analyzer_npm_lock, "package-lock.json"), ANALYZE_BUFFER);
        CHECK_INT(npm_match(&analyzer_npm_lock, "app/npm-shrinkwrap.json"), ANALYZE_BUFFER);
        CHECK_INT(npm_match(&analyzer_npm_lock, "app/node_modules/.package-lock.json"), ANALYZE_NONE);
        CHECK_INT(npm_match(&analyzer_npm_lock, "app/node_modules/x/package-lock.json"), ANALYZE_NONE);
        CHECK_INT(npm_match(&analyzer_npm_lock, "app/yarn.lock"), ANALYZE_NONE);
}

TEST(npm_package_real_and_licenses) {
        struct inv_test t;
        inv_begin(&t);
        CHECK_INT(inv_feed_data(&t, "app/node_modules/debug/package.json",
                                "tests/data/inv-lang/npm/debug-package.json"),
                  0);
        CHECK_INT(inv_feed_data(&t, "app/node_modules/my-ms/package.json",
                                "tests/data/inv-lang/npm/my-ms-package.json"),
                  0);
        CHECK_INT(inv_feed_data(&t, "app/node_modules/@isaacs/string-locale-compare/package.json",
                                "tests/data/inv-lang/npm/string-locale-compare-package.json"),
                  0);
        const struct pkg *p = inv_pkg(&t, "debug");
        REQUIRE(p);
        CHECK_INT(p->type, PKG_NPM);
        CHECK_STR(p->version, "2.6.9");
        CHECK_STR(inv_licenses(p), "MIT");
        CHECK_STR(p->record_path, "app/node_modules/debug/package.json");
        CHECK(p->flags == 0 && p->inner_path == NULL);
        p = inv_pkg(&t, "ms"); /* installed under the alias my-ms */
        REQUIRE(p);
        CHECK_STR(p->version, "2.1.2");
        CHECK_STR(p->record_path, "app/node_modules/my-ms/package.json");
        p = inv_pkg(&t, "@isaacs/string-locale-compare");
        REQUIRE(p);
        CHECK_STR(inv_licenses(p), "ISC");

        static const struct {
                const char *json, *name, *licenses;
        } cases[] = {
                {"{\"name\":\"obj\",\"version\":\"1.0.0\",\"license\":{\"type\":\"BSD\",\"url\":\"x\"}}",
                 "obj", "BSD"},
                {"{\"name\":\"arr\",\"version\":\"1.0.0\",\"licenses\":[{\"type\":\"MIT\"},{\"type\":"
                 "\"Apache-2.0\"},"
                 "\"GPL-2.0\",{\"type\":3},null]}",
                 "arr", "MIT|Apache-2.0|GPL-2.0"},
                {"{\"name\":\"larr\",\"version\":\"1.0.0\",\"license\":[\"MIT\",{\"type\":\"ISC\"}]}",
                 "larr", "MIT|ISC"},
                {"{\"name\":\"expr\",\"version\":\"1.0.0\",\"license\":\"(MIT OR Apache-2.0)\"}", "expr",
                 "(MIT OR Apache-2.0)"},
                {"{\"name\":\"nolic\",\"version\":\"1.0.0\",\"license\":42}", "nolic", ""},
                {"{\"name\":\"both\",\"version\":\"1\",\"license\":\"MIT\",\"licenses\":[{\"type\":\"X\"}]}",
                 "both", "MIT"},
        };
        char path[128];
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                snprintf(path, sizeof path, "node_modules/%s/package.json", cases[i].name);
                CHECK_INT(inv_feed_str(&t, path, cases[i].json), 0);
                p = inv_pkg(&t, cases[i].name);
                REQUIRE(p);
                CHECK_STR(inv_licenses(p), cases[i].licenses);
        }
        inv_end(&t);
}

TEST(npm_package_rejects) {
        struct inv_test t;
        inv_begin(&t);
        static const char *const bad[] = {
                "{\"name\":\"noversion\"}",
                "{\"version\":\"1.0.0\"}",
                "{\"name\":1,\"version\":\"1.0.0\"}",
                "{\"name\":\"a\",\"version\":[1]}",
                "{\"name\":\"nul\\u0000x\",\"version\":\"1.0.0\"}",
                "{\"name\":\"sp ace\",\"version\":\"1.0.0\"}",
                "{\"name\":\"\",\"version\":\"1.0.0\"}",
                "[\"name\",\"version\"]",
                "{\"name\":\"dup\",\"name\":\"dup\",\"version\":\"1\"}",
                "{\"name\":\"trunc\",\"version\":\"1",
                "\xef\xbb\xbf{\"name\":\"bom\",\"version\":\"1\"}",
                "{\"name\":\"bad\xff\",\"version\":\"1\"}",
                "null",
                "",
        };
        char path[64];
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                snprintf(path, sizeof path, "node_modules/p%zu/package.json", i);
                CHECK_INT(inv_feed(&t, path, bad[i], strlen(bad[i]) ? strlen(bad[i]) : 1), 0);
        }
        CHECK_INT(inv_count_type(&t, PKG_NPM), 0);
        CHECK(inv_warned(&t, "node_modules/p9/package.json"));
        inv_end(&t);
}

/* ---- npm lockfiles ---- */

static const struct pkg *lock_pkg(struct inv_test *t, const char *inner) {
        VEC_FOREACH (p, &inv_res(t)->pkgs)
                if (p->type == PKG_NPM && streq_ptr(p->inner_path, inner))
                        return p;
        return NULL;
}

static void check_fixture_lock(struct inv_test *t) {
        static const struct {
                const char *inner, *name, *version;
                bool dev;
        } want[] = {
                {"node_modules/@isaacs/string-locale-compare", "@isaacs/string-locale-compare", "1.1.0",
                 false},
                {"node_modules/debug", "debug", "2.6.9", false},
                {"node_modules/debug/node_modules/ms", "ms", "2.0.0", false},
                {"node_modules/is-number", "is-number", "7.0.0", true},
                {"node_modules/ms", "ms", "2.1.3", false},
                {"node_modules/my-ms", "ms", "2.1.2", false},
        };
        CHECK_INT(inv_count_type(t, PKG_NPM), ELEMENTSOF(want));
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const struct pkg *p = lock_pkg(t, want[i].inner);
                if (!p) {
                        fprintf(stderr, "no lockfile entry at %s\n", want[i].inner);
                        tests_failed_checks++;
                        continue;
                }
                CHECK_STR(p->name, want[i].name);
                CHECK_STR(p->version, want[i].version);
                CHECK_STR(p->record_path, "srv/app/package-lock.json");
                CHECK_INT(p->flags, PKG_F_LOCKFILE | (want[i].dev ? PKG_F_NPM_DEV : 0));
                CHECK(p->licenses == NULL);
        }
}

TEST(npm_lock_real_v1_v2_v3) {
        for (int v = 1; v <= 3; v++) {
                struct inv_test t;
                char rel[128];
                inv_begin(&t);
                snprintf(rel, sizeof rel, "tests/data/inv-lang/npm/package-lock-v%d.json", v);
                CHECK_INT(inv_feed_data(&t, "srv/app/package-lock.json", rel), 0);
                CHECK_INT(inv_n_warnings(&t), 0);
                check_fixture_lock(&t);
                inv_end(&t);
        }
}

TEST(npm_lock_edge_cases) {
        struct inv_test t;
        inv_begin(&t);
        const char *v3 = "{\"lockfileVersion\":3,\"packages\":{"
                         "\"\":{\"name\":\"root\",\"version\":\"1.0.0\"},"
                         "\"node_modules/linked\":{\"resolved\":\"packages/linked\",\"link\":true},"
                         "\"packages/linked\":{\"name\":\"linked\",\"version\":\"0.1.0\"},"
                         "\"packages/noname\":{\"version\":\"0.1.0\"},"
                         "\"node_modules/noversion\":{},"
                         "\"node_modules/numver\":{\"version\":1},"
                         "\"node_modules/notobj\":\"x\","
                         "\"node_modules/a/node_modules/@s/"
                         "b\":{\"version\":\"2.0.0\",\"dev\":true,\"optional\":true},"
                         "\"node_modules/\":{\"version\":\"1.0.0\"},"
                         "\"node_modules/sp ace\":{\"version\":\"1.0.0\"}"
                         "}}";
        CHECK_INT(inv_feed_str(&t, "package-lock.json", v3), 0);
        CHECK(lock_pkg(&t, "node_modules/linked") == NULL);
        CHECK_STR(lock_pkg(&t, "packages/linked")->name, "linked");
        CHECK(lock_pkg(&t, "packages/noname") == NULL);
        CHECK(lock_pkg(&t, "node_modules/noversion") == NULL);
        CHECK(lock_pkg(&t, "node_modules/numver") == NULL);
        const struct pkg *p = lock_pkg(&t, "node_modules/a/node_modules/@s/b");
        REQUIRE(p);
        CHECK_STR(p->name, "@s/b");
        CHECK_INT(p->flags, PKG_F_LOCKFILE | PKG_F_NPM_DEV);
        CHECK_INT(inv_count_type(&t, PKG_NPM), 2);
        CHECK(inv_warned(&t, "malformed"));

        /* v2 with both maps: "packages" wins; v1 aliases, URLs and file: links */
        const char *v1 = "{\"lockfileVersion\":1,\"dependencies\":{"
                         "\"alias\":{\"version\":\"npm:@scope/real@1.2.3\"},"
                         "\"badalias\":{\"version\":\"npm:nover\"},"
                         "\"git\":{\"version\":\"git+https://example.invalid/x.git#abc\"},"
                         "\"local\":{\"version\":\"file:../local\"},"
                         "\"novers\":{\"dependencies\":{\"inner\":{\"version\":\"1.0.0\"}}},"
                         "\"num\":{\"version\":7}"
                         "}}";
        CHECK_INT(inv_feed_str(&t, "v1/npm-shrinkwrap.json", v1), 0);
        p = lock_pkg(&t, "node_modules/alias");
        REQUIRE(p);
        CHECK_STR(p->name, "@scope/real");
        CHECK_STR(p->version, "1.2.3");
        CHECK(lock_pkg(&t, "node_modules/badalias") == NULL);
        CHECK(lock_pkg(&t, "node_modules/git") == NULL);
        CHECK(lock_pkg(&t, "node_modules/local") == NULL);
        CHECK(lock_pkg(&t, "node_modules/novers") == NULL);
        CHECK_STR(lock_pkg(&t, "node_modules/novers/node_modules/inner")->version, "1.0.0");
        CHECK_INT(inv_count_type(&t, PKG_NPM), 4);

        const char *v2 = "{\"lockfileVersion\":2,\"packages\":{\"node_modules/p\":{\"version\":\"1.0.0\"}},"
                         "\"dependencies\":{\"p\":{\"version\":\"1.0.0\"}}}";
        CHECK_INT(inv_feed_str(&t, "v2/package-lock.json", v2), 0);
        CHECK_INT(inv_count_type(&t, PKG_NPM), 5);

        /* lockfileVersion written as a string: "packages" decides */
        CHECK_INT(inv_feed_str(&t, "v3s/package-lock.json",
                               "{\"lockfileVersion\":\"3\",\"packages\":{\"node_modules/"
                               "q\":{\"version\":\"1.0.0\"}}}"),
                  0);
        CHECK_INT(inv_count_type(&t, PKG_NPM), 6);

        static const char *const bad[] = {"[]", "{", "{\"lockfileVersion\":3,\"packages\":[]}", "\"x\""};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++)
                CHECK_INT(inv_feed_str(&t, "bad/package-lock.json", bad[i]), 0);
        CHECK_INT(inv_count_type(&t, PKG_NPM), 6);
        inv_end(&t);
}

TEST(npm_lock_deep_nesting_is_capped) {
        struct inv_test t;
        inv_begin(&t);
        size_t depth = 1000;
        char *s = malloc(depth * 64 + 64);
        REQUIRE(s);
        size_t k = (size_t) sprintf(s, "{\"lockfileVersion\":1,\"dependencies\":");
        for (size_t i = 0; i < depth; i++)
                k += (size_t) sprintf(s + k, "{\"d%zu\":{\"version\":\"1.0.0\",\"dependencies\":", i);
        k += (size_t) sprintf(s + k, "{}");
        for (size_t i = 0; i < depth; i++)
                k += (size_t) sprintf(s + k, "}}");
        k += (size_t) sprintf(s + k, "}");
        CHECK_INT(inv_feed(&t, "package-lock.json", s, k), 0);
        free(s);
        size_t n = inv_count_type(&t, PKG_NPM);
        CHECK(n > 0 && n <= 64);
        CHECK(inv_warned(&t, "deeper"));
        inv_end(&t);

        /* Deeper than jansson's own limit: a parse error, not a crash. */
        inv_begin(&t);
        depth = 5000;
        s = malloc(depth * 2 + 2);
        REQUIRE(s);
        memset(s, '[', depth);
        memset(s + depth, ']', depth);
        CHECK_INT(inv_feed(&t, "package-lock.json", s, depth * 2), 0);
        free(s);
        CHECK(inv_warned(&t, "package-lock.json"));
        inv_end(&t);
}

TEST(npm_lock_long_location_is_bounded) {
        struct inv_test t;
        inv_begin(&t);
        /* Long names nested: the built location would pass PATH_MAX_IMAGE. */
        char name[251];
        memset(name, 'n', 250);
        name[250] = 0;
        size_t depth = 30;
        char *s = malloc(depth * 300 + 64);
        REQUIRE(s);
        size_t k = (size_t) sprintf(s, "{\"dependencies\":");
        for (size_t i = 0; i < depth; i++)
                k += (size_t) sprintf(s + k, "{\"%s\":{\"version\":\"1.0.%zu\",\"dependencies\":", name, i);
        k += (size_t) sprintf(s + k, "{}");
        for (size_t i = 0; i < depth; i++)
                k += (size_t) sprintf(s + k, "}}");
        k += (size_t) sprintf(s + k, "}");
        CHECK_INT(inv_feed(&t, "package-lock.json", s, k), 0);
        free(s);
        size_t n = inv_count_type(&t, PKG_NPM);
        CHECK(n >= 10 && n < depth);
        CHECK(inv_warned(&t, "deeper"));
        VEC_FOREACH (p, &inv_res(&t)->pkgs)
                CHECK(strlen(p->inner_path) <= 4096);
        inv_end(&t);
}
