/* SPDX-License-Identifier: Apache-2.0 */
/* OS catalogers: os-release, dpkg (status, status.d, lists, copyright), apk; and the shared rfc822 and
 * license helpers. Inputs are excerpts of real files (tests/data/inv-os) and hand-made edge cases. */

#include "arena.h"
#include "inv-test-util.h"
#include "inventory/license.h"
#include "inventory/os-release.h"
#include "inventory/rfc822.h"

/* ---- rfc822 ---- */

struct ev {
        enum rfc822_event ev;
        char name[32];
        char value[64];
        unsigned n_cont, line;
};

static size_t read_all(const char *s, unsigned flags, struct ev *out, size_t max) {
        struct rfc822 r;
        struct rfc822_field f;
        size_t n = 0;
        rfc822_init(&r, s, strlen(s), flags);
        for (;;) {
                enum rfc822_event e = rfc822_next(&r, &f);
                if (e == RFC822_EOF || n >= max)
                        break;
                out[n] = (struct ev){.ev = e};
                if (e == RFC822_FIELD) {
                        snprintf(out[n].name, sizeof out[n].name, "%.*s", (int) f.name_len, f.name);
                        snprintf(out[n].value, sizeof out[n].value, "%.*s", (int) f.value_len, f.value);
                        out[n].n_cont = f.n_cont;
                }
                if (e == RFC822_FIELD || e == RFC822_BAD_LINE)
                        out[n].line = f.line;
                n++;
        }
        return n;
}

TEST(rfc822_stanzas_and_continuations) {
        struct ev e[16];
        size_t n =
                read_all("Package: a\r\nDescription: x\r\n more\r\n .\r\n\r\n\r\nPackage:b\nVersion:  1 \n",
                         RFC822_BLANK_LINE_BREAKS, e, 16);
        REQUIRE(n == 6);
        CHECK_INT(e[0].ev, RFC822_FIELD);
        CHECK_STR(e[0].name, "Package");
        CHECK_STR(e[0].value, "a");
        CHECK_STR(e[1].name, "Description");
        CHECK_INT(e[1].n_cont, 2);
        CHECK_INT(e[2].ev, RFC822_END);
        CHECK_STR(e[3].value, "b");
        CHECK_INT(e[3].line, 7);
        CHECK_STR(e[4].value, "1");
        CHECK_INT(e[5].ev, RFC822_END);
}

TEST(rfc822_blank_lines) {
        struct ev e[16];
        /* deb822: a line of blanks separates stanzas. */
        size_t n = read_all("A: 1\n  \t\nB: 2\n", RFC822_BLANK_LINE_BREAKS, e, 16);
        REQUIRE(n == 4);
        CHECK_INT(e[1].ev, RFC822_END);
        /* e-mail style: it continues the field (old PKG-INFO descriptions). */
        n = read_all("A: 1\n        \n  x\nB: 2\n\nbody: not a header\n", 0, e, 16);
        REQUIRE(n >= 3);
        CHECK_INT(e[0].n_cont, 2);
        CHECK_STR(e[1].name, "B");
        CHECK_INT(e[2].ev, RFC822_END);
}

TEST(rfc822_bad_lines_and_comments) {
        struct ev e[16];
        size_t n = read_all(" orphan\nno colon here\n: empty name\n#c: x\nA: 1", RFC822_BLANK_LINE_BREAKS, e,
                            16);
        REQUIRE(n == 6);
        CHECK_INT(e[0].ev, RFC822_BAD_LINE);
        CHECK_INT(e[0].line, 1);
        CHECK_INT(e[1].ev, RFC822_BAD_LINE);
        CHECK_INT(e[2].ev, RFC822_BAD_LINE);
        CHECK_STR(e[3].name, "#c"); /* not a comment without RFC822_COMMENTS */
        CHECK_STR(e[4].value, "1");
        CHECK_INT(e[5].ev, RFC822_END);
        n = read_all("# comment\nA: 1\n", RFC822_COMMENTS, e, 16);
        REQUIRE(n == 2);
        CHECK_STR(e[0].name, "A");
        /* A lone bad line is a stanza of its own: it does not spoil the next one. */
        n = read_all("junk\n\nA: 1\n", RFC822_BLANK_LINE_BREAKS, e, 16);
        REQUIRE(n == 4);
        CHECK_INT(e[0].ev, RFC822_BAD_LINE);
        CHECK_INT(e[1].ev, RFC822_END);
        CHECK_INT(e[2].ev, RFC822_FIELD);
}

