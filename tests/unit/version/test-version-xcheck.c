/* SPDX-License-Identifier: Apache-2.0 */
/* Cross-checks every scheme against the real tool on this machine, over large sets of real and generated
 * versions: the versions are sorted with our comparator, then every adjacent pair, a few thousand random
 * pairs, and every version against itself (for validity) go through the tool in one batch, and every
 * answer must be the same.
 *
 *   dpkg    libdpkg (xcheck/xcheck-dpkg.c), and a sample through `dpkg --compare-versions` itself
 *   rpm     rpm.vercmp() in `rpm --eval '%{lua: …}'` (xcheck/cmp-rpm.lua)
 *   pep440  packaging.version.Version (xcheck/cmp-pep440.py, /usr/bin/python3)
 *   semver  node-semver, loose mode (xcheck/cmp-semver.js)
 *   go      golang.org/x/mod/semver (xcheck/cmp-go.go, built in GOPATH mode)
 *   maven   ComparableVersion from Maven's maven-artifact jar (xcheck/CmpMaven.java)
 *   gem     Gem::Version (xcheck/cmp-gem.rb)
 * apk-tools and NuGet have no implementation installable here (not in Debian): test-version.c checks
 * their vectors, and vectors/apk-recorded.vec holds apk-tools' own answers on 2809 pairs, recorded from
 * an unchanged build of its src/version.c.
 *
 * Version sets: the versions in vectors/, tests/unit/version/corpus/ (real versions from advisory
 * feeds and registries, see each file's header), this machine's dpkg status and apt package indices, and
 * generated strings from each scheme's alphabet. Each meson test runs one TEST and exits 77 (skipped)
 * with the reason when its tool is missing. */

#include <fcntl.h>
#include <limits.h>
#include <ftw.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests.h"
#include "version/version-internal.h"
#include "version/version.h"

/* --- version lists ------------------------------------------------------------------------------------- */

struct vlist {
        char **v;
        size_t n, cap;
};

static void vl_add_n(struct vlist *l, const char *s, size_t len) {
        if (memchr(s, '\t', len) || memchr(s, '\n', len) || memchr(s, '\r', len))
                return; /* cannot travel in a tab-separated line */
        if (l->n == l->cap) {
                l->cap = l->cap ? 2 * l->cap : 1024;
                l->v = realloc(l->v, l->cap * sizeof *l->v);
                if (!l->v)
                        abort();
        }
        l->v[l->n++] = strndup(s, len);
}

static void vl_add(struct vlist *l, const char *s) {
        vl_add_n(l, s, strlen(s));
}

static int strcmp_p(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

static void vl_uniq(struct vlist *l) {
        size_t k = 0;
        qsort(l->v, l->n, sizeof *l->v, strcmp_p);
        for (size_t i = 0; i < l->n; i++) {
                if (k > 0 && streq(l->v[k - 1], l->v[i]))
                        free(l->v[i]);
                else
                        l->v[k++] = l->v[i];
        }
        l->n = k;
}

static void vl_free(struct vlist *l) {
        for (size_t i = 0; i < l->n; i++)
                free(l->v[i]);
        free(l->v);
        *l = (struct vlist){};
}

/* Lines of a corpus file (comments start with '#'). */
static void load_corpus(struct vlist *l, const char *name) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/unit/version/corpus/%s", name);
        char *text = test_read_file(test_srcpath(rel), NULL);
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save))
                if (line[0] != '#')
                        vl_add(l, line);
        free(text);
}

static int hexval(char c) {
        return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c - 'A' + 10;
}

