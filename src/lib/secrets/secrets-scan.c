/* SPDX-License-Identifier: Apache-2.0 */
/* Scanning a buffer: one hyperscan pass over the bytes finds candidate matches of every rule at once;
 * only those are verified with PCRE2 (captures, allow-lists, entropy, context). Verified matches are
 * collected first and reported afterwards, so that overlaps between rules can be settled and every
 * excerpt can mask all secrets on its line, not only its own. */

#include <stdlib.h>

#include "secrets-internal.h"

#define EXCERPT_BEFORE 40  /* bytes of context shown before the secret */
#define EXCERPT_MAX    120 /* bytes of the line shown in all */
#define EXCERPT_MASK   "********"
#define NEARBY         4096 /* other secrets this close to an excerpt are searched for in it */
/* Hyperscan 5.4's AVX-512 VBMI literal matcher (fat Teddy) reads a few bytes past the end of the buffer
 * it scans (fixed in later vectorscan releases); where the buffer ends at a page boundary that is a
 * crash, and a file's contents can end anywhere. So the scan runs over a copy with zeroed slack after
 * it. The copy costs a memcpy, a fraction of the scan itself. */
#define SCAN_SLACK     256

struct candidate {
        uint32_t rule;
        bool kept;
        size_t ms, me; /* the match */
        size_t ss, se; /* the secret inside it */
};

struct rule_memo {
        size_t last_start;         /* MODE_FIXED/MODE_SOM: last start verified */
        size_t win_start, win_end; /* MODE_WINDOW: the line last searched, inclusive */
        bool have_win;
};

struct secrets_scratch {
        const struct secrets_engine *e;
        hs_scratch_t *hs;
        pcre2_match_data *md;
        pcre2_match_context *mctx;
        pcre2_jit_stack *jit;
        struct rule_memo *memo;
        VEC(struct candidate) cands;
        VEC(size_t) order;
        uint8_t *copy; /* the buffer being scanned, with SCAN_SLACK zero bytes after it */
        size_t copy_alloc;

        /* state of the scan under way */
        const uint8_t *data;
        size_t n;
        int error;
        bool truncated;
        size_t line_pos;
        unsigned line_no;
};

int secrets_scratch_new(const struct secrets_engine *e, struct secrets_scratch **ret) {
        _cleanup_(secrets_scratch_freep) struct secrets_scratch *s = calloc(1, sizeof *s);

        if (!s)
                return -ENOMEM;
        s->e = e;
        if (hs_alloc_scratch(e->db, &s->hs) != HS_SUCCESS)
                return -ENOMEM;
        s->md = pcre2_match_data_create(e->max_groups + 1, NULL);
        s->mctx = pcre2_match_context_create(NULL);
        s->jit = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
        s->memo = calloc(e->rules.n, sizeof *s->memo);
        if (!s->md || !s->mctx || !s->memo)
                return -ENOMEM;
        /* Rules may come from users: no regex gets to backtrack without bound on a hostile line. */
        pcre2_set_match_limit(s->mctx, SECRETS_PCRE2_MATCH_LIMIT);
        pcre2_set_heap_limit(s->mctx, SECRETS_PCRE2_HEAP_LIMIT_KIB);
        if (s->jit)
                pcre2_jit_stack_assign(s->mctx, NULL, s->jit);
        *ret = TAKE_PTR(s);
        return 0;
}

void secrets_scratch_free(struct secrets_scratch *s) {
        if (!s)
                return;
        hs_free_scratch(s->hs);
        pcre2_match_data_free(s->md);
        pcre2_match_context_free(s->mctx);
        pcre2_jit_stack_free(s->jit);
        free(s->memo);
        VEC_FREE(&s->cands);
        VEC_FREE(&s->order);
        free(s->copy);
        free(s);
}

/* pcre2_match() as a yes/no/error: resource limits count as "no match" (the candidate is dropped, the
 * scan goes on), only running out of memory is an error. */