TEST(rfc822_continuation_iteration) {
        const char *s = "License: MIT\n   line one\r\n\tline two\n";
        struct rfc822 r;
        struct rfc822_field f;
        rfc822_init(&r, s, strlen(s), 0);
        REQUIRE(rfc822_next(&r, &f) == RFC822_FIELD);
        const char *pos = NULL, *l;
        size_t ll;
        REQUIRE(rfc822_next_cont(&f, &pos, &l, &ll));
        CHECK(ll == 8 && strneq(l, "line one", 8));
        REQUIRE(rfc822_next_cont(&f, &pos, &l, &ll));
        CHECK(ll == 8 && strneq(l, "line two", 8));
        CHECK(!rfc822_next_cont(&f, &pos, &l, &ll));
}

TEST(text_checks) {
        CHECK(text_utf8_valid("Ter\xc3\xa4s", 6));
        CHECK(!text_utf8_valid("\xc3", 1));
        CHECK(!text_utf8_valid("\xc0\xaf", 2));         /* overlong */
        CHECK(!text_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
        CHECK(!text_utf8_valid("\xf4\x90\x80\x80", 4)); /* above U+10FFFF */
        CHECK(text_utf8_valid("\xf0\x9f\x98\x80", 4));
        CHECK(text_field_ok("a b", 3, 10));
        CHECK(!text_token_ok("a b", 3, 10));
        CHECK(!text_field_ok("a\tb", 3, 10));
        CHECK(!text_field_ok("abc", 3, 2));
        CHECK(!text_field_ok("", 0, 2));
        CHECK(!text_field_ok("a\0b", 3, 10));
}

/* ---- license helpers ---- */

static const char *joined(const struct license_list *l) {
        static char buf[512];
        char *s = NULL;
        size_t n;
        if (license_list_join(l, &s, &n) < 0)
                abort();
        snprintf(buf, sizeof buf, "%s", s);
        free(s);
        return buf;
}

TEST(license_dep5_split) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"GPL-1+ or Artistic", "GPL-1+\nArtistic"},
                {"LGPL-2.1+ with staticLink exception", "LGPL-2.1+ with staticLink exception"},
                {"GPL-1+ or Artistic, and BSD-3-clause-GENERIC", "GPL-1+\nArtistic\nBSD-3-clause-GENERIC"},
                {"Apache-2.0 and/or Expat", "Apache-2.0\nExpat"},
                {"Apache-2.0 OR BSD-2", "Apache-2.0\nBSD-2"},
                {"  BSD-3-Clause  ", "BSD-3-Clause"},
                {"CC0 license", "CC0 license"},
                {"GPL-2+ and GPL-2+", "GPL-2+"},
                /* prose, not names */
                {"Permission to use, copy, modify, and distribute this software and its", ""},
                {"* Permission to use this software in any way is granted without", ""},
                {"", ""},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct license_list l = {};
                license_list_add_dep5(&l, cases[i].in, strlen(cases[i].in));
                CHECK_STR(joined(&l), cases[i].out);
        }
}

TEST(license_common_refs) {
        struct license_list l = {};
        const char *t = "see /usr/share/common-licenses/GPL-2.\nand `/usr/share/common-licenses/LGPL-2.1'\n"
                        "/usr/share/common-licenses/GPL-2 again, /usr/share/common-licenses/Nonsense, "
                        "/usr/share/common-licenses/";
        CHECK_INT(license_list_add_common_refs(&l, t, strlen(t)), 2);
        CHECK_STR(joined(&l), "GPL-2\nLGPL-2.1");
}

TEST(license_list_caps) {
        struct license_list l = {};
        char names[40][8];
        for (int i = 0; i < 40; i++) {
                snprintf(names[i], sizeof names[i], "L%d", i);
                license_list_add(&l, names[i], strlen(names[i]));
        }
        CHECK_INT(l.n, LICENSE_LIST_MAX);
        CHECK(l.truncated);
        char big[300];
        memset(big, 'x', sizeof big);
        struct license_list m = {};
        CHECK(!license_list_add(&m, big, sizeof big));
        CHECK(!license_list_add(&m, "bad\xff", 4));
}

