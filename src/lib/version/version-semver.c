/* SPDX-License-Identifier: Apache-2.0 */
/* Semantic versions (https://semver.org/spec/v2.0.0.html §11) in two dialects.
 *
 * VS_SEMVER (npm, crates.io, …) parses as node-semver's loose mode, which accepts every strict SemVer
 * version and what npm tolerates besides: surrounding whitespace and any run of 'v', '=' and whitespace
 * before the version ("v1.2.3", "=1.2.3", "= v 1.2.3"), numbers with leading zeros (compared by value),
 * and a prerelease without its hyphen ("1.2.3beta" is 1.2.3-beta; and, as the loose regex backtracks,
 * "1.2.10.5" is 1.2.1-0.5 while "1.2.3.4" is invalid). Unlike node-semver, numbers of any size
 * and versions longer than 256 bytes are accepted and compared exactly (node-semver refuses them, or
 * compares identifiers above 2^53 as floating point), and only ASCII whitespace counts as whitespace.
 *
 * VS_GO parses as golang.org/x/mod/semver: vMAJOR[.MINOR[.PATCH[-pre][+build]]] with no leading zeros;
 * "v1" and "v1.2" mean v1.0.0 and v1.2.0 (but take no prerelease or build). The 'v' is optional here
 * because the Go vulnerability database writes versions without it. Toolchain versions as the go command
 * and runtime.Version() print them, go1.N[.P][(beta|rc|-pre)K], compare as the Go vulndb maps them to
 * semver: go1.21rc2 = v1.21.0-rc.2 < go1.21.0 = go1.21 (the release; the go/version package would call
 * "go1.21" the language version, older than its release candidates), go1 = v1.0.0.
 *
 * Precedence (both): major, minor, patch numerically; a version with a prerelease is older than the same
 * version without; prereleases compare identifier by identifier, numeric identifiers by value and before
 * alphanumeric ones, alphanumeric ones by ASCII bytes, and a prefix is older. Build metadata is ignored
 * (so v2.0.0+incompatible == v2.0.0, and pseudo-versions order as the prereleases they are). */

#include "version-internal.h"

struct span {
        const char *p;
        size_t n;
};

struct semver {
        struct span major, minor, patch;
        /* Prerelease identifiers: either pre (dot-separated), or, for a Go toolchain version, the two
         * identifiers label and number. */
        struct span pre;
        struct span tool_label, tool_number;
        bool has_pre;
};

static bool is_ident_char(char c) {
        return v_isalnum(c) || c == '-';
}