static int match(struct secrets_scratch *s, const pcre2_code *re, const uint8_t *subject, size_t len,
                 size_t start, uint32_t options) {
        int rc = pcre2_match(re, subject, len, start, options, s->md, s->mctx);
        if (rc >= 0)
                return 1; /* 0 only means the ovector was too small for every group: still a match */
        if (rc == PCRE2_ERROR_NOMEMORY)
                return -ENOMEM;
        return 0;
}

static bool allowed(struct secrets_scratch *s, const struct secrets_rule *rule, size_t ss, size_t se,
                    int *err) {
        const uint8_t *p = s->data + ss;
        size_t len = se - ss;

        *err = 0;
        for (size_t i = 0; i < rule->allow.n + s->e->allow.n; i++) {
                const pcre2_code *a =
                        i < rule->allow.n ? rule->allow.items[i] : s->e->allow.items[i - rule->allow.n];
                int k = match(s, a, p, len, 0, 0);
                if (k < 0)
                        *err = k;
                if (k != 0)
                        return true;
        }
        return false;
}

/* A PCRE2 match of rule ri is in s->md: checks it and records it as a candidate. */
static int consider(struct secrets_scratch *s, uint32_t ri) {
        const struct secrets_rule *rule = &s->e->rules.items[ri];
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
        uint32_t ovn = pcre2_get_ovector_count(s->md);
        size_t ms = ov[0], me = ov[1], ss = ms, se = me;
        int err;

        if (rule->n_secret_groups > 0) {
                bool found = false;
                for (size_t i = 0; i < rule->n_secret_groups && !found; i++) {
                        uint32_t g = rule->secret_groups[i];
                        if (g < ovn && ov[2 * g] != PCRE2_UNSET) {
                                ss = ov[2 * g];
                                se = ov[2 * g + 1];
                                found = true;
                        }
                }
                if (!found)
                        return 0;
        }
        if (ss >= se || se > s->n || me > s->n || ms > me)
                return 0;
        if (rule->min_entropy > 0 && secrets_entropy(s->data + ss, se - ss) < rule->min_entropy)
                return 0;
        if (allowed(s, rule, ss, se, &err))
                return err;
        if (rule->context) {
                size_t cs = ms > rule->context_window ? ms - rule->context_window : 0;
                size_t ce = MIN(s->n, me + rule->context_window);
                int k = match(s, rule->context, s->data, ce, cs, 0);
                if (k <= 0)
                        return k;
        }

        VEC_FOREACH (c, &s->cands)
                if (c->rule == ri && c->ss == ss)
                        return 0;
        if (s->cands.n >= SECRETS_SCAN_MAX_MATCHES) {
                s->truncated = true;
                return 0;
        }
        if (VEC_PUSH(&s->cands, ((struct candidate){.rule = ri, .ms = ms, .me = me, .ss = ss, .se = se})) <
            0)
                return -ENOMEM;
        return 0;
}

static int verify_anchored(struct secrets_scratch *s, uint32_t ri, size_t start) {
        int k = match(s, s->e->rules.items[ri].re, s->data, s->n, start, PCRE2_ANCHORED);
        return k <= 0 ? k : consider(s, ri);
}

