/* SPDX-License-Identifier: Apache-2.0 */
/* RubyGems versions, ordered as Gem::Version#<=> of RubyGems 3.5 and later.
 *
 * Valid versions are what Gem::Version.correct? accepts: optional ASCII whitespace around
 *   [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
 * or nothing at all (the empty version is "0"). Gem::Version replaces every '-' with ".pre.", so
 * "1.0-rc1" is 1.0.pre.rc1. A version containing a letter is a prerelease.
 *
 * The version is cut into segments (runs of digits, which are numbers, and runs of letters, which are
 * strings; dots only separate) after two canonicalizations, which RubyGems does with regular expressions
 * on the string and this file does in place:
 *   - trailing zero segments go (1.0.0 = 1, 1.a.0 = 1.a), but never the first segment;
 *   - in a prerelease, the first run of zero segments directly before a letter goes when it starts the
 *     version or follows a dot or a '-' (1.0.a = 1.a, 0.beta.1 = beta.1, 5.0.0.rc2 = 5.rc2).
 * Segments then compare pairwise: numbers by value, strings by bytes (case matters), a string before a
 * number; when one version runs out, a remaining string makes the longer one older, a remaining non-zero
 * number makes it newer.
 *
 * RubyGems before 3.5 (Ruby <= 3.2) canonicalized differently: it dropped trailing zeros of the numeric
 * prefix and of the rest separately, so it kept zero segments between letters that 3.5 drops
 * (1.a.0.b > 1.a.b there, equal here). No other pair of versions orders differently. */

#include "version-internal.h"

struct gem {
        const char *s;
        size_t n;              /* trimmed length; the canonical form ends at cut */
        size_t cut;            /* trailing zero segments start here */
        size_t rm_from, rm_to; /* the zero run removed before the first letter */
        bool zero;             /* the empty version */
};

static bool is_rspace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_zrun(char c) {
        return c == '.' || c == '0';
}

/* The rule-2 walk of gem_parse(): sets [*from, *to) to the original bytes whose zeros the first match
 * removes (nothing if there is no match). */
static void find_zero_run(const char *s, size_t n, size_t *from, size_t *to) {
        bool in_run = false, at_start = false, seen_dot = false, nonempty = false;
        size_t vpos = 0, rm = 0;

        for (size_t i = 0; i < n; i++) {
                /* The characters RubyGems sees for s[i]. */
                const char *chars = s[i] == '-' ? ".pre." : (const char[]){s[i], 0};
                for (const char *c = chars; *c; c++, vpos++) {
                        if (*c == '.' || *c == '0') {
                                if (!in_run) {
                                        in_run = true;
                                        at_start = vpos == 0;
                                        seen_dot = false;
                                        nonempty = false;
                                        rm = i;
                                }
                                if (at_start || seen_dot)
                                        nonempty = true; /* the match may start before this character */
                                if (*c == '.' && !at_start && !seen_dot) {
                                        seen_dot = true;
                                        rm = i + 1;
                                }
                                continue;
                        }
                        if (in_run && v_isalpha(*c) && nonempty) {
                                *from = rm;
                                *to = i;
                                return;
                        }
                        in_run = false;
                }
        }
}