TEST(license_classifiers) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"License :: OSI Approved :: MIT License", "MIT License"},
                {"License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
                 "GNU General Public License v2 or later (GPLv2+)"},
                {"License :: Public Domain", "Public Domain"},
                {"License :: OSI Approved", NULL},
                {"Licensed :: Whatever", NULL},
                {"Programming Language :: Python", NULL},
                {"License ::", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const char *s;
                size_t n;
                bool ok = license_from_classifier(cases[i].in, strlen(cases[i].in), &s, &n);
                CHECK_INT(ok, cases[i].out != NULL);
                if (ok && cases[i].out)
                        CHECK(n == strlen(cases[i].out) && strneq(s, cases[i].out, n));
        }
}

/* ---- os-release ---- */

TEST(os_release_quoting) {
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct os_release o;
        const char *s = "# comment\n"
                        "NAME=\"Debian GNU/Linux\"\r\n"
                        "ID=debian\n"
                        "ID_LIKE='rhel fedora'\n"
                        "VERSION=\"12 \\\"book\\$worm\\\\\\`\"\n"
                        "VERSION_ID=\"1\"2'3'\n"
                        "  PRETTY_NAME=Debian\\ 12   \n"
                        "UBUNTU_CODENAME=jammy\n"
                        "BAD LINE\n"
                        "=novalue\n"
                        "HOME_URL=\"unterminated\n"
                        "ID=overridden\n";
        REQUIRE(os_release_parse(s, strlen(s), a, &o) == 0);
        CHECK_STR(o.name, "Debian GNU/Linux");
        CHECK_STR(o.id, "overridden");
        CHECK_STR(o.id_like, "rhel fedora");
        CHECK_STR(o.version, "12 \"book$worm\\`");
        CHECK_STR(o.version_id, "123");
        CHECK_STR(o.pretty_name, "Debian 12");
        CHECK_STR(o.version_codename, "jammy");
}

TEST(os_release_hostile) {
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct os_release o;
        size_t n = 100000;
        char *s = malloc(n + 64);
        REQUIRE(s);
        strcpy(s, "ID=\"");
        memset(s + 4, 'a', n);
        strcpy(s + 4 + n, "\"\nVERSION_ID=1\n");
        REQUIRE(os_release_parse(s, strlen(s), a, &o) == 0);
        CHECK(o.id == NULL); /* over OS_RELEASE_VALUE_MAX: dropped */
        CHECK_STR(o.version_id, "1");
        free(s);

        const char bin[] = "ID=a\x01"
                           "b\nVERSION_ID=\"\xff\"\nNAME=\"x\\\ny\"\n";
        REQUIRE(os_release_parse(bin, sizeof bin - 1, a, &o) == 0);
        CHECK(o.id == NULL);
        CHECK(o.version_id == NULL);
        CHECK_STR(o.name, "xy"); /* backslash-newline inside double quotes joins lines */
        REQUIRE(os_release_parse("", 0, a, &o) == 0);
        CHECK(o.id == NULL);
        REQUIRE(os_release_parse("ID=\"x", 5, a, &o) == 0);
        CHECK(o.id == NULL);
        REQUIRE(os_release_parse("ID=x\\", 5, a, &o) == 0);
        CHECK_STR(o.id, "x");
}

TEST(os_file_parse_variants) {
        _cleanup_(arena_freep) struct arena *a = arena_new(0);
        struct os_release o;
        const char *lsb = "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\nDISTRIB_CODENAME=jammy\n"
                          "DISTRIB_DESCRIPTION=\"Ubuntu 22.04.3 LTS\"\n";
        REQUIRE(os_file_parse("etc/lsb-release", lsb, strlen(lsb), a, &o) == 0);
        CHECK_STR(o.id, "ubuntu");
        CHECK_STR(o.name, "Ubuntu");
        CHECK_STR(o.version_id, "22.04");
        CHECK_STR(o.version_codename, "jammy");
        CHECK_STR(o.pretty_name, "Ubuntu 22.04.3 LTS");

        REQUIRE(os_file_parse("etc/alpine-release", "3.19.1\n", 7, a, &o) == 0);
        CHECK_STR(o.id, "alpine");
        CHECK_STR(o.version_id, "3.19.1");
        REQUIRE(os_file_parse("etc/debian_version", "bookworm/sid\r\n", 14, a, &o) == 0);
        CHECK_STR(o.id, "debian");
        CHECK_STR(o.version_id, "bookworm/sid");
        REQUIRE(os_file_parse("etc/debian_version", "12.5 extra\n", 11, a, &o) == 0);
        CHECK(o.version_id == NULL);

        const char *rh = "Red Hat Enterprise Linux release 9.3 (Plow)\n";
        REQUIRE(os_file_parse("etc/redhat-release", rh, strlen(rh), a, &o) == 0);
        CHECK_STR(o.name, "Red Hat Enterprise Linux");
        CHECK_STR(o.version_id, "9.3");
        CHECK_STR(o.pretty_name, "Red Hat Enterprise Linux release 9.3 (Plow)");
        CHECK(o.id == NULL);
        REQUIRE(os_file_parse("etc/system-release", "Amazon Linux release 2023 (Amazon Linux)", 40, a, &o) ==
                0);
        CHECK_STR(o.version_id, "2023");
        REQUIRE(os_file_parse("etc/centos-release", "CentOS Stream release 9", 23, a, &o) == 0);
        CHECK_STR(o.version_id, "9");
        CHECK_INT(os_file_parse("etc/passwd", "x", 1, a, &o), -EINVAL);
}

