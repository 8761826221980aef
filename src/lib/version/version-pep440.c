/* SPDX-License-Identifier: Apache-2.0 */
/* PEP 440 versions, parsed and ordered as packaging.version.Version (pypa/packaging) does:
 *
 *   [v][N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local]
 *
 * with packaging's tolerances: surrounding whitespace (Python's str.isspace() set, in UTF-8), a leading
 * 'v', any case, alternative spellings (alpha, beta, c, pre, preview; rev, r; and "-N" for a post
 * release), optional '.', '-' or '_' separators around the pre/post/dev labels, implicit numbers (1.0a =
 * 1.0a0), leading zeros. Everything else is invalid (-EINVAL), as Version() raises InvalidVersion. Like
 * packaging since 22.0 (its regex runs in ASCII mode), letters are ASCII only. Numbers of any length are
 * compared exactly (CPython refuses to convert more than 4300 digits by default and raises ValueError).
 *
 * Order (packaging's _cmpkey): epoch; release with trailing zeros ignored (1.0 == 1.0.0); then
 * dev-only releases (1.0.dev1) < a < b < rc < final, each with its number; then no post < post N; then
 * dev N < no dev; then no local < local, local segments compared as numbers when all digits, else
 * case-insensitively as strings, numbers above strings, a prefix first. */

#include "version-internal.h"

struct span {
        const char *p;
        size_t n;
};

enum { PRE_NONE = -1, PRE_A, PRE_B, PRE_RC };

struct pep440 {
        struct span epoch, release;
        int pre;
        struct span pre_n;
        bool post, dev, local;
        struct span post_n, dev_n, local_s;
};

/* Length of a whitespace character (str.isspace()) encoded in UTF-8 at s[0..n), or 0. */
static size_t space_at(const unsigned char *s, size_t n) {
        if (n >= 1 && ((s[0] >= 0x09 && s[0] <= 0x0d) || (s[0] >= 0x1c && s[0] <= 0x20)))
                return 1;
        if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
                return 2;
        if (n >= 3) {
                unsigned cp =
                        ((unsigned) (s[0] & 0x0f) << 12) | ((unsigned) (s[1] & 0x3f) << 6) | (s[2] & 0x3f);
                if ((s[0] & 0xf0) != 0xe0 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
                        return 0;
                if (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) || cp == 0x2028 || cp == 0x2029 ||
                    cp == 0x202f || cp == 0x205f || cp == 0x3000)
                        return 3;
        }
        return 0;
}

/* The same for a character ending at s[n - 1]. */
static size_t space_before(const unsigned char *s, size_t n) {
        for (size_t k = 1; k <= 3 && k <= n; k++)
                if (space_at(s + n - k, k) == k)
                        return k;
        return 0;
}

static bool is_sep(char c) {
        return c == '.' || c == '-' || c == '_';
}

/* Case-insensitive ASCII match of a lowercase word at s. */
static bool word_at(const char *s, const char *word, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (v_tolower(s[i]) != word[i])
                        return false;
        return true;
}

/* The first of words[] (in order, as the regex alternation tries them) that s starts with. */
static int match_word(const char *s, const char *const *words, size_t n_words, size_t *ret_len) {
        for (size_t i = 0; i < n_words; i++) {
                size_t n = strlen(words[i]);
                if (word_at(s, words[i], n)) {
                        *ret_len = n;
                        return (int) i;
                }
        }
        return -1;
}

static struct span take_digits(const char **p) {
        struct span s = {*p, v_digits_span(*p)};
        *p += s.n;
        return s;
}

static int pep440_parse(const char *str, struct pep440 *ret) {
        static const char *const pre_words[] = {"alpha", "a", "beta", "b", "preview", "pre", "c", "rc"};
        static const int pre_kinds[] = {PRE_A, PRE_A, PRE_B, PRE_B, PRE_RC, PRE_RC, PRE_RC, PRE_RC};
        static const char *const post_words[] = {"post", "rev", "r"};
        static const char *const dev_words[] = {"dev"};
        const unsigned char *u = (const unsigned char *) str;
        size_t n = strlen(str), k;
        const char *p, *end;

        *ret = (struct pep440){.pre = PRE_NONE};

        while ((k = space_at(u, n)) > 0)
                u += k, n -= k;
        while ((k = space_before(u, n)) > 0)
                n -= k;
        p = (const char *) u;
        end = p + n;

        if (*p == 'v' || *p == 'V')
                p++;

        size_t d = v_digits_span(p);
        if (d > 0 && p[d] == '!') {
                ret->epoch = (struct span){p, d};
                p += d + 1;
        }

        const char *rel = p;
        if (v_digits_span(p) == 0)
                return -EINVAL;
        p += v_digits_span(p);
        while (p[0] == '.' && v_isdigit(p[1]))
                p += 1 + v_digits_span(p + 1);
        ret->release = (struct span){rel, (size_t) (p - rel)};

        /* Pre-release: [._-]?(label)[._-]?N? */
        const char *q = p + is_sep(*p);
        int w = match_word(q, pre_words, ELEMENTSOF(pre_words), &k);
        if (w >= 0) {
                q += k;
                q += is_sep(*q);
                ret->pre = pre_kinds[w];
                ret->pre_n = take_digits(&q);
                p = q;
        }

        /* Post-release: -N | [._-]?(post|rev|r)[._-]?N? */
        if (p[0] == '-' && v_isdigit(p[1])) {
                p++;
                ret->post = true;
                ret->post_n = take_digits(&p);
        } else {
                q = p + is_sep(*p);
                if (match_word(q, post_words, ELEMENTSOF(post_words), &k) >= 0) {
                        q += k;
                        q += is_sep(*q);
                        ret->post = true;
                        ret->post_n = take_digits(&q);
                        p = q;
                }
        }

        /* Development release: [._-]?dev[._-]?N? */
        q = p + is_sep(*p);
        if (match_word(q, dev_words, ELEMENTSOF(dev_words), &k) >= 0) {
                q += k;
                q += is_sep(*q);
                ret->dev = true;
                ret->dev_n = take_digits(&q);
                p = q;
        }

        /* Local version: +[a-z0-9]+([._-][a-z0-9]+)* */
        if (*p == '+') {
                const char *l = ++p;
                if (!v_isalnum(*p))
                        return -EINVAL;
                for (;;) {
                        while (v_isalnum(*p))
                                p++;
                        if (!(is_sep(p[0]) && v_isalnum(p[1])))
                                break;
                        p++;
                }
                ret->local = true;
                ret->local_s = (struct span){l, (size_t) (p - l)};
        }

        return p == end ? 0 : -EINVAL;
}