static int gem_parse(const char *str, struct gem *ret) {
        const char *s = str, *e = str + strlen(str);

        *ret = (struct gem){};
        while (s < e && is_rspace(*s))
                s++;
        while (e > s && is_rspace(e[-1]))
                e--;
        if (s == e) {
                ret->zero = true;
                return 0;
        }

        /* [0-9]+(\.[0-9a-zA-Z]+)* */
        const char *p = s;
        if (!v_isdigit(*p))
                return -EINVAL;
        while (p < e && v_isdigit(*p))
                p++;
        while (p < e && *p == '.') {
                const char *q = ++p;
                while (p < e && v_isalnum(*p))
                        p++;
                if (p == q)
                        return -EINVAL;
        }
        /* (-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)? */
        if (p < e && *p == '-') {
                for (;;) {
                        const char *q = ++p;
                        while (p < e && (v_isalnum(*p) || *p == '-'))
                                p++;
                        if (p == q)
                                return -EINVAL;
                        if (p == e || *p != '.')
                                break;
                }
        }
        if (p != e)
                return -EINVAL;

        size_t n = (size_t) (e - s);
        bool prerelease = false;
        for (size_t i = 0; i < n; i++)
                if (v_isalpha(s[i]) || s[i] == '-')
                        prerelease = true;

        /* sub(/(?<=[a-zA-Z.])[.0]+\z/, ""): the trailing run of dots and zeros, from its start if a letter
         * (or the "e." of a ".pre." that was a '-') precedes it, else from after its first dot. */
        size_t q = n, cut = n;
        while (q > 0 && is_zrun(s[q - 1]))
                q--;
        if (q < n) {
                if (q > 0 && (v_isalpha(s[q - 1]) || s[q - 1] == '-'))
                        cut = q;
                else {
                        const char *dot = memchr(s + q, '.', n - q);
                        if (dot && (size_t) (dot - s) + 1 < n)
                                cut = (size_t) (dot - s) + 1;
                }
        }

        /* sub(/(?<=\.|\A)[0.]+(?=[a-zA-Z])/, "") on what is left, for a prerelease: the first run of dots
         * and zeros that is followed by a letter and has something after its first dot (or starts the
         * version) loses that part. This is a walk over the string as RubyGems sees it, with every '-'
         * read as ".pre.", because the dots of those count: in "1--00.a" (1.pre..pre.00.a) the first
         * such run is the ".." between the two "pre", whose removal changes no segment. */
        size_t rm_from = 0, rm_to = 0;
        if (prerelease)
                find_zero_run(s, cut, &rm_from, &rm_to);
        ret->s = s;
        ret->n = n;
        ret->cut = cut;
        ret->rm_from = rm_from;
        ret->rm_to = rm_to;
        return 0;
}

struct seg {
        bool num;
        const char *p;
        size_t n;
};

struct seg_iter {
        const struct gem *g;
        size_t i;
        bool zero_done;
};

static bool seg_next(struct seg_iter *it, struct seg *ret) {
        const struct gem *g = it->g;

        if (g->zero) {
                if (it->zero_done)
                        return false;
                it->zero_done = true;
                *ret = (struct seg){true, "0", 1};
                return true;
        }
        for (;;) {
                if (it->i >= g->rm_from && it->i < g->rm_to)
                        it->i = g->rm_to;
                if (it->i >= g->cut)
                        return false;
                const char *s = g->s;
                size_t i = it->i;
                if (s[i] == '-') {
                        it->i++;
                        *ret = (struct seg){false, "pre", 3};
                        return true;
                }
                if (v_isdigit(s[i]) || v_isalpha(s[i])) {
                        bool num = v_isdigit(s[i]);
                        size_t j = i;
                        while (j < g->cut && (num ? v_isdigit(s[j]) : v_isalpha(s[j])))
                                j++;
                        it->i = j;
                        *ret = (struct seg){num, s + i, j - i};
                        return true;
                }
                it->i++; /* '.' */
        }
}

static int gem_cmp(const struct gem *a, const struct gem *b) {
        struct seg_iter ia = {.g = a}, ib = {.g = b};
        struct seg x, y;

        for (;;) {
                bool hx = seg_next(&ia, &x), hy = seg_next(&ib, &y);
                if (!hx && !hy)
                        return 0;
                if (!hx || !hy) {
                        /* The longer version's rest decides: a string makes it older, a non-zero number
                         * newer. */
                        int sign = hx ? 1 : -1;
                        struct seg_iter *it = hx ? &ia : &ib;
                        struct seg z = hx ? x : y;
                        for (;;) {
                                if (!z.num)
                                        return -sign;
                                if (!v_digits_zero(z.p, z.n))
                                        return sign;
                                if (!seg_next(it, &z))
                                        return 0;
                        }
                }
                if (x.num != y.num)
                        return x.num ? 1 : -1;
                int r = x.num ? v_digits_cmp(x.p, x.n, y.p, y.n) : v_bytes_cmp(x.p, x.n, y.p, y.n);
                if (r)
                        return r;
        }
}

int version_gem_compare(const char *a, const char *b, int *ret) {
        struct gem x, y;
        if (gem_parse(a, &x) < 0 || gem_parse(b, &y) < 0)
                return -EINVAL;
        *ret = gem_cmp(&x, &y);
        return 0;
}

bool version_gem_valid(const char *v) {
        struct gem x;
        return gem_parse(v, &x) == 0;
}