TEST(os_release_facts) {
        struct inv_test t;
        inv_begin(&t);
        const char *osr = "ID=debian\nVERSION_ID=\"12\"\n";
        CHECK_INT(inv_feed_str(&t, "etc/os-release", osr), 0);
        CHECK_INT(inv_feed_str(&t, "usr/lib/os-release", osr), 0);
        CHECK_INT(inv_feed_str(&t, "etc/debian_version", "12.5\n"), 0);
        CHECK_INT(inv_feed_str(&t, "etc/alpine-release", "3.19.1\n"), 0);
        CHECK_INT(inv_feed_str(&t, "srv/etc/os-release", osr), 0); /* not the root's */
        CHECK_INT(inv_feed(&t, "etc/lsb-release", "A\0B", 3), 0);  /* binary: warned */
        CHECK_INT(inv_count_facts(&t, FACT_OS_FILE), 4);
        const struct layer_fact *f = inv_fact(&t, FACT_OS_FILE, NULL);
        REQUIRE(f);
        CHECK_STR(f->path, "etc/os-release");
        CHECK(f->key == NULL);
        CHECK_INT(f->len, strlen(osr));
        CHECK_STR(f->data, osr);
        CHECK(inv_warned(&t, "etc/lsb-release"));

        /* Over the 64 KiB cap: skipped with a warning by the dispatcher. */
        size_t big = 70000;
        char *s = malloc(big);
        REQUIRE(s);
        memset(s, '#', big);
        CHECK_INT(inv_feed(&t, "etc/redhat-release", s, big), 0);
        free(s);
        CHECK_INT(inv_count_facts(&t, FACT_OS_FILE), 4);
        CHECK(inv_warned(&t, "etc/redhat-release"));
        inv_end(&t);
}

/* ---- dpkg status ---- */

TEST(dpkg_status_bookworm_excerpt) {
        struct inv_test t;
        inv_begin(&t);
        CHECK_INT(inv_feed_data(&t, "var/lib/dpkg/status", "tests/data/inv-os/dpkg-status-bookworm"), 0);
        CHECK_INT(inv_count_type(&t, PKG_DEB), 9);
        CHECK_INT(inv_n_warnings(&t), 0);

        const struct pkg *p = inv_pkg(&t, "login");
        REQUIRE(p);
        CHECK_INT(p->type, PKG_DEB);
        CHECK_STR(p->version, "1:4.13+dfsg1-1+deb12u1");
        CHECK_STR(p->arch, "amd64");
        CHECK_STR(p->source_name, "shadow");
        CHECK(p->source_version == NULL);
        CHECK_STR(p->record_path, "var/lib/dpkg/status");
        CHECK(p->licenses == NULL && p->owned_files == NULL);
        CHECK_INT(p->layer, -1);

        p = inv_pkg(&t, "bash");
        REQUIRE(p);
        CHECK_STR(p->version, "5.2.15-2+b8");
        CHECK_STR(p->source_name, "bash");
        CHECK_STR(p->source_version, "5.2.15-2");
        p = inv_pkg(&t, "base-files");
        REQUIRE(p);
        CHECK(p->source_name == NULL);
        p = inv_pkg(&t, "tzdata");
        REQUIRE(p);
        CHECK_STR(p->arch, "all");
        p = inv_pkg(&t, "libc6");
        REQUIRE(p);
        CHECK_STR(p->source_name, "glibc");
        inv_end(&t);
}