/* Every version a vector file mentions. */
static void load_vectors(struct vlist *l, const char *name) {
        char rel[256];
        snprintf(rel, sizeof rel, "tests/unit/version/vectors/%s", name);
        char *text = test_read_file(test_srcpath(rel), NULL);
        for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
             line = strtok_r(NULL, "\n", &save)) {
                if (line[0] == '#')
                        continue;
                char *f[4] = {};
                size_t nf = 0;
                for (char *s2 = NULL, *t = strtok_r(line, "\t", &s2); t && nf < 4;
                     t = strtok_r(NULL, "\t", &s2))
                        f[nf++] = t;
                for (size_t i = 1; i < nf; i++) {
                        if (nf == 4 && i == 2)
                                continue;
                        char buf[4096], *o = buf;
                        const char *r = f[i];
                        if (streq(r, "\\e"))
                                r = "";
                        while (*r && o < buf + sizeof buf - 1) {
                                if (*r != '\\') {
                                        *o++ = *r++;
                                        continue;
                                }
                                r++;
                                if (*r == 'x' && r[1] && r[2]) {
                                        *o++ = (char) (hexval(r[1]) * 16 + hexval(r[2]));
                                        r += 3;
                                } else {
                                        *o++ = *r == 't' ? '\t' : *r == 'n' ? '\n' : *r == 'r' ? '\r' : *r;
                                        if (*r)
                                                r++;
                                }
                        }
                        vl_add_n(l, buf, (size_t) (o - buf));
                }
        }
        free(text);
}

/* "Version: …" (and "Source: name (version)") lines of a Debian control-file stream. */
static size_t load_debian_stream(struct vlist *l, FILE *f) {
        char *line = NULL;
        size_t cap = 0, n = 0;
        while (getline(&line, &cap, f) > 0) {
                line[strcspn(line, "\n")] = 0;
                if (strneq(line, "Version: ", 9)) {
                        vl_add(l, line + 9);
                        n++;
                } else if (strneq(line, "Source: ", 8)) {
                        char *p = strchr(line, '('), *q = p ? strchr(p, ')') : NULL;
                        if (p && q) {
                                vl_add_n(l, p + 1, (size_t) (q - p - 1));
                                n++;
                        }
                }
        }
        free(line);
        return n;
}

static size_t load_debian(struct vlist *l) {
        size_t n = 0;
        FILE *f = fopen("/var/lib/dpkg/status", "re");
        if (f) {
                n += load_debian_stream(l, f);
                fclose(f);
        }
        /* The apt package indices, whatever their compression. */
        FILE *idx =
                popen("apt-get indextargets --format '$(FILENAME)' 'Created-By: Packages' 2>/dev/null", "r");
        char path[4096];
        while (idx && fgets(path, sizeof path, idx)) {
                path[strcspn(path, "\n")] = 0;
                char cmd[8192];
                snprintf(cmd, sizeof cmd, "/usr/lib/apt/apt-helper cat-file '%s' 2>/dev/null", path);
                FILE *p = popen(cmd, "r");
                if (p) {
                        n += load_debian_stream(l, p);
                        pclose(p);
                }
        }
        if (idx)
                pclose(idx);
        return n;
}

/* --- generated versions -------------------------------------------------------------------------------- */

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static unsigned rnd(unsigned n) {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        return (unsigned) (rng % n);
}

/* n strings of 1 to max_pieces pieces drawn from pieces[], optionally starting with a digit. */
static void generate(struct vlist *l, const char *const *pieces, size_t n_pieces, size_t n,
                     unsigned max_pieces, bool digit_first) {
        for (size_t i = 0; i < n; i++) {
                char buf[256];
                size_t len = 0;
                if (digit_first || rnd(2))
                        buf[len++] = (char) ('0' + rnd(10));
                for (unsigned k = 1 + rnd(max_pieces); k > 0; k--) {
                        const char *p = pieces[rnd((unsigned) n_pieces)];
                        size_t pl = strlen(p);
                        if (len + pl >= sizeof buf)
                                break;
                        memcpy(buf + len, p, pl);
                        len += pl;
                }
                buf[len] = 0;
                vl_add(l, buf);
        }
}