/* Searches the line around hit (bounded to SECRETS_WINDOW_MAX either side) for all matches of rule ri. */
static int verify_window(struct secrets_scratch *s, uint32_t ri, size_t hit) {
        const uint8_t *d = s->data;
        struct rule_memo *m = &s->memo[ri];
        size_t ls, le, lower, upper;

        if (m->have_win && hit >= m->win_start && hit <= m->win_end)
                return 0;
        lower = hit > SECRETS_WINDOW_MAX ? hit - SECRETS_WINDOW_MAX : 0;
        upper = MIN(s->n, hit + SECRETS_WINDOW_MAX);
        /* A multi-line match ends on a later line than it starts: search from well before the hit. */
        ls = lower;
        if (!s->e->rules.items[ri].multiline)
                for (ls = hit; ls > lower && d[ls - 1] != '\n'; ls--)
                        ;
        const uint8_t *nl = hit < upper ? memchr(d + hit, '\n', upper - hit) : NULL;
        le = nl ? (size_t) (nl - d) : upper;
        *m = (struct rule_memo){
                .last_start = m->last_start, .win_start = ls, .win_end = le, .have_win = true};

        /* The subject ends after the line's newline, so '$' and '\b' see what they would in the file. */
        size_t len = nl ? le + 1 : le;
        for (size_t pos = ls; pos <= le && pos < len;) {
                int k = match(s, s->e->rules.items[ri].re, d, len, pos, 0);
                if (k <= 0)
                        return k;
                PCRE2_SIZE *ov = pcre2_get_ovector_pointer(s->md);
                size_t ms = ov[0], me = ov[1];
                if (ms > le)
                        break;
                k = consider(s, ri);
                if (k < 0)
                        return k;
                if (s->truncated)
                        break;
                pos = me > pos ? me : pos + 1;
        }
        return 0;
}

static int on_hit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
                  void *userdata) {
        struct secrets_scratch *s = userdata;
        const struct secrets_engine *e = s->e;
        uint32_t ri = e->patterns.items[id].rule;
        const struct secrets_rule *rule = &e->rules.items[ri];
        struct rule_memo *m = &s->memo[ri];
        size_t start;
        int r;

        switch (rule->mode) {
        case MODE_FIXED:
        case MODE_SOM:
                start = rule->mode == MODE_FIXED ? (size_t) (to - rule->width) : (size_t) from;
                /* Hyperscan reports every end of a match; they share their start, verify it once. */
                if (start == m->last_start)
                        return 0;
                m->last_start = start;
                r = verify_anchored(s, ri, start);
                break;
        default: r = verify_window(s, ri, to > 0 ? (size_t) to - 1 : 0); break;
        }
        if (r < 0) {
                s->error = r;
                return 1;
        }
        return s->truncated ? 1 : 0;
}

/* 1-based line of pos, counting from the last position asked (reports come roughly in order). */
static unsigned line_of(struct secrets_scratch *s, size_t pos) {
        const uint8_t *d = s->data;
        if (pos >= s->line_pos) {
                for (const uint8_t *p = d + s->line_pos, *end = d + pos;
                     (p = memchr(p, '\n', (size_t) (end - p))); p++)
                        s->line_no++;
        } else {
                for (size_t i = pos; i < s->line_pos; i++)
                        s->line_no -= d[i] == '\n';
        }
        s->line_pos = pos;
        return s->line_no;
}

static int cmp_priority(const void *a, const void *b, void *userdata) {
        const struct candidate *c = userdata;
        const struct candidate *x = &c[*(const size_t *) a], *y = &c[*(const size_t *) b];
        if (x->rule != y->rule)
                return x->rule < y->rule ? -1 : 1;
        return x->ss < y->ss ? -1 : x->ss > y->ss;
}

static int cmp_position(const void *a, const void *b, void *userdata) {
        const struct candidate *c = userdata;
        const struct candidate *x = &c[*(const size_t *) a], *y = &c[*(const size_t *) b];
        if (x->ss != y->ss)
                return x->ss < y->ss ? -1 : 1;
        return x->rule < y->rule ? -1 : x->rule > y->rule;
}

/* Length of a valid UTF-8 sequence at p (at most n bytes available), or 0. */
static size_t utf8_len(const uint8_t *p, size_t n) {
        size_t len;
        uint32_t cp;

        if (p[0] < 0x80)
                return 1;
        if ((p[0] & 0xe0) == 0xc0)
                len = 2, cp = p[0] & 0x1f;
        else if ((p[0] & 0xf0) == 0xe0)
                len = 3, cp = p[0] & 0x0f;
        else if ((p[0] & 0xf8) == 0xf0)
                len = 4, cp = p[0] & 0x07;
        else
                return 0;
        if (len > n)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((p[i] & 0xc0) != 0x80)
                        return 0;
                cp = cp << 6 | (p[i] & 0x3f);
        }
        /* overlong forms, surrogates, beyond Unicode */
        if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
            (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
                return 0;
        return len;
}

