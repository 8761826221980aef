/* SPDX-License-Identifier: Apache-2.0 */
/* Alpine (apk-tools) versions: digit{.digit}...[letter]{_suffix[number]}...[~hash][-rN], ordered as
 * apk-tools 3 orders them (apk_version_compare()). apk-tools 2, still in many releases, orders the versions
 * both accept the same way, except where a component after the first is written with leading zeros and
 * the other version's is not zero-padded alike (2.0 vs 2.007: apk-tools 3 compares such components as
 * strings, apk-tools 2 by a rule of its own); it refuses commit hashes.
 *
 * A version is a sequence of tokens, each allowed only after certain others:
 *   initial number   required
 *   .number          after the initial number or another .number
 *   letter a-z       after a number, at most one
 *   _suffix[number]  after any of the above or another suffix; suffixes alpha beta pre rc (pre-releases)
 *                    and cvs svn git hg p (post-releases), in that order
 *   ~hexhash         once, after any of the above
 *   -rNUMBER         once, last
 * Anything else makes the version invalid: -EINVAL here (apk-tools still orders such versions, by the
 * tokens before the invalid one; version_apk_compare_any() does the same, for the tests).
 *
 * Two versions compare token by token while the token kinds agree: numbers by value, except that a
 * .number with a leading zero on either side compares as a string (1.01 < 1.1 < 1.10), letters and
 * hashes by bytes, suffixes by their rank. When the kinds differ (or one version ends) a pre-release
 * suffix makes its version older; otherwise the version whose token kind comes later in the list above
 * (the end being last of all) is older: 1.0 < 1.0.1, 1.0 < 1.0a, 1.0_rc1 < 1.0 < 1.0_p1 < 1.0-r1.
 *
 * Numbers are compared exactly at any length; apk-tools reads them into 64 bits and wraps above 20
 * digits, which no real version has. */

#include "version-internal.h"

enum {
        T_INITIAL_DIGIT,
        T_DIGIT,
        T_LETTER,
        T_SUFFIX,
        T_SUFFIX_NO,
        T_COMMIT_HASH,
        T_REVISION_NO,
        T_END,
        T_INVALID,
};

enum {
        S_INVALID,
        S_ALPHA,
        S_BETA,
        S_PRE,
        S_RC,
        S_NONE, /* pre-releases sort below this */
        S_CVS,
        S_SVN,
        S_GIT,
        S_HG,
        S_P,
};

struct token {
        int kind;
        int suffix;
        const char *value;
        size_t len;
};

static int suffix_rank(const char *s, size_t n) {
        static const struct {
                const char *name;
                int rank;
        } table[] = {
                {"alpha", S_ALPHA}, {"beta", S_BETA}, {"pre", S_PRE}, {"rc", S_RC}, {"cvs", S_CVS},
                {"svn", S_SVN},     {"git", S_GIT},   {"hg", S_HG},   {"p", S_P},
        };
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (strlen(table[i].name) == n && memcmp(table[i].name, s, n) == 0)
                        return table[i].rank;
        return S_INVALID;
}

static bool is_hex(char c) {
        return v_isdigit(c) || (c >= 'a' && c <= 'f');
}

static void take_digits(struct token *t, const char **p) {
        t->value = *p;
        t->len = v_digits_span(*p);
        *p += t->len;
        if (t->len == 0)
                t->kind = T_INVALID;
}

static void token_first(struct token *t, const char **p) {
        t->kind = T_INITIAL_DIGIT;
        t->suffix = S_INVALID;
        take_digits(t, p);
}