static const char *const common_pieces[] = {
        "0",   "1",        "2",        "9",         "10",      "00",   "01",  "007",  "123",   "20210101",
        ".",   ".",        ".",        ".",         "-",       "-",    "+",   "~",    "^",     "_",
        ":",   "a",        "b",        "c",         "m",       "p",    "r",   "x",    "z",     "A",
        "Z",   "rc",       "RC",       "pre",       "alpha",   "beta", "dev", "post", "final", "ga",
        "sp",  "snapshot", "SNAPSHOT", "milestone", "release", "cr",   "git", "svn",  "hg",    "cvs",
        "deb", "ubuntu",   "el9",      "v",         "=",       "!",    " ",
};

/* --- running a tool ------------------------------------------------------------------------------------ */

static char tmpdir[] = "/tmp/stockade-xcheck-XXXXXX";

static bool have(const char *cmd) {
        char buf[1024];
        snprintf(buf, sizeof buf, "%s >/dev/null 2>&1", cmd);
        int r = system(buf);
        return r != -1 && WIFEXITED(r) && WEXITSTATUS(r) == 0;
}

static unsigned n_skipped, n_ran;

static void remove_tmpdir(void);

static void on_exit_status(void) {
        if (n_skipped > 0 && n_ran == 0 && tests_failed_checks == 0) {
                remove_tmpdir();
                fflush(stdout);
                _exit(77); /* meson: skipped */
        }
}

static void skip(const char *why) {
        static bool registered;
        printf("SKIP: %s\n", why);
        n_skipped++;
        if (!registered) {
                atexit(on_exit_status);
                registered = true;
        }
}

enum { R_LESS = -1, R_EQUAL = 0, R_GREATER = 1, R_INVALID = 2, R_TOOL_LIMIT = 3, R_NONE = 4 };

struct pair {
        const char *a, *b;
        int tool;
};

/* Writes the pairs, runs `cmd < file`, reads one answer per pair. The first output line is the tool's
 * version when header is set. Returns 0 or -1 if the tool failed. */
static int run_tool(const char *cmd, struct pair *p, size_t n, bool header, char *tool_version,
                    size_t tvsize) {
        char path[256], full[8192];
        snprintf(path, sizeof path, "%s/pairs", tmpdir);
        FILE *f = fopen(path, "we");
        if (!f)
                return -1;
        for (size_t i = 0; i < n; i++)
                fprintf(f, "%s\t%s\n", p[i].a, p[i].b);
        fclose(f);

        snprintf(full, sizeof full, "%s < '%s'", cmd, path);
        FILE *o = popen(full, "r");
        if (!o)
                return -1;
        char line[256];
        size_t k = 0;
        while (fgets(line, sizeof line, o)) {
                line[strcspn(line, "\n")] = 0;
                if (!line[0])
                        continue;
                if (header) {
                        size_t m = MIN(strlen(line), tvsize - 1);
                        memcpy(tool_version, line, m);
                        tool_version[m] = 0;
                        header = false;
                        continue;
                }
                if (k >= n)
                        break;
                p[k++].tool = streq(line, "E")   ? R_INVALID
                              : streq(line, "X") ? R_TOOL_LIMIT
                                                 : v_sign(atoi(line));
        }
        int st = pclose(o);
        if (k != n || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
                fprintf(stderr, "'%s' answered %zu of %zu pairs (status %d)\n", cmd, k, n, st);
                return -1;
        }
        return 0;
}

static int cmp_scheme;
static int sort_cmp(const void *a, const void *b) {
        int r = 0;
        version_compare(cmp_scheme, *(char *const *) a, *(char *const *) b, &r);
        return r;
}

struct xcheck {
        enum version_scheme s;
        const char *tool_name;
        const char *cmd;
        bool header;
        /* Versions on which the tool is known to differ on purpose (see version.h); counted, not
         * compared. */
        bool (*excluded)(const char *v, const char *tool_version);
        size_t random_pairs;
};