static void mark(bool *masked, size_t ws, size_t we, size_t a, size_t b) {
        a = MAX(a, ws);
        b = MIN(b, we);
        for (size_t i = a; i < b; i++)
                masked[i - ws] = true;
}

/* Masks the secret of candidate k in the excerpt window. A candidate that lost to an overlapping one
 * of a more specific rule is masked too, except inside the winner's match: there the winner's regex
 * knows what is secret and what is a well-known prefix ("token=ghp_..." keeps "ghp_"). */
static void mark_candidate(struct secrets_scratch *s, const struct candidate *k, bool *masked, size_t ws,
                           size_t we) {
        if (k->kept) {
                mark(masked, ws, we, k->ss, k->se);
                return;
        }
        for (size_t p = MAX(k->ss, ws); p < MIN(k->se, we); p++) {
                bool governed = false;
                VEC_FOREACH (j, &s->cands)
                        if (j->kept && j->ms <= p && p < j->me && j->ss < k->se && k->ss < j->se) {
                                governed = true;
                                break;
                        }
                if (!governed)
                        masked[p - ws] = true;
        }
}

/* The line around candidate c, at most EXCERPT_MAX bytes of it, with every secret found in the buffer
 * masked, including copies of those secrets elsewhere on the line. Never contains secret bytes. */
static void build_excerpt(struct secrets_scratch *s, const struct candidate *c, char *out, size_t outsz) {
        const uint8_t *d = s->data;
        bool masked[EXCERPT_MAX] = {false};
        size_t focus = c->ms, ws, we, o = 0;

        if (c->ss >= c->ms && !memchr(d + c->ms, '\n', c->ss - c->ms))
                focus = c->ss;
        size_t lim = focus > EXCERPT_BEFORE ? focus - EXCERPT_BEFORE : 0;
        for (ws = focus; ws > lim && d[ws - 1] != '\n'; ws--)
                ;
        size_t upper = MIN(s->n, ws + EXCERPT_MAX);
        const uint8_t *nl = ws < upper ? memchr(d + ws, '\n', upper - ws) : NULL;
        we = nl ? (size_t) (nl - d) : upper;
        if (we > ws && d[we - 1] == '\r')
                we--;

        VEC_FOREACH (k, &s->cands) {
                if (k->se > ws && k->ss < we)
                        mark_candidate(s, k, masked, ws, we);
                /* The same secret repeated elsewhere on the line ("token=X; echo X"). */
                size_t len = k->se - k->ss;
                if (len < 4 || len > we - ws || k->se + NEARBY < ws || k->ss > we + NEARBY)
                        continue;
                for (size_t p = ws; p + len <= we;) {
                        const uint8_t *hit = memmem(d + p, we - p, d + k->ss, len);
                        if (!hit)
                                break;
                        size_t h = (size_t) (hit - d);
                        if (h != k->ss)
                                mark(masked, ws, we, h, h + len);
                        p = h + 1;
                }
        }

        for (size_t i = ws; i < we && o + sizeof EXCERPT_MASK + 1 < outsz;) {
                if (masked[i - ws]) {
                        memcpy(out + o, EXCERPT_MASK, sizeof EXCERPT_MASK - 1);
                        o += sizeof EXCERPT_MASK - 1;
                        while (i < we && masked[i - ws])
                                i++;
                        continue;
                }
                size_t len = utf8_len(d + i, we - i);
                bool clean = len > 0;
                for (size_t k = 1; k < len; k++)
                        clean = clean && !masked[i + k - ws];
                if (len == 1 && (d[i] < 0x20 || d[i] == 0x7f))
                        out[o++] = d[i] == '\t' ? ' ' : '?';
                else if (clean) {
                        memcpy(out + o, d + i, len);
                        o += len;
                } else {
                        out[o++] = '?';
                        len = 1;
                }
                i += len;
        }
        out[o] = 0;
}