/* Reads the token at *p into t, given the previous token's kind in t->kind. */
static void token_next(struct token *t, const char **p) {
        const char *s = *p;

        switch (*s) {
        case 0: t->kind = T_END; return;
        case 'a' ... 'z':
                if (t->kind > T_DIGIT)
                        break;
                t->kind = T_LETTER;
                t->value = s;
                t->len = 1;
                *p = s + 1;
                return;
        case '.':
                if (t->kind > T_DIGIT)
                        break;
                s++;
                if (!v_isdigit(*s))
                        break;
                *p = s;
                t->kind = T_DIGIT;
                take_digits(t, p);
                return;
        case '0' ... '9':
                /* Only directly after a suffix name: numbers after numbers were consumed whole, and a
                 * number after a letter or anything later is not allowed. */
                if (t->kind != T_SUFFIX)
                        break;
                t->kind = T_SUFFIX_NO;
                take_digits(t, p);
                return;
        case '_': {
                if (t->kind > T_SUFFIX_NO)
                        break;
                size_t n = 1;
                while (v_islower(s[n]))
                        n++;
                t->suffix = suffix_rank(s + 1, n - 1);
                if (t->suffix == S_INVALID)
                        break;
                t->kind = T_SUFFIX;
                t->value = s + 1;
                t->len = n - 1;
                *p = s + n;
                return;
        }
        case '~': {
                if (t->kind >= T_COMMIT_HASH)
                        break;
                size_t n = 1;
                while (is_hex(s[n]))
                        n++;
                if (n == 1)
                        break;
                t->kind = T_COMMIT_HASH;
                t->value = s + 1;
                t->len = n - 1;
                *p = s + n;
                return;
        }
        case '-':
                if (t->kind >= T_REVISION_NO || s[1] != 'r')
                        break;
                *p = s + 2;
                t->kind = T_REVISION_NO;
                take_digits(t, p);
                return;
        default: break;
        }
        t->kind = T_INVALID;
}

bool version_apk_valid(const char *v) {
        struct token t;
        const char *p = v;

        for (token_first(&t, &p); t.kind < T_END; token_next(&t, &p))
                ;
        return t.kind == T_END;
}

static int token_cmp(const struct token *a, const struct token *b) {
        switch (a->kind) {
        case T_DIGIT:
                /* A leading zero on either side: compare as strings, as Gentoo does (1.01 < 1.1). */
                if (a->value[0] == '0' || b->value[0] == '0')
                        return v_bytes_cmp(a->value, a->len, b->value, b->len);
                return v_digits_cmp(a->value, a->len, b->value, b->len);
        case T_INITIAL_DIGIT:
        case T_SUFFIX_NO:
        case T_REVISION_NO: return v_digits_cmp(a->value, a->len, b->value, b->len);
        case T_LETTER: return v_sign((unsigned char) a->value[0] - (unsigned char) b->value[0]);
        case T_SUFFIX: return v_sign(a->suffix - b->suffix);
        default: /* T_COMMIT_HASH */ return v_bytes_cmp(a->value, a->len, b->value, b->len);
        }
}

/* apk_version_compare() itself, which also orders invalid versions: tokens are compared up to the first
 * invalid one, and an invalid token sorts below everything (it is the last token kind). The token
 * states where the comparison stopped are left in *ta, *tb (and the readers in *pa, *pb). */
static int apk_cmp(const char **pa, const char **pb, struct token *ta, struct token *tb) {
        for (token_first(ta, pa), token_first(tb, pb); ta->kind == tb->kind && ta->kind < T_END;
             token_next(ta, pa), token_next(tb, pb)) {
                int r = token_cmp(ta, tb);
                if (r != 0)
                        return r;
        }

        if (ta->kind == tb->kind)
                return 0;
        if (ta->kind == T_SUFFIX && ta->suffix < S_NONE)
                return -1;
        if (tb->kind == T_SUFFIX && tb->suffix < S_NONE)
                return 1;
        return ta->kind > tb->kind ? -1 : 1;
}

int version_apk_compare_any(const char *a, const char *b) {
        struct token ta, tb;
        return apk_cmp(&a, &b, &ta, &tb);
}

int version_apk_compare(const char *a, const char *b, int *ret) {
        struct token ta, tb;
        int r = apk_cmp(&a, &b, &ta, &tb);

        /* Validate what the comparison did not read: the same walk as version_apk_valid(). */
        while (ta.kind < T_END)
                token_next(&ta, &a);
        while (tb.kind < T_END)
                token_next(&tb, &b);
        if (ta.kind != T_END || tb.kind != T_END)
                return -EINVAL;
        *ret = r;
        return 0;
}
