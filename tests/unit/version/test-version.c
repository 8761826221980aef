/* SPDX-License-Identifier: Apache-2.0 */
/* Version schemes against the vectors transcribed from each tool's own test suite (the files in vectors/,
 * whose headers cite their sources), plus the OSV range check, ecosystem names, hostile inputs, order
 * properties on generated versions, and a throughput figure per scheme (printed, not asserted). */

#include <time.h>

#include "tests.h"
#include "version/version-internal.h"
#include "version/version.h"

/* --- vector files ----------------------------------------------------------------------------------- */

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* Undoes the .vec escapes in place. */
static char *unescape(char *s) {
        char *o = s, *r = s;
        if (streq(s, "\\e")) {
                *s = 0;
                return s;
        }
        while (*r) {
                if (*r != '\\') {
                        *o++ = *r++;
                        continue;
                }
                r++;
                switch (*r) {
                case 't':
                        *o++ = '\t';
                        r++;
                        break;
                case 'n':
                        *o++ = '\n';
                        r++;
                        break;
                case 'r':
                        *o++ = '\r';
                        r++;
                        break;
                case 'x':
                        *o++ = (char) (hexval(r[1]) * 16 + hexval(r[2]));
                        r += 3;
                        break;
                default: *o++ = *r++; break;
                }
        }
        *o = 0;
        return s;
}

static int expect_sign(const char *op) {
        return streq(op, "<") ? -1 : streq(op, ">") ? 1 : 0;
}

struct vec_stats {
        unsigned cmp, valid, invalid, order_pairs;
};

static void check_cmp(enum version_scheme s, const char *a, const char *b, int want, const char *file,
                      unsigned line) {
        int x = 2, y = 2;
        int r1 = version_compare(s, a, b, &x), r2 = version_compare(s, b, a, &y);
        if (r1 != 0 || r2 != 0 || v_sign(x) != want || v_sign(y) != -want) {
                fprintf(stderr, "%s:%u: %s: compare(\"%s\", \"%s\") = %d/%d (r=%d/%d), want %d\n", file,
                        line, version_scheme_to_string(s), a, b, x, y, r1, r2, want);
                tests_failed_checks++;
        }
}

static void run_vectors(enum version_scheme s, const char *name, struct vec_stats *st) {
        char path[256];
        snprintf(path, sizeof path, "tests/unit/version/vectors/%s", name);
        char *text = test_read_file(test_srcpath(path), NULL);
        char *order[512];
        int group[512];
        size_t n_order = 0;
        unsigned lineno = 0;

        *st = (struct vec_stats){};
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                lineno++;
                if (line[0] == '#' || !line[0])
                        continue;
                char *f[4] = {};
                size_t nf = 0;
                for (char *s2 = NULL, *t = strtok_r(line, "\t", &s2); t && nf < 4;
                     t = strtok_r(NULL, "\t", &s2))
                        f[nf++] = t;
                for (size_t i = 1; i < nf; i++)
                        if (!(nf == 4 && i == 2))
                                unescape(f[i]);

                if ((streq(f[0], "cmp") || streq(f[0], "anycmp")) && nf == 4) {
                        int want = expect_sign(f[2]);
                        st->cmp++;
                        if (streq(f[0], "cmp")) {
                                check_cmp(s, f[1], f[3], want, name, lineno);
                                continue;
                        }
                        /* apk only: apk's comparator orders invalid versions too; ours refuses them. */
                        int x = version_apk_compare_any(f[1], f[3]), y = version_apk_compare_any(f[3], f[1]),
                            z;
                        if (v_sign(x) != want || v_sign(y) != -want ||
                            version_compare(s, f[1], f[3], &z) != -EINVAL) {
                                fprintf(stderr, "%s:%u: apk any-compare(\"%s\", \"%s\") = %d/%d, want %d\n",
                                        name, lineno, f[1], f[3], x, y, want);
                                tests_failed_checks++;
                        }
                } else if ((streq(f[0], "valid") || streq(f[0], "invalid")) && nf == 2) {
                        bool want = streq(f[0], "valid");
                        int c = 2, r = version_compare(s, f[1], f[1], &c);
                        want ? st->valid++ : st->invalid++;
                        if (version_valid(s, f[1]) != want || (want ? r != 0 || c != 0 : r != -EINVAL)) {
                                fprintf(stderr,
                                        "%s:%u: %s: \"%s\" should be %s (compare to itself: %d, %d)\n", name,
                                        lineno, version_scheme_to_string(s), f[1], f[0], r, c);
                                tests_failed_checks++;
                        }
                } else if ((streq(f[0], "order") || streq(f[0], "same")) && nf == 2) {
                        if (n_order == ELEMENTSOF(order))
                                abort();
                        group[n_order] = n_order == 0 ? 0 : group[n_order - 1] + streq(f[0], "order");
                        order[n_order++] = f[1];
                } else if (streq(f[0], "end")) {
                        for (size_t i = 0; i < n_order; i++)
                                for (size_t j = i; j < n_order; j++) {
                                        check_cmp(s, order[i], order[j], group[i] < group[j] ? -1 : 0, name,
                                                  lineno);
                                        st->order_pairs++;
                                }
                        n_order = 0;
                } else {
                        fprintf(stderr, "%s:%u: bad vector line\n", name, lineno);
                        tests_failed_checks++;
                }
        }
        CHECK_INT(n_order, 0);
        free(text);
        printf("  %-8s %-11s %4u comparisons, %3u valid, %3u invalid, %5u ordered pairs\n",
               version_scheme_to_string(s), name, st->cmp, st->valid, st->invalid, st->order_pairs);
        CHECK(st->cmp + st->valid + st->invalid + st->order_pairs > 0);
}