TEST(dpkg_status_states_and_edge_cases) {
        struct inv_test t;
        inv_begin(&t);
        const char *s =
                "Package: ok\r\nStatus: install ok installed\r\nVersion: 1.0\r\nArchitecture: amd64\r\n\r\n"
                "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
                "Package: purged\nStatus: purge ok not-installed\nVersion: 1\n\n"
                "Package: halfinst\nStatus: install reinstreq half-installed\nVersion: 1\n\n"
                "Package: selected-off\nStatus: deinstall ok installed\nVersion: 2\n\n"
                "Package: trig\nStatus: install ok triggers-pending\nVersion: 3\n\n"
                "Package: unpacked\nStatus: install ok unpacked\nVersion: 4\n\n"
                "Package: nostatus\nVersion: 1\n\n"
                "Package: noversion\nStatus: install ok installed\n\n"
                "Status: install ok installed\nVersion: 1\n\n"
                "Package: twover\nStatus: install ok installed\nVersion: 1\nVersion: 2\n\n"
                "Package: multi\n line\nStatus: install ok installed\nVersion: 1\n\n"
                "Package: bad\xffutf8\nStatus: install ok installed\nVersion: 1\n\n"
                "Package: junk\nStatus: install ok installed\nVersion: 1\nthis is junk\n\n"
                "Package: src\nStatus: install ok installed\nVersion: 2.0-1\nSource: upstream (2.0-1)\n\n"
                "Package: srcbad\nStatus: install ok installed\nVersion: 1\nSource: x (unclosed\n\n"
                "Package: dup\nStatus: install ok installed\nVersion: 1\nArchitecture: amd64\n\n"
                "Package: dup\nStatus: install ok installed\nVersion: 1\nArchitecture: i386\n\n"
                "Package: dup\nStatus: install ok installed\nVersion: 2\nArchitecture: amd64\n\n"
                "Package: last\nStatus: install ok installed\nVersion: 9";
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status", s), 0);
        static const char *const want[] = {"ok",  "selected-off", "trig", "unpacked",
                                           "src", "srcbad",       "last"};
        for (size_t i = 0; i < ELEMENTSOF(want); i++)
                CHECK(inv_pkg(&t, want[i]) != NULL);
        static const char *const not [] = {"removed",   "purged", "halfinst", "nostatus",
                                           "noversion", "twover", "multi",    "junk"};
        for (size_t i = 0; i < ELEMENTSOF(not ); i++)
                CHECK(inv_pkg(&t, not [i]) == NULL);
        CHECK_INT(inv_count_type(&t, PKG_DEB), ELEMENTSOF(want) + 2);

        CHECK_STR(inv_pkg(&t, "ok")->arch, "amd64");
        CHECK_STR(inv_pkg(&t, "src")->source_name, "upstream");
        CHECK(inv_pkg(&t, "src")->source_version == NULL); /* same as Version */
        CHECK_STR(inv_pkg(&t, "srcbad")->source_name, "x");
        CHECK(inv_pkg(&t, "srcbad")->source_version == NULL);
        CHECK_STR(inv_pkg(&t, "last")->version, "9");
        /* dup: amd64 replaced by the later stanza, i386 kept */
        CHECK_STR(inv_pkg_nth(&t, "dup", 0)->version, "2");
        CHECK_STR(inv_pkg_nth(&t, "dup", 0)->arch, "amd64");
        CHECK_STR(inv_pkg_nth(&t, "dup", 1)->arch, "i386");
        CHECK(inv_pkg_nth(&t, "dup", 2) == NULL);
        CHECK(inv_warned(&t, "skipped 6 malformed stanzas in 'var/lib/dpkg/status'"));
        CHECK(inv_warned(&t, "more than once"));
        inv_end(&t);
}

TEST(dpkg_status_huge_values) {
        struct inv_test t;
        inv_begin(&t);
        size_t n = 1 << 20;
        char *s = malloc(n + 200);
        REQUIRE(s);
        int k = sprintf(s, "Package: huge\nStatus: install ok installed\nVersion: ");
        memset(s + k, '1', n);
        strcpy(s + k + n, "\n\nPackage: small\nStatus: install ok installed\nVersion: 1\nDescription: ");
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status", s), 0);
        CHECK(inv_pkg(&t, "huge") == NULL);
        CHECK(inv_pkg(&t, "small") != NULL);
        free(s);
        inv_end(&t);
}