static bool is_ascii_space(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Dot-separated non-empty identifiers of [0-9A-Za-z-] at *p, ending at a byte that is neither;
 * go_rules refuses numeric identifiers with leading zeros. Returns the span, or .p == NULL if invalid. */
static struct span parse_idents(const char **p, bool go_rules) {
        const char *s = *p, *start = s;
        for (;;) {
                const char *id = s;
                bool numeric = true;
                while (is_ident_char(*s)) {
                        numeric = numeric && v_isdigit(*s);
                        s++;
                }
                if (s == id)
                        return (struct span){NULL, 0};
                if (go_rules && numeric && s - id > 1 && *id == '0')
                        return (struct span){NULL, 0};
                if (*s != '.')
                        break;
                s++;
        }
        *p = s;
        return (struct span){start, (size_t) (s - start)};
}

static bool parse_number(const char **p, struct span *ret, bool go_rules) {
        size_t n = v_digits_span(*p);
        if (n == 0 || (go_rules && n > 1 && **p == '0'))
                return false;
        *ret = (struct span){*p, n};
        *p += n;
        return true;
}

/* What follows the patch number: node-semver's -?(ident(.ident)*) then (+ident(.ident)*)?, to end. With
 * the hyphen when that parses, else the hyphen is part of the first identifier ("1.2.3-" has the
 * prerelease "-"). */
static int semver_parse_rest(const char *s, const char *end, struct semver *ret) {
        if (s < end && *s != '+') {
                const char *q = s + (*s == '-');
                ret->pre = parse_idents(&q, false);
                if (!ret->pre.p && *s == '-') {
                        q = s;
                        ret->pre = parse_idents(&q, false);
                }
                if (!ret->pre.p)
                        return -EINVAL;
                ret->has_pre = true;
                s = q;
        }
        if (s < end && *s == '+') {
                s++;
                if (!parse_idents(&s, false).p)
                        return -EINVAL;
        }
        return s == end ? 0 : -EINVAL;
}

static int semver_parse(const char *s, struct semver *ret) {
        const char *end = s + strlen(s);

        *ret = (struct semver){};
        while (is_ascii_space(*s) || *s == 'v' || *s == '=')
                s++;
        while (end > s && is_ascii_space(end[-1]))
                end--;

        if (!parse_number(&s, &ret->major, false) || *s++ != '.' || !parse_number(&s, &ret->minor, false) ||
            *s++ != '.' || !parse_number(&s, &ret->patch, false))
                return -EINVAL;
        if (semver_parse_rest(s, end, ret) == 0)
                return 0;

        /* The loose regex backtracks into the patch digits when the rest does not parse: "1.2.10.5" is
         * 1.2.1-0.5. Every shorter patch leaves the same rest after the first prerelease identifier, so
         * only the longest (one digit less) needs trying. */
        if (ret->patch.n < 2)
                return -EINVAL;
        ret->patch.n--;
        ret->has_pre = false;
        return semver_parse_rest(ret->patch.p + ret->patch.n, end, ret);
}

/* Toolchain versions, mapped as the Go vulndb's GoTagToSemver() maps them: the first whitespace-separated
 * field (runtime.Version() may add " X:experiment") must be "go1" (v1.0.0) or match
 * go(N.N)(.N)?((beta|rc|-pre)N)?, which becomes vN.N.(N|0)[-label.N]; "go1.0" is not a version. The
 * result must be valid semver (no leading zeros). s points after "go". */
static int go_tool_parse(const char *s, struct semver *ret) {
        static const char zero[] = "0";
        const char *e = s;

        while (*e && !is_ascii_space(*e))
                e++;
        ret->minor = ret->patch = (struct span){zero, 1};
        if (e - s == 1 && *s == '1') {
                ret->major = (struct span){s, 1};
                return 0;
        }
        if (!parse_number(&s, &ret->major, true) || *s++ != '.' || !parse_number(&s, &ret->minor, true))
                return -EINVAL;
        if (s == e && ret->major.n == 1 && ret->major.p[0] == '1' && ret->minor.p[0] == '0')
                return -EINVAL; /* "go1.0" */
        if (*s == '.') {
                s++;
                if (!parse_number(&s, &ret->patch, true))
                        return -EINVAL;
        }
        if (s < e) {
                size_t n = strneq(s, "beta", 4) ? 4 : strneq(s, "rc", 2) ? 2 : strneq(s, "-pre", 4) ? 4 : 0;
                if (n == 0)
                        return -EINVAL;
                ret->tool_label = *s == '-' ? (struct span){s + 1, 3} : (struct span){s, n};
                s += n;
                if (!parse_number(&s, &ret->tool_number, true))
                        return -EINVAL;
                ret->has_pre = true;
        }
        return s == e ? 0 : -EINVAL;
}

static int go_parse(const char *s, struct semver *ret) {
        static const char zero[] = "0";

        *ret = (struct semver){};
        if (s[0] == 'g' && s[1] == 'o' && v_isdigit(s[2]))
                return go_tool_parse(s + 2, ret);
        if (*s == 'v')
                s++;
        if (!parse_number(&s, &ret->major, true))
                return -EINVAL;
        ret->minor = ret->patch = (struct span){zero, 1};
        if (!*s)
                return 0; /* v1 */
        if (*s++ != '.' || !parse_number(&s, &ret->minor, true))
                return -EINVAL;
        if (!*s)
                return 0; /* v1.2 */
        if (*s++ != '.' || !parse_number(&s, &ret->patch, true))
                return -EINVAL;
        if (*s == '-') {
                s++;
                ret->pre = parse_idents(&s, true);
                if (!ret->pre.p)
                        return -EINVAL;
                ret->has_pre = true;
        }
        if (*s == '+') {
                s++;
                if (!parse_idents(&s, false).p)
                        return -EINVAL;
        }
        return *s ? -EINVAL : 0;
}

/* Iterates over the prerelease identifiers of a parsed version. */
struct ident_iter {
        const struct semver *v;
        size_t pos;  /* in v->pre */
        int tool_at; /* next toolchain identifier: 0 label, 1 number, 2 done */
};

static bool ident_next(struct ident_iter *it, struct span *ret) {
        const struct semver *v = it->v;
        if (v->tool_label.p) {
                if (it->tool_at >= 2)
                        return false;
                *ret = it->tool_at++ == 0 ? v->tool_label : v->tool_number;
                return true;
        }
        if (it->pos > v->pre.n)
                return false;
        const char *s = v->pre.p + it->pos, *e = v->pre.p + v->pre.n;
        const char *dot = memchr(s, '.', (size_t) (e - s));
        if (!dot)
                dot = e;
        *ret = (struct span){s, (size_t) (dot - s)};
        it->pos += ret->n + 1;
        return true;
}

static bool all_digits(struct span s) {
        return v_digits_span(s.p) >= s.n;
}

static int compare_idents(struct span a, struct span b) {
        bool an = all_digits(a), bn = all_digits(b);
        if (an && bn)
                return v_digits_cmp(a.p, a.n, b.p, b.n);
        if (an != bn)
                return an ? -1 : 1;
        return v_bytes_cmp(a.p, a.n, b.p, b.n);
}

static int semver_cmp(const struct semver *a, const struct semver *b) {
        int r = v_digits_cmp(a->major.p, a->major.n, b->major.p, b->major.n);
        if (!r)
                r = v_digits_cmp(a->minor.p, a->minor.n, b->minor.p, b->minor.n);
        if (!r)
                r = v_digits_cmp(a->patch.p, a->patch.n, b->patch.p, b->patch.n);
        if (r)
                return r;
        if (!a->has_pre || !b->has_pre)
                return (int) b->has_pre - (int) a->has_pre;

        struct ident_iter ia = {.v = a}, ib = {.v = b};
        for (;;) {
                struct span x, y;
                bool hx = ident_next(&ia, &x), hy = ident_next(&ib, &y);
                if (!hx || !hy)
                        return (int) hx - (int) hy;
                r = compare_idents(x, y);
                if (r)
                        return r;
        }
}

int version_semver_compare(const char *a, const char *b, int *ret) {
        struct semver x, y;
        if (semver_parse(a, &x) < 0 || semver_parse(b, &y) < 0)
                return -EINVAL;
        *ret = semver_cmp(&x, &y);
        return 0;
}

bool version_semver_valid(const char *v) {
        struct semver x;
        return semver_parse(v, &x) == 0;
}

int version_go_compare(const char *a, const char *b, int *ret) {
        struct semver x, y;
        if (go_parse(a, &x) < 0 || go_parse(b, &y) < 0)
                return -EINVAL;
        *ret = semver_cmp(&x, &y);
        return 0;
}

bool version_go_valid(const char *v) {
        struct semver x;
        return go_parse(v, &x) == 0;
}
