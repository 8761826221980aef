/* SPDX-License-Identifier: Apache-2.0 */
/* Maven versions, ordered as org.apache.maven.artifact.versioning.ComparableVersion of Maven 3.9 (whose
 * algorithm is unchanged since 3.8.7; Maven 4 changed it). Every string is a valid version.
 *
 * ComparableVersion lowercases the version and cuts it into items: '.' ends an item, '-' ends one and
 * opens a nested list, and so does every change between digits and non-digits (1.0alpha1 is
 * [1, 0, [alpha, [1]]] in effect; a string before a digit that follows other items of its list opens a
 * list of its own first, so 1.0.0.X1 < 1.0.0-X2). Items are numbers, qualifiers or a nested list, which is
 * always the last item of its list. Then every list drops its "null" items from the end (0, the release
 * qualifiers "", ga, final, release, and empty lists), continuing past a non-empty nested list, so 1.0-1
 * is 1-1.
 *
 * Comparison walks both trees: numbers by value (but a number of 10 to 18 digits, counted after leading
 * zeros unless it is all zeros, is a long and sorts after every int, and one of 19 or more digits sorts
 * after every long: the Java item types are compared before the values); number > list > qualifier;
 * qualifiers alpha < beta < milestone < rc = cr < snapshot < "" = ga = final = release < sp < anything
 * else, the rest alphabetically (a, b, m directly followed by a digit mean alpha, beta, milestone);
 * lists item by item, a missing item comparing as null: 1.1 > 1 = 1.0, 1-sp > 1 > 1-rc.
 *
 * Here the trees are never built: each version is read by a cursor that produces its normalized items in
 * order (a nested list is announced by an OPEN token and, being last, never closes), looking ahead once
 * per run of null items to know whether they survive normalization. Only ASCII is lowercased and only
 * ASCII digits are digits (Java would also fold and parse other scripts). */

#include "version-internal.h"

enum {
        TK_NUM,
        TK_STR,
        TK_OPEN,
        TK_END,
};

struct tok {
        int kind;
        bool followed_by_digit; /* TK_STR */
        const char *p;
        size_t n;
};

/* The items of ComparableVersion.parseVersion(), before normalization. */
struct raw {
        const char *s;
        size_t n, i, start;
        size_t level_items; /* items added to the current list so far */
        size_t index;       /* tokens handed out so far */
        bool is_digit, ended;
        struct tok q[4];
        unsigned qh, qn;
};

static void raw_push(struct raw *r, int kind, size_t from, size_t to, bool fbd) {
        static const char zero[] = "0";
        struct tok t = {.kind = kind, .followed_by_digit = fbd};

        if (kind == TK_NUM || kind == TK_STR) {
                if (from == to) { /* an empty item, "1..2": IntItem.ZERO */
                        t.kind = TK_NUM;
                        t.p = zero;
                        t.n = 1;
                } else {
                        t.p = r->s + from;
                        t.n = to - from;
                }
                r->level_items++;
        } else if (kind == TK_OPEN)
                r->level_items = 0;
        r->q[(r->qh + r->qn++) % ELEMENTSOF(r->q)] = t;
}

static void raw_step(struct raw *r) {
        if (r->i >= r->n) {
                if (r->n > r->start) {
                        if (!r->is_digit && r->level_items > 0)
                                raw_push(r, TK_OPEN, 0, 0, false);
                        raw_push(r, r->is_digit ? TK_NUM : TK_STR, r->start, r->n, false);
                }
                raw_push(r, TK_END, 0, 0, false);
                r->ended = true;
                return;
        }

        size_t i = r->i++;
        char c = r->s[i];
        if (c == '.' || c == '-') {
                raw_push(r, r->is_digit ? TK_NUM : TK_STR, r->start, i, false);
                r->start = i + 1;
                if (c == '-')
                        raw_push(r, TK_OPEN, 0, 0, false);
        } else if (v_isdigit(c)) {
                if (!r->is_digit && i > r->start) {
                        if (r->level_items > 0)
                                raw_push(r, TK_OPEN, 0, 0, false);
                        raw_push(r, TK_STR, r->start, i, true);
                        r->start = i;
                        raw_push(r, TK_OPEN, 0, 0, false);
                }
                r->is_digit = true;
        } else {
                if (r->is_digit && i > r->start) {
                        raw_push(r, TK_NUM, r->start, i, false);
                        r->start = i;
                        raw_push(r, TK_OPEN, 0, 0, false);
                }
                r->is_digit = false;
        }
}

static struct tok raw_next(struct raw *r) {
        while (r->qn == 0) {
                if (r->ended)
                        return (struct tok){.kind = TK_END};
                raw_step(r);
        }
        struct tok t = r->q[r->qh];
        r->qh = (r->qh + 1) % ELEMENTSOF(r->q);
        r->qn--;
        r->index++;
        return t;
}

/* Index of a qualifier in alpha, beta, milestone, rc, snapshot, "", sp; 7 for any other. */
static int qualifier_index(const struct tok *t) {
        static const struct {
                const char *word;
                int index;
        } table[] = {
                {"alpha", 0},    {"beta", 1}, {"milestone", 2}, {"rc", 3},      {"cr", 3},
                {"snapshot", 4}, {"ga", 5},   {"final", 5},     {"release", 5}, {"sp", 6},
        };
        char low[10];

        if (t->n == 0 || t->n > sizeof low)
                return 7;
        for (size_t i = 0; i < t->n; i++)
                low[i] = v_tolower(t->p[i]);
        if (t->followed_by_digit && t->n == 1)
                switch (low[0]) {
                case 'a': return 0;
                case 'b': return 1;
                case 'm': return 2;
                default: break;
                }
        for (size_t i = 0; i < ELEMENTSOF(table); i++)
                if (table[i].word[0] == low[0] && strlen(table[i].word) == t->n &&
                    memcmp(table[i].word, low, t->n) == 0)
                        return table[i].index;
        return 7;
}