TEST(dpkg_status_d_distroless) {
        struct inv_test t;
        inv_begin(&t);
        const char *libc =
                "Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n"
                "Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\n"
                "Installed-Size: 12986\nDepends: libgcc-s1\nSection: libs\nPriority: optional\n"
                "Multi-Arch: same\nHomepage: https://www.gnu.org/software/libc/libc.html\n"
                "Description: GNU C Library: Shared libraries\n Contains the standard libraries.\n";
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status.d/libc6", libc), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status.d/libc6.md5sums",
                               "d41d8cd98f00b204e9800998ecf8427e  x\n"),
                  0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status.d/base",
                               "Package: base-files\nVersion: 12.4+deb12u5\nArchitecture: amd64\n\n"
                               "Package: netbase\nVersion: 6.4\nArchitecture: all\n"),
                  0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status.d/gone",
                               "Package: gone\nStatus: deinstall ok config-files\nVersion: 1\n"),
                  0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status.d/sub/x", "Package: nested\nVersion: 1\n"), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/status-old", "Package: old\nVersion: 1\n"), 0);
        CHECK_INT(inv_count_type(&t, PKG_DEB), 3);
        const struct pkg *p = inv_pkg(&t, "libc6");
        REQUIRE(p);
        CHECK_STR(p->record_path, "var/lib/dpkg/status.d/libc6");
        CHECK_STR(p->source_name, "glibc");
        CHECK(inv_pkg(&t, "netbase") != NULL);
        CHECK(inv_pkg(&t, "gone") == NULL);
        inv_end(&t);
}

TEST(dpkg_list_facts) {
        struct inv_test t;
        inv_begin(&t);
        const char *list = "/.\n/usr\n/usr/lib\n/usr/lib/x86_64-linux-gnu/libc.so.6\n";
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/libc6:amd64.list", list), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/bash.list", "/.\n/bin\n/bin/bash"), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/bash.md5sums", "x"), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/.list", "/x\n"), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/sub/dir.list", "/x\n"), 0);
        CHECK_INT(inv_feed(&t, "var/lib/dpkg/info/nul.list", "/a\0/b\n", 6), 0);
        CHECK_INT(inv_feed_str(&t, "var/lib/dpkg/info/:amd64.list", "/x\n"), 0);
        CHECK_INT(inv_count_facts(&t, FACT_DPKG_LIST), 2);
        const struct layer_fact *f = inv_fact(&t, FACT_DPKG_LIST, "libc6");
        REQUIRE(f);
        CHECK_STR(f->path, "var/lib/dpkg/info/libc6:amd64.list");
        CHECK_STR(f->data, list);
        CHECK_INT(f->len, strlen(list));
        f = inv_fact(&t, FACT_DPKG_LIST, "bash");
        REQUIRE(f);
        CHECK_STR(f->data, "/.\n/bin\n/bin/bash");
        CHECK(inv_warned(&t, "nul.list"));
        inv_end(&t);
}

/* ---- copyright ---- */

static const char *copyright_of(struct inv_test *t, const char *pkg) {
        const struct layer_fact *f = inv_fact(t, FACT_DEB_COPYRIGHT, pkg);
        return f ? f->data : NULL;
}

TEST(deb_copyright_real_files) {
        struct inv_test t;
        inv_begin(&t);
        static const char *const pkgs[] = {"bash", "libc6", "dpkg", "zlib1g", "tzdata", "login"};
        char path[256], rel[256];
        for (size_t i = 0; i < ELEMENTSOF(pkgs); i++) {
                snprintf(path, sizeof path, "usr/share/doc/%s/copyright", pkgs[i]);
                snprintf(rel, sizeof rel, "tests/data/inv-os/copyright/%s", pkgs[i]);
                CHECK_INT(inv_feed_data(&t, path, rel), 0);
        }
        CHECK_INT(inv_count_facts(&t, FACT_DEB_COPYRIGHT), ELEMENTSOF(pkgs));
        /* DEP-5: the License fields, split, in order of appearance */
        CHECK_STR(copyright_of(&t, "bash"),
                  "GPL-3+\nGPL-3+ with Bison exception\nGPL-2+\nGFDL-NIV-1.3\nLatex2e\n"
                  "BSD-4-clause-UC\nMIT-like\npermissive");
        CHECK_STR(copyright_of(&t, "dpkg"), "GPL-2+\nGPL-2\nBSD-2-clause\npublic-domain-s-s-d");
        CHECK_STR(copyright_of(&t, "zlib1g"), "Zlib");
        CHECK_STR(copyright_of(&t, "tzdata"), "public-domain");
        CHECK_STR(copyright_of(&t, "login"), "BSD-3-clause\nGPL-1\nGPL-2+\npublic-domain");
        /* not machine-readable: references to common-licenses */
        CHECK_STR(copyright_of(&t, "libc6"), "LGPL-2.1\nGPL-2");
        const struct layer_fact *f = inv_fact(&t, FACT_DEB_COPYRIGHT, "bash");
        CHECK_STR(f->path, "usr/share/doc/bash/copyright");
        inv_end(&t);
}

