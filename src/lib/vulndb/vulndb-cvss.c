/* SPDX-License-Identifier: Apache-2.0 */
/* CVSS base scores, computed from the vectors the feeds publish (feeds rarely carry the score itself).
 * v3: "Common Vulnerability Scoring System v3.1: Specification Document", section 7.1 (base metric
 * equations), 7.4 (metric values) and appendix A (Roundup); the base equations of v3.0 are the same, and
 * v3.1's Roundup is used for both because it only removes v3.0's floating-point artifacts.
 * v2: "A Complete Guide to the Common Vulnerability Scoring System Version 2.0", section 3.2.1. */
#include <math.h>
#include <string.h>

#include "vulndb-internal.h"

/* Splits "K:V/K:V/…" and calls fn for each pair; false when the shape is wrong. */
typedef bool (*metric_fn)(void *userdata, const char *key, size_t klen, const char *val, size_t vlen);

static bool each_metric(const char *s, metric_fn fn, void *userdata) {
        while (*s) {
                const char *slash = strchr(s, '/');
                size_t n = slash ? (size_t) (slash - s) : strlen(s);
                const char *colon = memchr(s, ':', n);
                if (!colon || colon == s || colon + 1 == s + n)
                        return false;
                if (!fn(userdata, s, (size_t) (colon - s), colon + 1, (size_t) (s + n - colon - 1)))
                        return false;
                if (!slash)
                        return true;
                s = slash + 1;
                if (!*s)
                        return false; /* trailing '/' */
        }
        return false; /* empty */
}

struct metric_def {
        const char *key;
        const char *values; /* allowed one-letter values; NULL = any alphanumeric word */
};

struct metric_state {
        const struct metric_def *defs;
        size_t n_defs;
        uint64_t seen;
        char value[64]; /* one-letter values of the metrics, by index */
};

static bool metric_cb(void *userdata, const char *key, size_t klen, const char *val, size_t vlen) {
        struct metric_state *st = userdata;
        for (size_t i = 0; i < st->n_defs; i++) {
                const struct metric_def *m = &st->defs[i];
                if (strlen(m->key) != klen || memcmp(m->key, key, klen) != 0)
                        continue;
                if (st->seen & (1ULL << i))
                        return false; /* a metric given twice */
                st->seen |= 1ULL << i;
                if (m->values) {
                        if (vlen != 1 || !strchr(m->values, val[0]))
                                return false;
                        st->value[i] = val[0];
                } else {
                        if (vlen > 16)
                                return false;
                        for (size_t k = 0; k < vlen; k++)
                                if (!(val[k] >= 'A' && val[k] <= 'Z') && !(val[k] >= 'a' && val[k] <= 'z'))
                                        return false;
                        st->value[i] = val[0];
                }
                return true;
        }
        return false; /* unknown metric */
}

static const struct metric_def v3_metrics[] = {
        /* base: indexes 0..7 */
        {"AV", "NALP"},
        {"AC", "LH"},
        {"PR", "NLH"},
        {"UI", "NR"},
        {"S", "UC"},
        {"C", "HLN"},
        {"I", "HLN"},
        {"A", "HLN"},
        /* temporal */
        {"E", "XUPFH"},
        {"RL", "XOTWU"},
        {"RC", "XURC"},
        /* environmental */
        {"CR", "XLMH"},
        {"IR", "XLMH"},
        {"AR", "XLMH"},
        {"MAV", "XNALP"},
        {"MAC", "XLH"},
        {"MPR", "XNLH"},
        {"MUI", "XNR"},
        {"MS", "XUC"},
        {"MC", "XNLH"},
        {"MI", "XNLH"},
        {"MA", "XNLH"},
};

int cvss3_parse(const char *vector, struct cvss3 *ret) {
        struct metric_state st = {.defs = v3_metrics, .n_defs = ELEMENTSOF(v3_metrics)};
        int minor;

        if (!vector || strlen(vector) > VDB_MAX_VECTOR)
                return -EINVAL;
        if (strneq(vector, "CVSS:3.0/", 9))
                minor = 0;
        else if (strneq(vector, "CVSS:3.1/", 9))
                minor = 1;
        else
                return -EINVAL;
        if (!each_metric(vector + 9, metric_cb, &st))
                return -EINVAL;
        if ((st.seen & 0xff) != 0xff)
                return -EINVAL; /* a base metric is missing */
        *ret = (struct cvss3){
                .av = st.value[0],
                .ac = st.value[1],
                .pr = st.value[2],
                .ui = st.value[3],
                .s = st.value[4],
                .c = st.value[5],
                .i = st.value[6],
                .a = st.value[7],
                .minor = minor,
        };
        return 0;
}

/* Appendix A: the smallest number, to one decimal place, equal to or higher than x, computed on
 * integers so that 4.000000000001 does not become 4.1. */
static double roundup(double x) {
        long long i = llround(x * 100000.0);
        if (i % 10000 == 0)
                return (double) i / 100000.0;
        return (double) (i / 10000 + 1) / 10.0;
}

static double cia_weight(char v) {
        return v == 'H' ? 0.56 : v == 'L' ? 0.22 : 0.0;
}