#define RELEASE_INDEX 5

/* Java item type of a number: int (3), long (4), BigInteger (0), ordered int < long < BigInteger. */
static int number_class(const struct tok *t) {
        size_t z = 0;
        while (z < t->n && t->p[z] == '0')
                z++;
        size_t len = z == t->n ? t->n : t->n - z; /* stripLeadingZeroes() keeps an all-zero string */
        return len <= 9 ? 0 : len <= 18 ? 1 : 2;
}

static bool tok_is_null(const struct tok *t) {
        if (t->kind == TK_NUM)
                return v_digits_zero(t->p, t->n);
        return qualifier_index(t) == RELEASE_INDEX;
}

/* Item.compareTo(null). */
static int tok_vs_null(const struct tok *t) {
        if (t->kind == TK_NUM)
                return v_digits_zero(t->p, t->n) ? 0 : 1;
        return v_sign(qualifier_index(t) - RELEASE_INDEX);
}

static int tok_cmp(const struct tok *a, const struct tok *b) {
        if (a->kind == TK_NUM && b->kind == TK_NUM) {
                int ca = number_class(a), cb = number_class(b);
                if (ca != cb)
                        return ca < cb ? -1 : 1;
                return v_digits_cmp(a->p, a->n, b->p, b->n);
        }
        if (a->kind != b->kind)
                return a->kind == TK_NUM ? 1 : -1;

        int qa = qualifier_index(a), qb = qualifier_index(b);
        if (qa != qb)
                return qa < qb ? -1 : 1;
        if (qa < 7)
                return 0;
        for (size_t i = 0; i < a->n && i < b->n; i++) {
                unsigned char x = (unsigned char) v_tolower(a->p[i]), y = (unsigned char) v_tolower(b->p[i]);
                if (x != y)
                        return x < y ? -1 : 1;
        }
        return v_sign((long long) a->n - (long long) b->n);
}

/* The items of the normalized tree, in order. */
struct cursor {
        struct raw raw;
        /* Lookahead: la is a raw reader parked after the next non-null item (la_tok), or at the end. */
        struct raw la;
        bool la_valid, la_end;
        size_t la_index;     /* raw index of that item */
        size_t la_last_open; /* raw index + 1 of the last OPEN before it, 0 if none */
};

static void cursor_init(struct cursor *c, const char *s) {
        *c = (struct cursor){};
        c->raw.s = s;
        c->raw.n = strlen(s);
}

/* Finds the next non-null item after the raw reader's position. */
static void lookahead(struct cursor *c) {
        c->la = c->raw;
        c->la_last_open = 0;
        for (;;) {
                struct tok t = raw_next(&c->la);
                if (t.kind == TK_END) {
                        c->la_end = true;
                        break;
                }
                if (t.kind == TK_OPEN)
                        c->la_last_open = c->la.index;
                else if (!tok_is_null(&t)) {
                        c->la_end = false;
                        break;
                }
        }
        c->la_index = c->la.index;
        c->la_valid = true;
}

static struct tok cursor_next(struct cursor *c) {
        for (;;) {
                struct tok t = raw_next(&c->raw);
                if (t.kind == TK_END)
                        return t;
                if ((t.kind == TK_NUM || t.kind == TK_STR) && !tok_is_null(&t))
                        return t;

                /* A null item or an OPEN: it survives only if a non-null item follows (in the same list
                 * for a null item, anywhere for an OPEN). */
                if (!c->la_valid || c->la_index <= c->raw.index)
                        lookahead(c);
                if (c->la_end)
                        return (struct tok){.kind = TK_END}; /* nothing but nulls left */
                if (t.kind == TK_OPEN)
                        return t;
                if (c->la_last_open <= c->raw.index)
                        return t; /* no OPEN between this null item and the next non-null one */
        }
}

/* -1 * ListItem.compareTo(null) over what is left of a cursor, t being its current token. */
static int rest_vs_null(struct cursor *c, struct tok t) {
        for (;;) {
                if (t.kind == TK_END)
                        return 0;
                if (t.kind != TK_OPEN) {
                        int r = tok_vs_null(&t);
                        if (r)
                                return r;
                }
                t = cursor_next(c);
        }
}

static int maven_cmp(const char *a, const char *b) {
        struct cursor ca, cb;

        cursor_init(&ca, a);
        cursor_init(&cb, b);
        for (;;) {
                struct tok x = cursor_next(&ca), y = cursor_next(&cb);

                if (x.kind == TK_END && y.kind == TK_END)
                        return 0;
                if (x.kind == TK_END)
                        return -rest_vs_null(&cb, y);
                if (y.kind == TK_END)
                        return rest_vs_null(&ca, x);
                if (x.kind == TK_OPEN && y.kind == TK_OPEN)
                        continue; /* both descend into their last item */
                if (x.kind == TK_OPEN)
                        return y.kind == TK_NUM ? -1 : 1; /* list < number, list > qualifier */
                if (y.kind == TK_OPEN)
                        return x.kind == TK_NUM ? 1 : -1;
                int r = tok_cmp(&x, &y);
                if (r)
                        return r;
        }
}

int version_maven_compare(const char *a, const char *b, int *ret) {
        *ret = maven_cmp(a, b);
        return 0;
}

bool version_maven_valid(const char *v) {
        return true;
}
