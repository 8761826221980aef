/* SPDX-License-Identifier: Apache-2.0 */
/* NuGet versions, parsed as NuGetVersion.TryParse() and ordered as VersionComparer.Default
 * (NuGet.Versioning):
 *
 *   N[.N[.N[.N]]][-label(.label)*][+metadata(.metadata)*]
 *
 * The numbers are what System.Version accepts (int32, optional blanks and sign around each, not
 * negative); labels and metadata are non-empty [0-9A-Za-z-] parts, numeric labels without leading zeros.
 * Surrounding ASCII whitespace is ignored (.NET trims Unicode whitespace too).
 *
 * Order: the four numbers (missing ones are 0: 1.0 == 1.0.0.0); then a version with labels is older than
 * one without; labels compare pairwise, those that int.TryParse() reads as a number (int32, possibly
 * negative: "-1" is a valid label) by value and before the others, the others case-insensitively; more
 * labels are newer. Metadata is ignored. */

#include "version-internal.h"

struct nuget {
        long long num[4];
        const char *labels; /* NULL: none */
        size_t labels_len;
};

static bool is_dspace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

static bool is_part_char(char c) {
        return v_isalnum(c) || c == '-';
}

/* int.TryParse(s, NumberStyles.Integer) >= 0 on [s, e). */
static bool parse_component(const char *s, const char *e, long long *ret) {
        bool neg = false;
        while (s < e && is_dspace(*s))
                s++;
        while (e > s && is_dspace(e[-1]))
                e--;
        if (s < e && (*s == '+' || *s == '-'))
                neg = *s++ == '-';
        if (s == e)
                return false;
        long long v = 0;
        for (; s < e; s++) {
                if (!v_isdigit(*s))
                        return false;
                v = v * 10 + (*s - '0');
                if (v > 2147483648LL)
                        return false;
        }
        if (neg)
                v = -v;
        if (v < 0 || v > 2147483647LL)
                return false;
        *ret = v;
        return true;
}

/* Dot-separated parts of [s, e): non-empty, [0-9A-Za-z-], optionally no numeric part with a leading 0. */
static bool parts_valid(const char *s, const char *e, bool allow_leading_zeros) {
        for (;;) {
                const char *p = s;
                bool digits = true;
                while (p < e && *p != '.') {
                        if (!is_part_char(*p))
                                return false;
                        if (p > s)
                                digits = digits && v_isdigit(*p);
                        p++;
                }
                if (p == s)
                        return false;
                if (!allow_leading_zeros && p - s > 1 && *s == '0' && digits)
                        return false;
                if (p == e)
                        return true;
                s = p + 1;
        }
}

static int nuget_parse(const char *str, struct nuget *ret) {
        const char *s = str, *e = str + strlen(str);

        *ret = (struct nuget){};
        while (s < e && is_dspace(*s))
                s++;
        while (e > s && is_dspace(e[-1]))
                e--;
        if (s == e)
                return -EINVAL;

        /* ParseSections(): the version ends at the first '-' or '+', the labels at the next '+'; a
         * separator that is the last character stays part of what it would end. */
        const char *vend = s;
        while (vend < e && *vend != '-' && *vend != '+')
                vend++;
        if (vend == e - 1)
                vend = e;
        const char *lab = NULL, *lab_end = NULL, *meta = NULL;
        if (vend < e) {
                if (*vend == '-') {
                        lab = vend + 1;
                        lab_end = lab;
                        while (lab_end < e && *lab_end != '+')
                                lab_end++;
                        if (lab_end == e - 1)
                                lab_end = e;
                        if (lab_end < e)
                                meta = lab_end + 1;
                } else
                        meta = vend + 1;
        }
        if (vend == s)
                return -EINVAL;

        /* System.Version: 2 to 4 components; a lone number gets ".0". */
        const char *c = s;
        size_t k = 0;
        for (;;) {
                const char *dot = memchr(c, '.', (size_t) (vend - c));
                const char *ce = dot ? dot : vend;
                if (k == 4 || !parse_component(c, ce, &ret->num[k]))
                        return -EINVAL;
                k++;
                if (!dot)
                        break;
                c = dot + 1;
        }

        if (lab) {
                if (!parts_valid(lab, lab_end, false))
                        return -EINVAL;
                ret->labels = lab;
                ret->labels_len = (size_t) (lab_end - lab);
        }
        if (meta && !parts_valid(meta, e, true))
                return -EINVAL;
        return 0;
}

/* int.TryParse() of a label: digits with an optional leading '-', within int32. */
static bool label_number(const char *s, size_t n, long long *ret) {
        bool neg = n > 0 && *s == '-';
        size_t i = neg;
        if (i == n)
                return false;
        long long v = 0;
        for (; i < n; i++) {
                if (!v_isdigit(s[i]))
                        return false;
                v = v * 10 + (s[i] - '0');
                if (v > 2147483648LL)
                        return false;
        }
        v = neg ? -v : v;
        if (v > 2147483647LL)
                return false;
        *ret = v;
        return true;
}

static int label_cmp(const char *a, size_t an, const char *b, size_t bn) {
        long long x, y;
        bool xn = label_number(a, an, &x), yn = label_number(b, bn, &y);
        if (xn && yn)
                return v_sign(x - y);
        if (xn != yn)
                return xn ? -1 : 1;
        for (size_t i = 0; i < an && i < bn; i++) {
                /* OrdinalIgnoreCase compares upper-cased characters. */
                char p = v_islower(a[i]) ? (char) (a[i] - 'a' + 'A') : a[i];
                char q = v_islower(b[i]) ? (char) (b[i] - 'a' + 'A') : b[i];
                if (p != q)
                        return (unsigned char) p < (unsigned char) q ? -1 : 1;
        }
        return v_sign((long long) an - (long long) bn);
}

static int nuget_cmp(const struct nuget *a, const struct nuget *b) {
        for (size_t i = 0; i < 4; i++)
                if (a->num[i] != b->num[i])
                        return a->num[i] < b->num[i] ? -1 : 1;
        if (!a->labels || !b->labels)
                return (int) !a->labels - (int) !b->labels;

        const char *p = a->labels, *pe = p + a->labels_len;
        const char *q = b->labels, *qe = q + b->labels_len;
        for (;;) {
                const char *x = memchr(p, '.', (size_t) (pe - p)), *y = memchr(q, '.', (size_t) (qe - q));
                const char *xe = x ? x : pe, *ye = y ? y : qe;
                int r = label_cmp(p, (size_t) (xe - p), q, (size_t) (ye - q));
                if (r)
                        return r;
                if (!x || !y)
                        return (int) !!x - (int) !!y;
                p = x + 1;
                q = y + 1;
        }
}

int version_nuget_compare(const char *a, const char *b, int *ret) {
        struct nuget x, y;
        if (nuget_parse(a, &x) < 0 || nuget_parse(b, &y) < 0)
                return -EINVAL;
        *ret = nuget_cmp(&x, &y);
        return 0;
}

bool version_nuget_valid(const char *v) {
        struct nuget x;
        return nuget_parse(v, &x) == 0;
}