double cvss3_base_score(const struct cvss3 *c) {
        bool changed = c->s == 'C';
        double av = c->av == 'N' ? 0.85 : c->av == 'A' ? 0.62 : c->av == 'L' ? 0.55 : 0.2;
        double ac = c->ac == 'L' ? 0.77 : 0.44;
        double pr = c->pr == 'N' ? 0.85 : c->pr == 'L' ? (changed ? 0.68 : 0.62) : (changed ? 0.5 : 0.27);
        double ui = c->ui == 'N' ? 0.85 : 0.62;
        double iss = 1.0 - (1.0 - cia_weight(c->c)) * (1.0 - cia_weight(c->i)) * (1.0 - cia_weight(c->a));
        double impact = changed ? 7.52 * (iss - 0.029) - 3.25 * pow(iss - 0.02, 15) : 6.42 * iss;
        double exploitability = 8.22 * av * ac * pr * ui;
        if (impact <= 0)
                return 0.0;
        if (changed)
                return roundup(fmin(1.08 * (impact + exploitability), 10.0));
        return roundup(fmin(impact + exploitability, 10.0));
}

int cvss3_score(const char *vector, double *ret) {
        struct cvss3 c;
        int r = cvss3_parse(vector, &c);
        if (r < 0)
                return r;
        *ret = cvss3_base_score(&c);
        return 0;
}

static const struct metric_def v4_metrics[] = {
        /* base: indexes 0..10 */
        {"AV", "NALP"},
        {"AC", "LH"},
        {"AT", "NP"},
        {"PR", "NLH"},
        {"UI", "NPA"},
        {"VC", "HLN"},
        {"VI", "HLN"},
        {"VA", "HLN"},
        {"SC", "HLN"},
        {"SI", "HLN"},
        {"SA", "HLN"},
        /* threat, environmental, supplemental */
        {"E", "XAPU"},
        {"CR", "XHML"},
        {"IR", "XHML"},
        {"AR", "XHML"},
        {"MAV", "XNALP"},
        {"MAC", "XLH"},
        {"MAT", "XNP"},
        {"MPR", "XNLH"},
        {"MUI", "XNPA"},
        {"MVC", "XHLN"},
        {"MVI", "XHLN"},
        {"MVA", "XHLN"},
        {"MSC", "XHLN"},
        {"MSI", "XSHLN"},
        {"MSA", "XSHLN"},
        {"S", "XNP"},
        {"AU", "XNY"},
        {"R", "XAUI"},
        {"V", "XDC"},
        {"RE", "XLMH"},
        {"U", NULL},
};

bool cvss4_vector_valid(const char *vector) {
        struct metric_state st = {.defs = v4_metrics, .n_defs = ELEMENTSOF(v4_metrics)};
        if (!vector || strlen(vector) > VDB_MAX_VECTOR || !strneq(vector, "CVSS:4.0/", 9))
                return false;
        if (!each_metric(vector + 9, metric_cb, &st))
                return false;
        return (st.seen & 0x7ff) == 0x7ff;
}

static const struct metric_def v2_metrics[] = {
        {"AV", "LAN"}, {"AC", "HML"}, {"Au", "MSN"}, {"C", "NPC"}, {"I", "NPC"}, {"A", "NPC"}, {"E", NULL},
        {"RL", NULL},  {"RC", NULL},  {"CDP", NULL}, {"TD", NULL}, {"CR", NULL}, {"IR", NULL}, {"AR", NULL},
};

static double v2_cia(char v) {
        return v == 'P' ? 0.275 : v == 'C' ? 0.660 : 0.0;
}

int cvss2_score(const char *vector, double *ret) {
        struct metric_state st = {.defs = v2_metrics, .n_defs = ELEMENTSOF(v2_metrics)};
        char buf[VDB_MAX_VECTOR + 1];
        if (!vector || strlen(vector) > VDB_MAX_VECTOR)
                return -EINVAL;
        /* NVD once wrapped v2 vectors in parentheses; some feeds still do. */
        size_t n = strlen(vector);
        if (n >= 2 && vector[0] == '(' && vector[n - 1] == ')') {
                memcpy(buf, vector + 1, n - 2);
                buf[n - 2] = 0;
        } else
                memcpy(buf, vector, n + 1);
        const char *v = strneq(buf, "CVSS:2.0/", 9) ? buf + 9 : buf;
        if (!each_metric(v, metric_cb, &st) || (st.seen & 0x3f) != 0x3f)
                return -EINVAL;
        char av = st.value[0], ac = st.value[1], au = st.value[2];
        double impact = 10.41 * (1.0 - (1.0 - v2_cia(st.value[3])) * (1.0 - v2_cia(st.value[4])) *
                                               (1.0 - v2_cia(st.value[5])));
        double exploit = 20.0 *
                         (av == 'L'   ? 0.395
                          : av == 'A' ? 0.646
                                      : 1.0) *
                         (ac == 'H'   ? 0.35
                          : ac == 'M' ? 0.61
                                      : 0.71) *
                         (au == 'M'   ? 0.45
                          : au == 'S' ? 0.56
                                      : 0.704);
        double f = impact == 0.0 ? 0.0 : 1.176;
        double score = ((0.6 * impact) + (0.4 * exploit) - 1.5) * f;
        *ret = fmax(0.0, round(score * 10.0) / 10.0);
        return 0;
}
