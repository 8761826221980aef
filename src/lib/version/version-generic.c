/* SPDX-License-Identifier: Apache-2.0 */
/* The fallback for ecosystems without a scheme of their own (Packagist, Hackage, CRAN, GitHub Actions,
 * …): a conservative ordering that agrees with the ecosystem schemes on ordinary versions.
 *
 * Leading whitespace and a 'v' before a digit are skipped. The rest is cut into runs of ASCII digits
 * (numbers, any length) and runs of ASCII letters (words, case-insensitive); every other byte separates.
 * Runs compare pairwise, a missing run counting as the number zero, in this order:
 *   pre-release words: dev/snapshot < alpha < beta < milestone < pre/preview < rc/cr
 *   < zero (so 1.0 == 1.0.0, 1.0rc1 < 1.0)
 *   < other words, alphabetically (1.0 < 1.0k < 1.0-p1 < 1.0.1; openssl 1.1.1 < 1.1.1k)
 *   < positive numbers, by value.
 * Words are case-insensitive; a, b, c and m count as alpha, beta, rc and milestone only directly before
 * a digit (1.0b2), since a lone letter after a number is more often a patch level. Every string is
 * valid, and the order is total (a lexicographic order on runs padded with zeros). */

#include "version-internal.h"

struct run {
        bool num;
        const char *p;
        size_t n;
        int rank; /* words: 0..5 known pre-release words, 6 others */
};

struct runs {
        const char *s;
};

static bool word_eq(const char *s, size_t n, const char *w) {
        if (strlen(w) != n)
                return false;
        for (size_t i = 0; i < n; i++)
                if (v_tolower(s[i]) != w[i])
                        return false;
        return true;
}

static int word_rank(const char *s, size_t n, bool before_digit) {
        static const struct {
                const char *w;
                int rank;
        } table[] = {
                {"dev", 0}, {"snapshot", 0}, {"alpha", 1}, {"beta", 2}, {"milestone", 3},
                {"pre", 4}, {"preview", 4},  {"rc", 5},    {"cr", 5},
        };
        if (n == 1 && before_digit)
                switch (v_tolower(s[0])) {
                case 'a': return 1;
                case 'b': return 2;
                case 'm': return 3;
                case 'c': return 5;
                default: break;
                }
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (word_eq(s, n, table[i].w))
                        return table[i].rank;
        return 6;
}

static bool run_next(struct runs *it, struct run *ret) {
        const char *s = it->s;
        while (*s && !v_isalnum(*s))
                s++;
        if (!*s) {
                it->s = s;
                return false;
        }
        const char *p = s;
        bool num = v_isdigit(*s);
        while (*s && (num ? v_isdigit(*s) : v_isalpha(*s)))
                s++;
        *ret = (struct run){.num = num, .p = p, .n = (size_t) (s - p)};
        if (!num)
                ret->rank = word_rank(p, ret->n, v_isdigit(*s));
        it->s = s;
        return true;
}

static int word_cmp(const struct run *a, const struct run *b) {
        if (a->rank != b->rank)
                return a->rank < b->rank ? -1 : 1;
        if (a->rank < 6)
                return 0; /* spellings of one pre-release word: a = alpha, c = rc = cr */
        for (size_t i = 0; i < a->n && i < b->n; i++) {
                unsigned char x = (unsigned char) v_tolower(a->p[i]), y = (unsigned char) v_tolower(b->p[i]);
                if (x != y)
                        return x < y ? -1 : 1;
        }
        return v_sign((long long) a->n - (long long) b->n);
}

static const char *skip_prefix(const char *s) {
        while (*s == ' ' || (*s >= '\t' && *s <= '\r'))
                s++;
        if ((*s == 'v' || *s == 'V') && v_isdigit(s[1]))
                s++;
        return s;
}

/* Where a run sorts at its position: pre-release words, then zero (also standing for a missing run),
 * then other words, then positive numbers. */
static int run_class(const struct run *r) {
        if (!r)
                return 1;
        if (r->num)
                return v_digits_zero(r->p, r->n) ? 1 : 3;
        return r->rank < 6 ? 0 : 2;
}

static int run_cmp(const struct run *a, const struct run *b) {
        int ca = run_class(a), cb = run_class(b);
        if (ca != cb)
                return ca < cb ? -1 : 1;
        switch (ca) {
        case 1: return 0;
        case 3: return v_digits_cmp(a->p, a->n, b->p, b->n);
        default: return word_cmp(a, b);
        }
}

static int generic_cmp(const char *a, const char *b) {
        struct runs ia = {skip_prefix(a)}, ib = {skip_prefix(b)};
        struct run x, y;

        for (;;) {
                bool hx = run_next(&ia, &x), hy = run_next(&ib, &y);
                if (!hx && !hy)
                        return 0;
                int r = run_cmp(hx ? &x : NULL, hy ? &y : NULL);
                if (r)
                        return r;
        }
}

int version_generic_compare(const char *a, const char *b, int *ret) {
        *ret = generic_cmp(a, b);
        return 0;
}

bool version_generic_valid(const char *v) {
        return true;
}