static void xcheck(const struct xcheck *x, struct vlist *l, const char *sources) {
        char tool_version[128] = "";
        size_t excluded = 0;

        vl_uniq(l);
        struct vlist use = {};
        char probe[128] = "";
        /* The tool's version decides some exclusions: ask it once with a trivial pair. */
        if (x->header) {
                struct pair p0 = {"1", "1", R_NONE};
                if (run_tool(x->cmd, &p0, 1, true, probe, sizeof probe) < 0) {
                        CHECK(false);
                        return;
                }
        }
        for (size_t i = 0; i < l->n; i++) {
                if (x->excluded && x->excluded(l->v[i], probe))
                        excluded++;
                else
                        vl_add(&use, l->v[i]);
        }

        size_t n_valid = 0;
        char **valid = calloc(use.n + 1, sizeof *valid);
        for (size_t i = 0; i < use.n; i++)
                if (version_valid(x->s, use.v[i]))
                        valid[n_valid++] = use.v[i];
        cmp_scheme = x->s;
        qsort(valid, n_valid, sizeof *valid, sort_cmp);

        size_t n_pairs = use.n + (n_valid > 0 ? n_valid - 1 : 0) + (n_valid > 1 ? x->random_pairs : 0);
        struct pair *p = calloc(n_pairs + 1, sizeof *p);
        size_t k = 0;
        for (size_t i = 0; i < use.n; i++)
                p[k++] = (struct pair){use.v[i], use.v[i], R_NONE};
        for (size_t i = 0; i + 1 < n_valid; i++)
                p[k++] = (struct pair){valid[i], valid[i + 1], R_NONE};
        for (size_t i = 0; n_valid > 1 && i < x->random_pairs; i++)
                p[k++] = (struct pair){valid[rnd((unsigned) n_valid)], valid[rnd((unsigned) n_valid)],
                                       R_NONE};

        if (run_tool(x->cmd, p, k, x->header, tool_version, sizeof tool_version) < 0) {
                CHECK(false);
                goto out;
        }

        size_t bad = 0, limits = 0;
        for (size_t i = 0; i < k; i++) {
                int ours = 0;
                int r = version_compare(x->s, p[i].a, p[i].b, &ours);
                int mine = r < 0 ? R_INVALID : v_sign(ours);
                if (p[i].tool == R_TOOL_LIMIT) {
                        limits++;
                        continue;
                }
                if (mine != p[i].tool) {
                        if (bad++ < 20)
                                fprintf(stderr, "%s: \"%s\" vs \"%s\": ours %d, %s %d\n",
                                        version_scheme_to_string(x->s), p[i].a, p[i].b, mine, x->tool_name,
                                        p[i].tool);
                }
        }
        printf("  %s vs %s%s%s: %zu versions (%s; %zu valid, %zu excluded), %zu pairs, %zu beyond the "
               "tool's "
               "limits, %zu disagreements\n",
               version_scheme_to_string(x->s), x->tool_name, tool_version[0] ? " " : "", tool_version, use.n,
               sources, n_valid, excluded, k, limits, bad);
        CHECK_INT(bad, 0);
out:
        free(p);
        free(valid);
        vl_free(&use);
        vl_free(l);
}

/* Absolute path of a source file (the tools may run elsewhere). */
static const char *srcfile(const char *rel) {
        static char buf[4][PATH_MAX];
        static unsigned k;
        char *b = buf[k++ % 4];
        if (!realpath(test_srcpath(rel), b))
                snprintf(b, PATH_MAX, "%s", test_srcpath(rel));
        return b;
}

/* --- dpkg ---------------------------------------------------------------------------------------------- */