/* Next dot-separated number of a release; 0 (empty) once exhausted. */
static struct span release_next(struct span *r) {
        struct span s = {r->p, 0};
        if (r->n == 0)
                return s;
        s.n = v_digits_span(r->p);
        size_t adv = s.n < r->n ? s.n + 1 : s.n;
        r->p += adv;
        r->n -= adv;
        return s;
}

static int release_cmp(struct span a, struct span b) {
        while (a.n > 0 || b.n > 0) {
                struct span x = release_next(&a), y = release_next(&b);
                int r = v_digits_cmp(x.p, x.n, y.p, y.n);
                if (r)
                        return r;
        }
        return 0;
}

/* Next [._-]-separated segment of a local version. */
static bool local_next(struct span *l, struct span *ret) {
        if (!l->p)
                return false;
        size_t i = 0;
        while (i < l->n && !is_sep(l->p[i]))
                i++;
        *ret = (struct span){l->p, i};
        if (i < l->n) {
                l->p += i + 1;
                l->n -= i + 1;
        } else
                l->p = NULL;
        return true;
}

static int local_cmp(struct span a, struct span b) {
        for (;;) {
                struct span x, y;
                bool hx = local_next(&a, &x), hy = local_next(&b, &y);
                if (!hx || !hy)
                        return (int) hx - (int) hy;
                bool nx = v_digits_span(x.p) >= x.n, ny = v_digits_span(y.p) >= y.n;
                int r;
                if (nx && ny)
                        r = v_digits_cmp(x.p, x.n, y.p, y.n);
                else if (nx != ny)
                        r = nx ? 1 : -1;
                else {
                        r = 0;
                        for (size_t i = 0; i < x.n && i < y.n && !r; i++)
                                r = v_sign((unsigned char) v_tolower(x.p[i]) -
                                           (unsigned char) v_tolower(y.p[i]));
                        if (!r)
                                r = v_sign((long long) x.n - (long long) y.n);
                }
                if (r)
                        return r;
        }
}

static int pre_rank(const struct pep440 *v) {
        if (v->pre == PRE_NONE)
                return !v->post && v->dev ? -1 : 3;
        return v->pre;
}

static int pep440_cmp(const struct pep440 *a, const struct pep440 *b) {
        int r;

        if ((r = v_digits_cmp(a->epoch.p, a->epoch.n, b->epoch.p, b->epoch.n)))
                return r;
        if ((r = release_cmp(a->release, b->release)))
                return r;
        if ((r = v_sign(pre_rank(a) - pre_rank(b))))
                return r;
        if ((r = v_digits_cmp(a->pre_n.p, a->pre_n.n, b->pre_n.p, b->pre_n.n)))
                return r;
        if ((r = (int) a->post - (int) b->post))
                return r;
        if ((r = v_digits_cmp(a->post_n.p, a->post_n.n, b->post_n.p, b->post_n.n)))
                return r;
        if ((r = (int) b->dev - (int) a->dev)) /* a dev release sorts before the same without */
                return r;
        if ((r = v_digits_cmp(a->dev_n.p, a->dev_n.n, b->dev_n.p, b->dev_n.n)))
                return r;
        if (!a->local || !b->local)
                return (int) a->local - (int) b->local;
        return local_cmp(a->local_s, b->local_s);
}

int version_pep440_compare(const char *a, const char *b, int *ret) {
        struct pep440 x, y;
        if (pep440_parse(a, &x) < 0 || pep440_parse(b, &y) < 0)
                return -EINVAL;
        *ret = pep440_cmp(&x, &y);
        return 0;
}

bool version_pep440_valid(const char *v) {
        struct pep440 x;
        return pep440_parse(v, &x) == 0;
}