int secrets_scan(const struct secrets_engine *e, struct secrets_scratch *s, const void *data, size_t n,
                 secret_match_fn fn, void *userdata) {
        const uint8_t *d = data;
        int r;

        if (!e || !s || s->e != e || (!data && n > 0))
                return -EINVAL;
        if (n > UINT32_MAX)
                return -E2BIG;
        if (memchr(d, 0, MIN(n, (size_t) 8 * KiB)))
                return 1;

        if (n + SCAN_SLACK > s->copy_alloc) {
                uint8_t *c = realloc(s->copy, n + SCAN_SLACK);
                if (!c)
                        return -ENOMEM;
                s->copy = c;
                s->copy_alloc = n + SCAN_SLACK;
        }
        if (n > 0)
                memcpy(s->copy, d, n);
        memset(s->copy + n, 0, SCAN_SLACK);
        d = s->copy;

        s->data = d;
        s->n = n;
        s->error = 0;
        s->truncated = false;
        s->line_pos = 0;
        s->line_no = 1;
        s->cands.n = 0;
        for (size_t i = 0; i < e->rules.n; i++)
                s->memo[i] = (struct rule_memo){.last_start = SIZE_MAX};
        if (n == 0)
                return 0;

        hs_error_t hr = hs_scan(e->db, (const char *) s->data, (unsigned) n, 0, s->hs, on_hit, s);
        if (s->error < 0)
                return s->error;
        if (hr != HS_SUCCESS && hr != HS_SCAN_TERMINATED)
                return hr == HS_NOMEM ? -ENOMEM : -EIO;

        /* Where rules overlap on the same bytes, the rule listed first in the file wins: specific rules
         * (a GitHub token) come before generic ones (a "token=" assignment). */
        if (s->cands.n == 0)
                return s->truncated ? 2 : 0;
        s->order.n = 0;
        if (VEC_RESERVE(&s->order, s->cands.n) < 0)
                return -ENOMEM;
        for (size_t i = 0; i < s->cands.n; i++)
                s->order.items[s->order.n++] = i;
        qsort_r(s->order.items, s->order.n, sizeof *s->order.items, cmp_priority, s->cands.items);
        for (size_t i = 0; i < s->order.n; i++) {
                struct candidate *c = &s->cands.items[s->order.items[i]];
                c->kept = true;
                for (size_t j = 0; j < i && c->kept; j++) {
                        const struct candidate *k = &s->cands.items[s->order.items[j]];
                        if (k->kept && k->ss < c->se && c->ss < k->se)
                                c->kept = false;
                }
        }
        qsort_r(s->order.items, s->order.n, sizeof *s->order.items, cmp_position, s->cands.items);

        for (size_t i = 0; i < s->order.n; i++) {
                const struct candidate *c = &s->cands.items[s->order.items[i]];
                const struct secrets_rule *rule = &e->rules.items[c->rule];
                char excerpt[EXCERPT_MAX * (sizeof EXCERPT_MASK) + 8];

                if (!c->kept)
                        continue;
                build_excerpt(s, c, excerpt, sizeof excerpt);
                struct secret_match m = {
                        .rule_id = rule->id,
                        .title = rule->title,
                        .category = rule->category,
                        .severity = rule->severity,
                        .offset = c->ss,
                        .line = line_of(s, c->ms),
                        .excerpt = excerpt,
                };
                r = fn(userdata, &m);
                if (r < 0)
                        return r;
        }
        return s->truncated ? 2 : 0;
}