TEST(xcheck_dpkg) {
        const char *helper = getenv("STOCKADE_XCHECK_DPKG");
        if (!have("dpkg --version")) {
                skip("dpkg not installed");
                return;
        }
        n_ran++;

        struct vlist l = {};
        size_t deb = load_debian(&l);
        load_vectors(&l, "dpkg.vec");
        static const char *const pieces[] = {
                "0", "1", "9", "10", "00", "01",  ".", ".",  "-",   "-",        "+", "~", "~",  ":",
                "a", "z", "A", "Z",  "rc", "deb", "u", "~~", "+b1", "\xc3\xa9", "_", "@", "1:", "0:"};
        generate(&l, pieces, ELEMENTSOF(pieces), 5000, 8, false);
        char sources[128];
        snprintf(sources, sizeof sources, "%zu from dpkg status and apt indices, vectors, 5000 generated",
                 deb);

        if (helper && *helper) {
                const struct xcheck x = {VS_DPKG, "libdpkg", helper, false, NULL, 30000};
                struct vlist copy = {};
                for (size_t i = 0; i < l.n; i++)
                        vl_add(&copy, l.v[i]);
                xcheck(&x, &copy, sources);
        } else
                printf("  (libdpkg-dev not installed: only the dpkg --compare-versions sample runs)\n");

        /* A sample through the dpkg binary itself (one process per answer, so a few hundred). */
        vl_uniq(&l);
        size_t nv = 0, bad = 0, n_sample = 0;
        char **valid = calloc(l.n + 1, sizeof *valid);
        for (size_t i = 0; i < l.n; i++)
                if (version_valid(VS_DPKG, l.v[i]))
                        valid[nv++] = l.v[i];
        cmp_scheme = VS_DPKG;
        qsort(valid, nv, sizeof *valid, sort_cmp);
        for (size_t t = 0; t < 300 && nv > 1; t++) {
                size_t i = rnd((unsigned) (nv - 1));
                const char *a = valid[i], *b = t % 3 == 0 ? valid[i] : valid[i + 1];
                pid_t pid;
                int ours = 0, lt, eq;
                version_compare(VS_DPKG, a, b, &ours);
                const char *rel[2] = {"lt", "eq"};
                int res[2];
                for (int q = 0; q < 2; q++) {
                        pid = fork();
                        if (pid == 0) {
                                int fd = open("/dev/null", O_WRONLY);
                                dup2(fd, 2);
                                execlp("dpkg", "dpkg", "--compare-versions", "--", a, rel[q], b,
                                       (char *) NULL);
                                _exit(127);
                        }
                        int st;
                        waitpid(pid, &st, 0);
                        res[q] = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
                }
                lt = res[0] == 0, eq = res[1] == 0;
                int tool = lt ? -1 : eq ? 0 : 1;
                n_sample++;
                if (res[0] > 1 || res[1] > 1 || tool != v_sign(ours)) {
                        if (bad++ < 20)
                                fprintf(stderr,
                                        "dpkg: \"%s\" vs \"%s\": ours %d, dpkg --compare-versions %d "
                                        "(%d/%d)\n",
                                        a, b, ours, tool, res[0], res[1]);
                }
        }
        printf("  dpkg vs dpkg --compare-versions: %zu pairs, %zu disagreements\n", n_sample, bad);
        CHECK_INT(bad, 0);
        free(valid);
        vl_free(&l);
}

/* --- rpm ----------------------------------------------------------------------------------------------- */