#define VECTOR_TEST(scheme, file)               \
        TEST(vectors_##scheme) {                \
                struct vec_stats st;            \
                run_vectors(scheme, file, &st); \
        }

VECTOR_TEST(VS_DPKG, "dpkg.vec")
VECTOR_TEST(VS_APK, "apk.vec")
TEST(vectors_apk_recorded) {
        struct vec_stats st;
        run_vectors(VS_APK, "apk-recorded.vec", &st);
}
VECTOR_TEST(VS_RPM, "rpm.vec")
VECTOR_TEST(VS_SEMVER, "semver.vec")
VECTOR_TEST(VS_GO, "go.vec")
VECTOR_TEST(VS_PEP440, "pep440.vec")
VECTOR_TEST(VS_MAVEN, "maven.vec")
VECTOR_TEST(VS_GEM, "gem.vec")
TEST(vectors_gem_recorded) {
        struct vec_stats st;
        run_vectors(VS_GEM, "gem-recorded.vec", &st);
}
VECTOR_TEST(VS_NUGET, "nuget.vec")
VECTOR_TEST(VS_GENERIC, "generic.vec")

/* --- names --------------------------------------------------------------------------------------------- */

TEST(ecosystem_names) {
        static const struct {
                const char *eco;
                int scheme;
        } cases[] = {
                {"Debian", VS_DPKG},
                {"Debian:12", VS_DPKG},
                {"Ubuntu:22.04:LTS", VS_DPKG},
                {"Ubuntu:Pro:18.04:LTS", VS_DPKG},
                {"Alpine:v3.18", VS_APK},
                {"Wolfi", VS_APK},
                {"Chainguard", VS_APK},
                {"AlmaLinux:9", VS_RPM},
                {"Rocky Linux:9", VS_RPM},
                {"Red Hat", VS_RPM},
                {"Red Hat:rhel_aus:8.4::appstream", VS_RPM},
                {"SUSE:Linux Enterprise Server 15 SP5", VS_RPM},
                {"openSUSE:Leap 15.5", VS_RPM},
                {"PyPI", VS_PEP440},
                {"pypi", VS_PEP440},
                {"Go", VS_GO},
                {"npm", VS_SEMVER},
                {"crates.io", VS_SEMVER},
                {"Maven", VS_MAVEN},
                {"Maven:https://repo.maven.apache.org/maven2/", VS_MAVEN},
                {"RubyGems", VS_GEM},
                {"NuGet", VS_NUGET},
                {"Packagist", VS_GENERIC},
                {"Hackage", VS_GENERIC},
                {"GIT", -EINVAL},
                {"", -EINVAL},
                {"Debia", -EINVAL},
                {"Debian12", -EINVAL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++)
                if (version_scheme_for_ecosystem(cases[i].eco) != cases[i].scheme) {
                        fprintf(stderr, "ecosystem \"%s\": %d, want %d\n", cases[i].eco,
                                version_scheme_for_ecosystem(cases[i].eco), cases[i].scheme);
                        tests_failed_checks++;
                }
        CHECK_INT(version_scheme_for_ecosystem(NULL), -EINVAL);
        CHECK_INT(version_scheme_for_purl_type("deb"), VS_DPKG);
        CHECK_INT(version_scheme_for_purl_type("golang"), VS_GO);
        CHECK_INT(version_scheme_for_purl_type("cargo"), VS_SEMVER);
        CHECK_INT(version_scheme_for_purl_type("nope"), -EINVAL);
        for (int s = 0; s < _VERSION_SCHEME_MAX; s++)
                CHECK_INT(version_scheme_from_string(version_scheme_to_string(s)), s);
        CHECK(version_scheme_to_string(_VERSION_SCHEME_MAX) == NULL);
        CHECK_INT(version_scheme_from_string("x"), -EINVAL);

        int r;
        CHECK_INT(version_compare(_VERSION_SCHEME_MAX, "1", "1", &r), -EINVAL);
        CHECK_INT(version_compare((enum version_scheme) - 1, "1", "1", &r), -EINVAL);
        CHECK_INT(version_compare(VS_DPKG, NULL, "1", &r), -EINVAL);
        CHECK(!version_valid(_VERSION_SCHEME_MAX, "1"));
        CHECK(!version_valid(VS_MAVEN, NULL));
}

TEST(rpm_helpers) {
        int r = 7;
        CHECK_INT(version_rpmvercmp("1.0~rc1", "1.0"), -1);
        CHECK_INT(version_rpmvercmp("1.0^git1", "1.0"), 1);
        CHECK_INT(version_rpmvercmp("1.0", "1_0"), 0);
        CHECK_INT(version_rpmvercmp("1:1", "2"), -1); /* no EVR splitting: "1" < "2" first */
        CHECK_INT(version_rpm_evr_compare(NULL, "1.0", "1.el9", "0", "1.0", "1.el9", &r), 0);
        CHECK_INT(r, 0);
        CHECK_INT(version_rpm_evr_compare("1", "1.0", "1", "", "9.9", "9", &r), 0);
        CHECK_INT(r, 1);
        CHECK_INT(version_rpm_evr_compare(NULL, "1.0", NULL, NULL, "1.0", "0", &r), 0);
        CHECK_INT(r, -1);
        CHECK_INT(version_rpm_evr_compare(NULL, "1.0", "1.el9_3", NULL, "1.0", "1.el9", &r), 0);
        CHECK_INT(r, 1);
        CHECK_INT(version_rpm_evr_compare("x", "1.0", NULL, NULL, "1.0", NULL, &r), -EINVAL);
        CHECK_INT(version_rpm_evr_compare(NULL, NULL, NULL, NULL, "1.0", NULL, &r), -EINVAL);
        /* The same as VS_RPM on the joined string. */
        static const char *const evr[][3] = {
                {"2", "1.0", "3"},  {NULL, "1.0~beta", "1"}, {"0", "1.0", NULL},
                {NULL, "1.0", "1"}, {"1", "0.1", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(evr); i++)
                for (size_t j = 0; j < ELEMENTSOF(evr); j++) {
                        char a[64], b[64];
                        int x = 7, y = 9;
                        snprintf(a, sizeof a, "%s%s%s%s%s", evr[i][0] ? evr[i][0] : "", evr[i][0] ? ":" : "",
                                 evr[i][1], evr[i][2] ? "-" : "", evr[i][2] ? evr[i][2] : "");
                        snprintf(b, sizeof b, "%s%s%s%s%s", evr[j][0] ? evr[j][0] : "", evr[j][0] ? ":" : "",
                                 evr[j][1], evr[j][2] ? "-" : "", evr[j][2] ? evr[j][2] : "");
                        CHECK_INT(version_compare(VS_RPM, a, b, &x), 0);
                        CHECK_INT(version_rpm_evr_compare(evr[i][0], evr[i][1], evr[i][2], evr[j][0],
                                                          evr[j][1], evr[j][2], &y),
                                  0);
                        CHECK_INT(v_sign(x), v_sign(y));
                }
}

/* --- OSV ranges ---------------------------------------------------------------------------------------- */

#define EV(k, v) ((struct version_event){EV_##k, (v)})

static void check_range(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                        int want, int line) {
        bool got = !want;
        int r = version_in_range(s, v, ev, n, &got);
        if (want < 0 ? r != want : r != 0 || got != (bool) want) {
                fprintf(stderr, "test-version.c:%d: in_range(%s, \"%s\") = %d (r=%d), want %d\n", line,
                        version_scheme_to_string(s), v, got, r, want);
                tests_failed_checks++;
        }
}
#define RANGE(s, v, ev, want) check_range(s, v, ev, ELEMENTSOF(ev), want, __LINE__)

TEST(osv_range_basic) {
        const struct version_event simple[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.6.0")};
        RANGE(VS_GO, "0.0.1", simple, 1);
        RANGE(VS_GO, "v1.5.9", simple, 1);
        RANGE(VS_GO, "1.6.0-rc.1", simple, 1);
        RANGE(VS_GO, "1.6.0", simple, 0);
        RANGE(VS_GO, "v1.7.0", simple, 0);
        RANGE(VS_GO, "bad", simple, -EINVAL);

        /* Two ranges in one event list, unsorted. */
        const struct version_event two[] = {EV(FIXED, "2.2.5"), EV(INTRODUCED, "2.2.0"), EV(FIXED, "1.4.3"),
                                            EV(INTRODUCED, "1.0")};
        RANGE(VS_PEP440, "0.9", two, 0);
        RANGE(VS_PEP440, "1.0", two, 1);
        RANGE(VS_PEP440, "1.0.0", two, 1);
        RANGE(VS_PEP440, "1.4.2", two, 1);
        RANGE(VS_PEP440, "1.4.3", two, 0);
        RANGE(VS_PEP440, "1.4.3.post1", two, 0);
        RANGE(VS_PEP440, "2.1", two, 0);
        RANGE(VS_PEP440, "2.2.0rc1", two, 0);
        RANGE(VS_PEP440, "2.2.0", two, 1);
        RANGE(VS_PEP440, "2.2.5.dev0", two, 1);
        RANGE(VS_PEP440, "2.2.5", two, 0);
        RANGE(VS_PEP440, "3", two, 0);

        /* last_affected includes its version. */
        const struct version_event la[] = {EV(LAST_AFFECTED, "1.2.3"), EV(INTRODUCED, "1.0.0")};
        RANGE(VS_SEMVER, "0.9.9", la, 0);
        RANGE(VS_SEMVER, "1.0.0-rc.1", la, 0);
        RANGE(VS_SEMVER, "1.0.0", la, 1);
        RANGE(VS_SEMVER, "1.2.3", la, 1);
        RANGE(VS_SEMVER, "1.2.3+build", la, 1);
        RANGE(VS_SEMVER, "1.2.4-0", la, 0);
        RANGE(VS_SEMVER, "1.2.4", la, 0);

        /* Introduced only: everything from there on. */
        const struct version_event open[] = {EV(INTRODUCED, "2:1.0-1")};
        RANGE(VS_DPKG, "1:9.9-9", open, 0);
        RANGE(VS_DPKG, "2:1.0-0", open, 0);
        RANGE(VS_DPKG, "2:1.0-1", open, 1);
        RANGE(VS_DPKG, "3:0", open, 1);

        /* No events, or no introduced: nothing is affected. */
        RANGE(VS_DPKG, "1.0", (struct version_event[]){EV(FIXED, "2.0")}, 0);
        CHECK_INT(version_in_range(VS_DPKG, "1.0", NULL, 0, &(bool){true}), 0);
        bool b = true;
        CHECK_INT(version_in_range(VS_DPKG, "1.0", NULL, 0, &b), 0);
        CHECK(!b);
}

TEST(osv_range_zero_and_ties) {
        /* "0" is before everything, even where "0" has versions below it. */
        const struct version_event zero[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.0")};
        const struct version_event zero3[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.0.0")};
        RANGE(VS_DPKG, "0~~", zero, 1);
        RANGE(VS_PEP440, "0.dev0", zero, 1);
        RANGE(VS_RPM, "0~beta", zero, 1);
        RANGE(VS_SEMVER, "0.0.0-0", zero3, 1);
        RANGE(VS_APK, "0_alpha", zero, 1);
        RANGE(VS_GEM, "0.a", zero, 1);
        RANGE(VS_MAVEN, "0-alpha", zero, 1);

        /* introduced X + fixed X written as a pair is empty (RUSTSEC-2024-0399); a fixed X before an
         * introduced X ends nothing, the introduced opens a range. */
        const struct version_event empty1[] = {EV(INTRODUCED, "1.0"), EV(FIXED, "1.0")};
        const struct version_event empty2[] = {EV(FIXED, "1.0"), EV(INTRODUCED, "1.0")};
        const struct version_event empty3[] = {EV(INTRODUCED, "0.1"), EV(FIXED, "0.2"),
                                               EV(INTRODUCED, "1.0"), EV(FIXED, "1.0")};
        const struct version_event empty4[] = {EV(FIXED, "0.2"), EV(INTRODUCED, "1.0"), EV(FIXED, "1.0"),
                                               EV(INTRODUCED, "0.1")};
        RANGE(VS_MAVEN, "1.0", empty1, 0);
        RANGE(VS_MAVEN, "2.0", empty1, 0);
        RANGE(VS_MAVEN, "0.9", empty2, 0);
        RANGE(VS_MAVEN, "1.0", empty2, 1);
        RANGE(VS_MAVEN, "0.1.5", empty3, 1);
        RANGE(VS_MAVEN, "1.0", empty3, 0);
        RANGE(VS_MAVEN, "1.0.1", empty3, 0);
        RANGE(VS_MAVEN, "0.1.5", empty4, 1); /* not alternating: the sorted walk, same answers */
        RANGE(VS_MAVEN, "1.0", empty4, 0);
        RANGE(VS_MAVEN, "1.0.1", empty4, 0);

        /* introduced X + last_affected X is just X; equal spellings count as equal. Reversed, the
         * last_affected closes nothing and the introduced opens a range. */
        const struct version_event just[] = {EV(INTRODUCED, "1.0"), EV(LAST_AFFECTED, "1.0")};
        const struct version_event just2[] = {EV(LAST_AFFECTED, "1.0"), EV(INTRODUCED, "1.0")};
        RANGE(VS_MAVEN, "1-rc1", just, 0);
        RANGE(VS_MAVEN, "1", just, 1);
        RANGE(VS_MAVEN, "1.0.0.ga", just, 1);
        RANGE(VS_MAVEN, "1.0-sp1", just, 0);
        RANGE(VS_MAVEN, "1-rc1", just2, 0);
        RANGE(VS_MAVEN, "1", just2, 1);
        RANGE(VS_MAVEN, "1.0-sp1", just2, 1);

        /* A range ending at X and another starting at X: X is affected (PYSEC-2022-236), whether the
         * list alternates or not. */
        const struct version_event adjacent[] = {EV(INTRODUCED, "0"),     EV(FIXED, "3.1.1"),
                                                 EV(INTRODUCED, "3.2.0"), EV(FIXED, "3.2.2"),
                                                 EV(INTRODUCED, "3.1.1"), EV(FIXED, "3.1.3")};
        const struct version_event adjacent2[] = {EV(FIXED, "3.1.1"), EV(INTRODUCED, "0"),
                                                  EV(INTRODUCED, "3.1.1"), EV(FIXED, "3.1.3")};
        RANGE(VS_GEM, "3.1.0", adjacent, 1);
        RANGE(VS_GEM, "3.1.1", adjacent, 1);
        RANGE(VS_GEM, "3.1.2", adjacent, 1);
        RANGE(VS_GEM, "3.1.3", adjacent, 0);
        RANGE(VS_GEM, "3.2.1", adjacent, 1);
        RANGE(VS_GEM, "3.1.1", adjacent2, 1);
        RANGE(VS_GEM, "3.1.2", adjacent2, 1);
        RANGE(VS_GEM, "3.1.3", adjacent2, 0);

        /* Overlapping intervals in one list (PYSEC-2021-114, wagtail): their union. */
        const struct version_event overlap[] = {EV(INTRODUCED, "2.11"), EV(FIXED, "2.11.7"),
                                                EV(INTRODUCED, "0"),    EV(FIXED, "2.11.6"),
                                                EV(INTRODUCED, "2.12"), EV(FIXED, "2.12.4")};
        RANGE(VS_PEP440, "2.10", overlap, 1);
        RANGE(VS_PEP440, "2.11.6", overlap, 1);
        RANGE(VS_PEP440, "2.11.7", overlap, 0);
        RANGE(VS_PEP440, "2.12.3", overlap, 1);
        RANGE(VS_PEP440, "2.12.4", overlap, 0);
}

TEST(osv_range_fixed_version) {
        const struct version_event ev[] = {EV(FIXED, "2.2.5"),       EV(INTRODUCED, "2.2.0"),
                                           EV(FIXED, "1.4.3"),       EV(INTRODUCED, "1.0"),
                                           EV(LAST_AFFECTED, "3.1"), EV(INTRODUCED, "3.0")};
        const char *fix = "x";
        bool affected = false;
        CHECK_INT(version_in_range_fixed(VS_PEP440, "1.2", ev, ELEMENTSOF(ev), &affected, &fix), 0);
        CHECK(affected);
        CHECK_STR(fix, "1.4.3");
        CHECK_INT(version_in_range_fixed(VS_PEP440, "2.2.1", ev, ELEMENTSOF(ev), &affected, &fix), 0);
        CHECK(affected);
        CHECK_STR(fix, "2.2.5");
        CHECK_INT(version_in_range_fixed(VS_PEP440, "3.0.5", ev, ELEMENTSOF(ev), &affected, &fix), 0);
        CHECK(affected);
        CHECK(fix == NULL); /* only a last_affected above: no fix known */
        CHECK_INT(version_in_range_fixed(VS_PEP440, "2.0", ev, ELEMENTSOF(ev), &affected, &fix), 0);
        CHECK(!affected);
        CHECK(fix == NULL);
        CHECK_INT(version_in_range_fixed(VS_PEP440, "bad", ev, ELEMENTSOF(ev), &affected, &fix), -EINVAL);
}

TEST(osv_range_limit) {
        const struct version_event lim[] = {EV(INTRODUCED, "1.0"), EV(LIMIT, "1.5")};
        RANGE(VS_RPM, "0.9", lim, 0);
        RANGE(VS_RPM, "1.0", lim, 1);
        RANGE(VS_RPM, "1.4.9", lim, 1);
        RANGE(VS_RPM, "1.5", lim, 0);
        RANGE(VS_RPM, "2.0", lim, 0);

        const struct version_event lims[] = {EV(LIMIT, "1.5"), EV(INTRODUCED, "0"), EV(LIMIT, "3.0"),
                                             EV(FIXED, "2.0")};
        RANGE(VS_APK, "1.6", lims, 1); /* below the second limit */
        RANGE(VS_APK, "2.0", lims, 0);
        RANGE(VS_APK, "3.1", lims, 0);

        const struct version_event star[] = {EV(INTRODUCED, "0"), EV(LIMIT, "*")};
        RANGE(VS_NUGET, "99.0", star, 1);
        const struct version_event starx[] = {EV(INTRODUCED, "0"), EV(LIMIT, "1.*")};
        RANGE(VS_NUGET, "99.0", starx, 1);
}

TEST(osv_range_errors) {
        bool b = false;
        const struct version_event bad[] = {EV(INTRODUCED, "0"), EV(FIXED, "not a version")};
        RANGE(VS_PEP440, "1.0", bad, -EINVAL);
        RANGE(VS_PEP440, "no", (struct version_event[]){EV(INTRODUCED, "0")}, -EINVAL);
        struct version_event odd[] = {{(enum version_event_kind) 7, "1.0"}};
        RANGE(VS_PEP440, "1.0", odd, -EINVAL);
        struct version_event null[] = {{EV_FIXED, NULL}};
        RANGE(VS_PEP440, "1.0", null, -EINVAL);
        CHECK_INT(version_in_range(VS_PEP440, "1.0", NULL, 1, &b), -EINVAL);
        CHECK_INT(version_in_range(_VERSION_SCHEME_MAX, "1.0", NULL, 0, &b), -EINVAL);
        CHECK(!b);
}

/* The events of real Go vulndb records (feeds in /work/shared/data are not in the repository; these are
 * transcribed from GO-2022-0969 and GO-2023-1571, stdlib net/http). */
TEST(osv_range_go_stdlib) {
        const struct version_event ev[] = {EV(INTRODUCED, "0"), EV(FIXED, "1.18.6"),
                                           EV(INTRODUCED, "1.19.0-0"), EV(FIXED, "1.19.1")};
        RANGE(VS_GO, "go1.18.5", ev, 1);
        RANGE(VS_GO, "go1.18.6", ev, 0);
        RANGE(VS_GO, "go1.19rc2", ev, 1);
        RANGE(VS_GO, "go1.19", ev, 1);
        RANGE(VS_GO, "go1.19.0", ev, 1);
        RANGE(VS_GO, "go1.19.1", ev, 0);
        RANGE(VS_GO, "go1.20.5 X:boringcrypto", ev, 0);
        RANGE(VS_GO, "v1.19.0", ev, 1);
}

/* Real advisories: every version OSV.dev lists as affected must be inside one of the entry's ranges
 * (corpus/pypi-ranges.txt, a fifth of the PyPA database; $STOCKADE_OSV_RANGES may name the full
 * extraction). Listed versions that are not PEP 440 (packaging refuses them too) are counted apart. */
TEST(osv_range_pypa_advisories) {
        const char *env = getenv("STOCKADE_OSV_RANGES");
        char *text =
                test_read_file(env ? env : test_srcpath("tests/unit/version/corpus/pypi-ranges.txt"), NULL);
        struct version_event ev[64];
        size_t range_start[16], n_ranges = 0, n_ev = 0;
        const char *id = "";
        size_t entries = 0, listed = 0, inside = 0, invalid = 0, outside = 0;

        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#')
                        continue;
                char *tab = strchr(line, '\t');
                switch (line[0]) {
                case 'A':
                        id = tab ? tab + 1 : "";
                        n_ranges = n_ev = 0;
                        entries++;
                        break;
                case 'R':
                        if (n_ranges < ELEMENTSOF(range_start))
                                range_start[n_ranges++] = n_ev;
                        break;
                case 'I':
                case 'F':
                case 'L':
                case 'M':
                        if (tab && n_ev < ELEMENTSOF(ev))
                                ev[n_ev++] = (struct version_event){line[0] == 'I'   ? EV_INTRODUCED
                                                                    : line[0] == 'F' ? EV_FIXED
                                                                    : line[0] == 'L' ? EV_LAST_AFFECTED
                                                                                     : EV_LIMIT,
                                                                    tab + 1};
                        break;
                case 'V':
                        for (char *s2 = NULL, *v = strtok_r(tab + 1, "\t", &s2); v;
                             v = strtok_r(NULL, "\t", &s2)) {
                                bool any = false, bad = !version_valid(VS_PEP440, v);
                                listed++;
                                for (size_t r = 0; r < n_ranges && !bad; r++) {
                                        size_t end = r + 1 < n_ranges ? range_start[r + 1] : n_ev;
                                        bool in = false;
                                        int k = version_in_range(VS_PEP440, v, ev + range_start[r],
                                                                 end - range_start[r], &in);
                                        if (k < 0)
                                                bad = true;
                                        any = any || in;
                                }
                                if (bad)
                                        invalid++;
                                else if (any)
                                        inside++;
                                else if (outside++ < 10)
                                        fprintf(stderr,
                                                "%s: \"%s\" is listed as affected but is outside the "
                                                "ranges\n",
                                                id, v);
                        }
                        break;
                default: break;
                }
        }
        free(text);
        printf("  %zu advisory entries, %zu listed versions: %zu inside their ranges, %zu not PEP 440 (or "
               "an "
               "event is not), %zu outside\n",
               entries, listed, inside, invalid, outside);
        CHECK_INT(outside, 0);
        CHECK(inside > 0);
}

/* --- hostile inputs ------------------------------------------------------------------------------------ */

static double now(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

/* Pathological 100 KB versions: every scheme must answer in linear time (here: well under a second for
 * a handful of comparisons) and agree with itself both ways. */
TEST(hostile_long_inputs) {
        enum { N = 100 * 1000 };
        static const char *patterns[] = {"0",  "0.", "1.",  "a",  "a1",  "~",    "^",
                                         "-",  "_",  ".0-", "0-", "-0.", "rc",   "0a",
                                         "1-", "-r", ".a0", "+",  "~0",  "\xff", "9"};
        char *a = malloc(N + 8), *b = malloc(N + 8);
        REQUIRE(a && b);

        for (size_t p = 0; p < ELEMENTSOF(patterns); p++) {
                size_t pl = strlen(patterns[p]);
                for (size_t i = 0; i < N; i++)
                        a[i] = patterns[p][i % pl];
                a[N] = 0;
                memcpy(b, a, N + 1);
                b[N - 1] = b[N - 1] == '1' ? '2' : '1';
                for (int s = 0; s < _VERSION_SCHEME_MAX; s++) {
                        /* Prefix with a digit so that schemes which need one get that far. */
                        char save_a = a[0], save_b = b[0];
                        a[0] = b[0] = '1';
                        double t0 = now();
                        int x = 0, y = 0, z = 1;
                        int r1 = version_compare(s, a, b, &x), r2 = version_compare(s, b, a, &y);
                        int r3 = version_compare(s, a, a, &z);
                        double dt = now() - t0;
                        if (r1 != r2 || (r1 == 0 && (v_sign(x) != -v_sign(y) || z != 0 || r3 != 0)) ||
                            dt > 1.0) {
                                fprintf(stderr, "%s: pattern \"%s\": %d/%d, %d/%d, %d in %.3fs\n",
                                        version_scheme_to_string(s), patterns[p], r1, r2, x, y, z, dt);
                                tests_failed_checks++;
                        }
                        a[0] = save_a, b[0] = save_b;
                }
        }
        free(a);
        free(b);
}

/* A hostile event list: 200000 events, irregular (so the sorted walk runs too), all at a few versions. */
TEST(hostile_event_list) {
        enum { N = 200 * 1000 };
        static const char *const versions[] = {"1.0", "1.0", "2.0", "0", "1.5", "3.0"};
        struct version_event *ev = calloc(N, sizeof *ev);
        REQUIRE(ev);
        for (size_t i = 0; i < N; i++)
                ev[i] = (struct version_event){(enum version_event_kind)(i * 7 % 4), versions[i * 5 % 6]};
        double t0 = now();
        bool affected = false;
        int r = version_in_range(VS_SEMVER, "1.0.0", ev, N, &affected);
        CHECK_INT(r, -EINVAL); /* "1.0" is not semver */
        r = version_in_range(VS_PEP440, "1.0", ev, N, &affected);
        CHECK_INT(r, 0);
        double dt = now() - t0;
        printf("  %d events evaluated in %.3f s\n", N, dt);
        CHECK(dt < 2.0);
        free(ev);
}

/* --- order properties on generated versions ----------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static unsigned rnd(unsigned n) {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        return (unsigned) (rng_state % n);
}

/* A random version from pieces that matter to the schemes. */
static void gen_version(char *out, size_t size) {
        static const char *pieces[] = {
                "0",   "1",         "2",       "10",       "01",  "00",  "9",     ".",       ".",    ".",
                "-",   "-",         "~",       "^",        "+",   "_",   "a",     "b",       "c",    "rc",
                "pre", "alpha",     "beta",    "SNAPSHOT", "sp",  "ga",  "final", "dev",     "post", "r",
                "p",   "git",       "v",       "=",        "m",   "x",   "z",     "A",       ":",    "!",
                "cr",  "milestone", "release", "_p",       "_rc", "-r1", "~beta", "20210101"};
        size_t n = 0, k = 1 + rnd(7);
        if (rnd(3) == 0)
                n += (size_t) snprintf(out, size, "%u.%u.%u", rnd(3), rnd(12), rnd(3));
        else if (rnd(2))
                out[n++] = (char) ('0' + rnd(3));
        for (size_t i = 0; i < k; i++) {
                const char *p = pieces[rnd(ELEMENTSOF(pieces))];
                size_t l = strlen(p);
                if (n + l + 1 >= size)
                        break;
                memcpy(out + n, p, l);
                n += l;
        }
        out[n] = 0;
}

/* Antisymmetry, reflexivity and transitivity (every triple among the valid ones; not for Maven). */
TEST(order_properties) {
        enum { N = 160 };
        static char v[N][64];
        for (int s = 0; s < _VERSION_SCHEME_MAX; s++) {
                size_t nv = 0, bad = 0;
                for (size_t i = 0; i < 20 * N && nv < N; i++) {
                        gen_version(v[nv], sizeof v[0]);
                        if (version_valid(s, v[nv]))
                                nv++;
                }
                static signed char c[N][N];
                for (size_t i = 0; i < nv; i++)
                        for (size_t j = 0; j < nv; j++) {
                                int x = 0;
                                if (version_compare(s, v[i], v[j], &x) != 0)
                                        bad++;
                                c[i][j] = (signed char) v_sign(x);
                        }
                for (size_t i = 0; i < nv; i++) {
                        if (c[i][i] != 0)
                                bad++;
                        for (size_t j = 0; j < nv; j++) {
                                if (c[i][j] != -c[j][i])
                                        bad++;
                                for (size_t k = 0; k < nv && bad < 5; k++)
                                        /* Maven's own order is not transitive: ComparableVersion says
                                         * "=b" < "0.0.0alpha00" < "release" but "=b" > "release" (a
                                         * qualifier list vs the empty release list), and this
                                         * scheme reproduces it. */
                                        if (c[i][j] <= 0 && c[j][k] <= 0 && c[i][k] > 0 && s != VS_MAVEN) {
                                                fprintf(stderr,
                                                        "%s: not transitive: \"%s\" <= \"%s\" <= \"%s\"\n",
                                                        version_scheme_to_string(s), v[i], v[j], v[k]);
                                                bad++;
                                        }
                        }
                }
                if (bad) {
                        fprintf(stderr, "%s: %zu order property violations\n", version_scheme_to_string(s),
                                bad);
                        tests_failed_checks++;
                }
                printf("  %-8s %zu generated valid versions, all pairs and triples checked\n",
                       version_scheme_to_string(s), nv);
        }
}

/* --- throughput ---------------------------------------------------------------------------------------- */

/* Comparisons per second per scheme, with a strcmp() of the same strings as the baseline measured in the
 * same run (this says how the machine is doing: compare the ratios, not the absolute figures). */
static double rate(int (*fn)(enum version_scheme, const char *, const char *), enum version_scheme s,
                   const char *a, const char *b) {
        unsigned long n = 0;
        int sink = 0;
        double t0 = now(), dt;
        do {
                for (int k = 0; k < 10000; k++)
                        sink += fn(s, a, b);
                n += 10000;
                dt = now() - t0;
        } while (dt < 0.2);
        return sink == 42 ? 0 : (double) n / dt;
}

static int do_compare(enum version_scheme s, const char *a, const char *b) {
        int x = 0;
        version_compare(s, a, b, &x);
        return x;
}

static int do_strcmp(enum version_scheme s, const char *a, const char *b) {
        const char *volatile pa = a; /* keep the call in the loop */
        return strcmp(pa, b);
}

TEST(throughput) {
        static const struct {
                enum version_scheme s;
                const char *a, *b;
        } cases[] = {
                {VS_DPKG, "1:2.38.1-5+deb12u1", "1:2.38.1-5+deb12u2"},
                {VS_APK, "3.1.4-r5", "3.1.4_rc1-r0"},
                {VS_RPM, "1:3.0.7-24.el9_3", "1:3.0.7-25.el9"},
                {VS_SEMVER, "4.17.21", "4.17.21-beta.3"},
                {VS_GO, "v0.0.0-20220722155237-a158d28d115b", "v0.1.0"},
                {VS_PEP440, "2.31.0", "2.31.0rc1"},
                {VS_MAVEN, "2.14.0-rc1", "2.14.0"},
                {VS_GEM, "7.0.4.3", "7.0.4.rc1"},
                {VS_NUGET, "13.0.1", "13.0.1-beta2"},
                {VS_GENERIC, "1.2.3-p4", "1.2.3"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                double base = rate(do_strcmp, cases[i].s, cases[i].a, cases[i].b);
                double r = rate(do_compare, cases[i].s, cases[i].a, cases[i].b);
                printf("  %-8s %6.2f M comparisons/s, %5.1fx the time of strcmp()  (\"%s\" vs \"%s\")\n",
                       version_scheme_to_string(cases[i].s), r / 1e6, base / r, cases[i].a, cases[i].b);
        }
}