TEST(deb_copyright_edge_cases) {
        struct inv_test t;
        inv_begin(&t);
        CHECK_INT(
                inv_feed_str(&t, "usr/share/doc/a/copyright",
                             "Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\r\n"
                             "\r\nFiles: *\r\nCopyright: me\r\nLicense: MIT\r\n text\r\n .\r\n"
                             "# a comment\r\n\r\nLicense:\r\n just text\r\n"),
                0);
        CHECK_STR(copyright_of(&t, "a"), "MIT");
        /* DEP-5 without usable License fields falls back to references */
        CHECK_INT(inv_feed_str(&t, "usr/share/doc/b/copyright",
                               "Format-Specification: http://dep.debian.net/deps/dep5\n\nFiles: *\nLicense: "
                               "This program is free software you can redistribute it\n"
                               " see /usr/share/common-licenses/GPL-3.\n"),
                  0);
        CHECK_STR(copyright_of(&t, "b"), "GPL-3");
        /* free text: only common-licenses references count, not "License:" lines in prose */
        CHECK_INT(inv_feed_str(&t, "usr/share/doc/c/copyright",
                               "Upstream: x\nLicense: BSD-ish, see below\n\nNothing else.\n"),
                  0);
        CHECK(copyright_of(&t, "c") == NULL);
        /* Format need not be the first field */
        CHECK_INT(inv_feed_str(&t, "usr/share/doc/f/copyright",
                               "Upstream-Name: f\nFormat: https://www.debian.org/doc/packaging-manuals/"
                               "copyright-format/1.0/\n\nFiles: *\nLicense: ISC\n"),
                  0);
        CHECK_STR(copyright_of(&t, "f"), "ISC");
        CHECK_INT(inv_feed_str(&t, "usr/share/doc/d/copyright.gz", "License: MIT"), 0);
        CHECK_INT(inv_feed_str(&t, "usr/share/doc/e/sub/copyright", "License: MIT"), 0);
        CHECK_INT(inv_feed_str(&t, "usr/share/doc//copyright", "x"), 0);
        CHECK_INT(inv_count_facts(&t, FACT_DEB_COPYRIGHT), 3);

        /* many licenses: capped */
        char *s = malloc(100000);
        REQUIRE(s);
        size_t k = (size_t) sprintf(s, "Format: x\n\n");
        for (int i = 0; i < 100; i++)
                k += (size_t) sprintf(s + k, "Files: f%d\nLicense: Lic-%d\n\n", i, i);
        CHECK_INT(inv_feed(&t, "usr/share/doc/many/copyright", s, k), 0);
        free(s);
        const char *m = copyright_of(&t, "many");
        REQUIRE(m);
        size_t lines = 1;
        for (const char *p = m; *p; p++)
                lines += *p == '\n';
        CHECK_INT(lines, LICENSE_LIST_MAX);
        CHECK(inv_warned(&t, "many/copyright"));
        inv_end(&t);
}

/* ---- apk ---- */

static bool strv_contains(const char *const *v, const char *s) {
        for (size_t i = 0; v && v[i]; i++)
                if (streq(v[i], s))
                        return true;
        return false;
}

TEST(apk_installed_alpine) {
        struct inv_test t;
        inv_begin(&t);
        CHECK_INT(inv_feed_data(&t, "lib/apk/db/installed", "tests/data/inv-os/apk-installed-alpine319"), 0);
        CHECK_INT(inv_count_type(&t, PKG_APK), 7);
        CHECK_INT(inv_n_warnings(&t), 0);

        const struct pkg *p = inv_pkg(&t, "musl");
        REQUIRE(p);
        CHECK_STR(p->version, "1.2.4_git20230717-r4");
        CHECK_STR(p->arch, "x86_64");
        CHECK_STR(inv_licenses(p), "MIT");
        CHECK_STR(p->source_name, "musl");
        CHECK_STR(p->record_path, "lib/apk/db/installed");
        CHECK_INT(strv_len(p->owned_files), 2);
        CHECK(strv_contains(p->owned_files, "lib/ld-musl-x86_64.so.1"));
        CHECK(strv_contains(p->owned_files, "lib/libc.musl-x86_64.so.1"));

        p = inv_pkg(&t, "ssl_client");
        REQUIRE(p);
        CHECK_STR(p->source_name, "busybox");
        CHECK_STR(p->owned_files[0], "usr/bin/ssl_client");
        CHECK(p->owned_files[1] == NULL);

        p = inv_pkg(&t, "busybox");
        REQUIRE(p);
        CHECK_INT(strv_len(p->owned_files), 6);
        CHECK(strv_contains(p->owned_files, "etc/network/if-up.d/dad"));
        CHECK(strv_contains(p->owned_files, "usr/share/udhcpc/default.script"));
        CHECK_STR(inv_licenses(inv_pkg(&t, "ca-certificates-bundle")), "MPL-2.0 AND MIT");
        CHECK_INT(strv_len(inv_pkg(&t, "alpine-baselayout-data")->owned_files), 15);
        inv_end(&t);
}