TEST(xcheck_rpm) {
        if (!have("rpm --eval '%{lua: print(rpm.vercmp(\"1\", \"2\"))}'")) {
                skip("rpm (with its lua rpm.vercmp) not installed");
                return;
        }
        n_ran++;
        struct vlist l = {};
        load_vectors(&l, "rpm.vec");
        load_vectors(&l, "dpkg.vec");
        size_t deb = load_debian(&l); /* Debian versions are fine EVR strings too */
        load_corpus(&l, "pypi.txt");
        static const char *const pieces[] = {
                "0", "1", "9", "10", "00", "01", ".",   ".",    "-",   "-",        "~",  "^",  "+",  "_",
                ":", "a", "b", "z",  "A",  "rc", "el9", "fc40", "git", "\xce\xb1", "~~", "^^", ".0", "1:"};
        generate(&l, pieces, ELEMENTSOF(pieces), 8000, 8, false);
        char cmd[4096], sources[160];
        snprintf(cmd, sizeof cmd, "rpm --define \"_xcheck_in %s/pairs\" --eval '%%{lua: dofile(\"%s\")}'",
                 tmpdir, srcfile("tests/unit/version/xcheck/cmp-rpm.lua"));
        /* run_tool redirects stdin too, which the lua script ignores. */
        snprintf(sources, sizeof sources, "rpm and dpkg vectors, %zu Debian, PyPI corpus, 8000 generated",
                 deb);
        const struct xcheck x = {VS_RPM, "rpm.vercmp", cmd, false, NULL, 30000};
        xcheck(&x, &l, sources);
}

/* --- PEP 440 ------------------------------------------------------------------------------------------- */

/* packaging before 26.1 matched non-ASCII letters in local versions ("1.0+\u0130"); VS_PEP440 follows
 * 26.1, whose rule the vectors check. */
static bool pep440_excluded(const char *v, const char *tool_version) {
        int major = 0, minor = 0;
        if (sscanf(tool_version, "%d.%d", &major, &minor) == 2 &&
            (major > 26 || (major == 26 && minor >= 1)))
                return false;
        for (; *v; v++)
                if ((unsigned char) *v >= 0x80)
                        return true;
        return false;
}

TEST(xcheck_pep440) {
        if (!have("/usr/bin/python3 -c 'import packaging.version'")) {
                skip("/usr/bin/python3 with packaging (python3-packaging) not installed");
                return;
        }
        n_ran++;
        struct vlist l = {};
        load_vectors(&l, "pep440.vec");
        load_corpus(&l, "pypi.txt");
        static const char *const pieces[] = {
                "0",    "1",   "9", "10",  "00",  "01", ".",  ".",     ".",      "-",   "_",
                "+",    "!",   "a", "b",   "c",   "rc", "RC", "alpha", "Beta",   "pre", "preview",
                "post", "rev", "r", "dev", "DEV", "v",  "V",  " ",     "+local", ".1",  "x"};
        generate(&l, pieces, ELEMENTSOF(pieces), 8000, 8, false);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s'",
                 srcfile("tests/unit/version/xcheck/cmp-pep440.py"));
        const struct xcheck x = {VS_PEP440, "packaging", cmd, true, pep440_excluded, 30000};
        xcheck(&x, &l, "vectors, PyPI advisory corpus, 8000 generated");
}

/* --- SemVer (npm, crates.io) --------------------------------------------------------------------------- */

/* node-semver refuses versions over 256 bytes and numbers above 2^53 - 1, and compares prerelease
 * numbers of 2^53 and more as floats; VS_SEMVER takes all of them exactly (version.h). */
static bool semver_excluded(const char *v, const char *tool_version) {
        if (strlen(v) > 256)
                return true;
        for (const char *p = v; *p;) {
                size_t n = v_digits_span(p);
                if (n > 15)
                        return true;
                p += n ? n : 1;
        }
        return false;
}

TEST(xcheck_semver) {
        if (!have("NODE_PATH=\"${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs\" node -e "
                  "\"require('semver')\"")) {
                skip("node with the semver package (Debian node-semver, or npm) not installed");
                return;
        }
        n_ran++;
        struct vlist l = {};
        load_vectors(&l, "semver.vec");
        load_corpus(&l, "npm.txt");
        load_corpus(&l, "crates.txt");
        load_corpus(&l, "go.txt");
        static const char *const pieces[] = {".0",    ".1",  ".2",     ".10",    ".01",   "-",     "-0",
                                             "-1",    "-01", "-a",     "-alpha", "-beta", ".beta", ".1",
                                             ".x",    "+",   "+build", ".5",     "v",     "=",     " ",
                                             "-rc.1", "-Z",  "--",     "a"};
        generate(&l, pieces, ELEMENTSOF(pieces), 8000, 6, true);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "NODE_PATH=\"${NODE_PATH:+$NODE_PATH:}/usr/share/nodejs\" node '%s'",
                 srcfile("tests/unit/version/xcheck/cmp-semver.js"));
        const struct xcheck x = {VS_SEMVER, "node-semver", cmd, true, semver_excluded, 30000};
        xcheck(&x, &l, "vectors, npm registry, RustSec and Go vulndb corpora, 8000 generated");
}