TEST(apk_edge_cases) {
        struct inv_test t;
        inv_begin(&t);
        const char *s =
                "P:nofiles\r\nV:1.0-r0\r\nA:aarch64\r\n\r\n"
                "P:noversion\nA:x86_64\n\n"
                "V:1-r0\n\n"
                "P:twice\nP:again\nV:1-r0\n\n"
                "P:rootfile\nV:1-r0\nR:at-root\nF:../../etc\nR:escape\nF:usr/./lib/\nR:a/b\nR:ok\nR:\n\n"
                "garbage line\n\n"
                "P:dup\nV:1-r0\nR:one\n\n"
                "P:dup\nV:2-r0\nL:\xff\xfe\n\n"
                "P:bad\x01name\nV:1\n\n"
                "P:last\nV:3-r0";
        CHECK_INT(inv_feed_str(&t, "lib/apk/db/installed", s), 0);
        CHECK(inv_pkg(&t, "nofiles") != NULL);
        CHECK(inv_pkg(&t, "nofiles")->owned_files == NULL);
        CHECK_STR(inv_pkg(&t, "nofiles")->arch, "aarch64");
        CHECK(inv_pkg(&t, "noversion") == NULL);
        CHECK(inv_pkg(&t, "twice") == NULL && inv_pkg(&t, "again") == NULL);
        const struct pkg *p = inv_pkg(&t, "rootfile");
        REQUIRE(p);
        CHECK_INT(strv_len(p->owned_files), 2);
        CHECK(strv_contains(p->owned_files, "at-root"));
        CHECK(strv_contains(p->owned_files, "usr/lib/ok"));
        p = inv_pkg(&t, "dup");
        REQUIRE(p);
        CHECK_STR(p->version, "2-r0");
        CHECK(p->licenses == NULL); /* invalid UTF-8 */
        CHECK(p->owned_files == NULL);
        CHECK(inv_pkg_nth(&t, "dup", 1) == NULL);
        CHECK(inv_pkg(&t, "last") != NULL);
        CHECK_INT(inv_count_type(&t, PKG_APK), 4);
        CHECK(inv_warned(&t, "skipped 5 malformed package blocks"));
        CHECK(inv_warned(&t, "ignored 3 invalid file paths"));
        CHECK(inv_warned(&t, "more than once"));
        CHECK_INT(inv_feed_str(&t, "usr/lib/apk/db/installed", "P:x\nV:1\n"), 0);
        CHECK_INT(inv_count_type(&t, PKG_APK), 4);
        inv_end(&t);
}

TEST(apk_path_blowup_is_bounded) {
        /* One long F: line and many short R: lines would multiply into gigabytes of paths. */
        struct inv_test t;
        inv_begin(&t);
        size_t dir = 4000, files = 200000;
        char *s = malloc(dir + 64 + files * 12);
        REQUIRE(s);
        size_t k = (size_t) sprintf(s, "P:blowup\nV:1-r0\nF:");
        for (size_t i = 0; i < dir; i++)
                s[k++] = i % 250 == 249 ? '/' : 'd';
        s[k++] = '\n';
        for (size_t i = 0; i < files; i++)
                k += (size_t) sprintf(s + k, "R:f%zu\n", i % 100000);
        CHECK_INT(inv_feed(&t, "lib/apk/db/installed", s, k), 0);
        free(s);
        const struct pkg *p = inv_pkg(&t, "blowup");
        REQUIRE(p);
        CHECK(strv_len(p->owned_files) < files);
        CHECK(arena_used(layer_ctx_arena(t.ctx)) < 8 * k);
        CHECK(inv_warned(&t, "more file paths than expected"));
        inv_end(&t);
}