/* --- Go ------------------------------------------------------------------------------------------------ */

/* The toolchain tags (go1.21rc2) are ours, not x/mod's; the vectors check them. */
static bool go_excluded(const char *v, const char *tool_version) {
        return strneq(v, "go", 2);
}

TEST(xcheck_go) {
        struct stat st;
        if (!have("go version")) {
                skip("go not installed");
                return;
        }
        if (stat("/usr/share/gocode/src/golang.org/x/mod/semver/semver.go", &st) < 0) {
                skip("golang.org/x/mod not installed (Debian golang-golang-x-mod-dev)");
                return;
        }
        n_ran++;
        char cmd[8192];
        snprintf(cmd, sizeof cmd,
                 "GO111MODULE=off GOPATH=/usr/share/gocode GOCACHE='%s/gocache' GOFLAGS= "
                 "go build -o '%s/cmp-go' '%s' >&2",
                 tmpdir, tmpdir, srcfile("tests/unit/version/xcheck/cmp-go.go"));
        if (system(cmd) != 0) {
                CHECK(false);
                return;
        }
        struct vlist l = {};
        load_vectors(&l, "go.vec");
        load_corpus(&l, "go.txt");
        load_corpus(&l, "npm.txt");
        static const char *const pieces[] = {".0",
                                             ".1",
                                             ".2",
                                             ".10",
                                             ".01",
                                             "-",
                                             "-0",
                                             "-1",
                                             "-01",
                                             "-a",
                                             "-pre",
                                             ".0.20210101000000-abcdef123456",
                                             "-20210101000000-abcdef",
                                             "+incompatible",
                                             "+meta",
                                             ".x",
                                             "v",
                                             "-rc.1",
                                             "--"};
        generate(&l, pieces, ELEMENTSOF(pieces), 8000, 5, true);
        snprintf(cmd, sizeof cmd, "'%s/cmp-go'", tmpdir);
        const struct xcheck x = {VS_GO, "golang.org/x/mod/semver", cmd, false, go_excluded, 30000};
        xcheck(&x, &l, "vectors, Go vulndb and npm corpora, 8000 generated");
}

/* --- Maven --------------------------------------------------------------------------------------------- */

/* ComparableVersion works on UTF-16 text with Unicode digits and case folding; the scheme is ASCII. */
static bool ascii_excluded(const char *v, const char *tool_version) {
        for (; *v; v++)
                if ((unsigned char) *v >= 0x80)
                        return true;
        return false;
}

TEST(xcheck_maven) {
        char jar[1024] = "", cmd[8192];
        if (!have("javac -version") || !have("java -version")) {
                skip("java / javac not installed");
                return;
        }
        FILE *f = popen("ls /usr/share/maven/lib/maven-artifact-*.jar 2>/dev/null | head -1", "r");
        if (f && fgets(jar, sizeof jar, f))
                jar[strcspn(jar, "\n")] = 0;
        if (f)
                pclose(f);
        if (!jar[0]) {
                skip("Maven's maven-artifact jar not found (Debian maven)");
                return;
        }
        n_ran++;
        snprintf(cmd, sizeof cmd, "javac -d '%s' -cp '%s' '%s' >&2", tmpdir, jar,
                 srcfile("tests/unit/version/xcheck/CmpMaven.java"));
        if (system(cmd) != 0) {
                CHECK(false);
                return;
        }
        struct vlist l = {};
        load_vectors(&l, "maven.vec");
        load_corpus(&l, "npm.txt");
        load_corpus(&l, "pypi.txt");
        load_debian(&l);
        generate(&l, common_pieces, ELEMENTSOF(common_pieces), 10000, 9, false);
        static const char *const pieces[] = {
                "0",         "1",  "00", "000000000", "0000000000", "1234567890", "12345678901234567890",
                ".",         "-",  "a",  "b",         "m",          "ga",         "final",
                "release",   "sp", "rc", "cr",        "snapshot",   "alpha",      "beta",
                "milestone", "x"};
        generate(&l, pieces, ELEMENTSOF(pieces), 5000, 8, false);
        snprintf(cmd, sizeof cmd, "java -cp '%s:%s' CmpMaven", jar, tmpdir);
        const struct xcheck x = {VS_MAVEN, "ComparableVersion", cmd, false, ascii_excluded, 30000};
        xcheck(&x, &l, "vectors, npm, PyPI and Debian corpora, 15000 generated");
}

/* --- RubyGems ------------------------------------------------------------------------------------------ */

/* RubyGems before 3.5 kept zero segments after the first letter that 3.5 drops (version-gem.c): skip
 * versions with one when the installed RubyGems is older ($STOCKADE_GEM_VERSION_RB can load a newer
 * lib/rubygems/version.rb over it; see xcheck/cmp-gem.rb). */
static bool gem_excluded(const char *v, const char *tool_version) {
        int major = 0, minor = 0;
        if (sscanf(tool_version, "%d.%d", &major, &minor) != 2 || major > 3 || (major == 3 && minor >= 5))
                return false; /* RubyGems 3.5 or later, or a version.rb of one */
        const char *letter = strpbrk(v, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");
        if (!letter)
                return false;
        for (const char *p = letter; *p; p++)
                if (*p == '0' && !v_isdigit(p[-1]) && !v_isdigit(p[v_digits_span(p)]) &&
                    v_digits_zero(p, v_digits_span(p)))
                        return true;
        return false;
}

TEST(xcheck_gem) {
        if (!have("ruby -e 'Gem::Version'")) {
                skip("ruby not installed");
                return;
        }
        n_ran++;
        struct vlist l = {};
        load_vectors(&l, "gem.vec");
        load_corpus(&l, "npm.txt");
        load_corpus(&l, "pypi.txt");
        load_corpus(&l, "crates.txt");
        generate(&l, common_pieces, ELEMENTSOF(common_pieces), 10000, 9, false);
        static const char *const pieces[] = {"0",   "1",  "00", "10", ".",  ".",  "-",  "a",  "b",
                                             "pre", "rc", "A",  ".0", ".a", "-1", "--", "0.", " "};
        generate(&l, pieces, ELEMENTSOF(pieces), 5000, 8, true);
        char cmd[4096];
        snprintf(cmd, sizeof cmd, "ruby '%s'", srcfile("tests/unit/version/xcheck/cmp-gem.rb"));
        const struct xcheck x = {VS_GEM, "Gem::Version", cmd, true, gem_excluded, 30000};
        xcheck(&x, &l, "vectors, npm, PyPI and crates corpora, 15000 generated");
}

/* The temporary directory lives for the whole run. */
__attribute__((constructor)) static void make_tmpdir(void) {
        if (!mkdtemp(tmpdir))
                abort();
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw) {
        return remove(path);
}

__attribute__((destructor)) static void remove_tmpdir(void) {
        if (tmpdir[strlen(tmpdir) - 1] == 'X')
                return;
        if (nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
                fprintf(stderr, "cannot remove %s: %m\n", tmpdir);
        tmpdir[strlen(tmpdir) - 1] = 'X';
}
