/* SPDX-License-Identifier: Apache-2.0 */
/* RPM versions: [epoch:]version[-release], ordered as rpm 4.18's rpmverCmp() (what `rpm.vercmp()` and
 * dependency resolution use): epochs, then versions, then releases, each with rpmvercmp().
 *
 * Splitting follows rpm's parseEVR(): leading digits followed by ':' are the epoch (an empty one is 0, a
 * missing one is 0); the release is what follows the last '-' after that. A version without a release
 * sorts before the same version with any release (rpm 4.18; older rpm skipped the release then, which
 * is not an order). Only the empty string is invalid (rpm.vercmp() refuses it).
 *
 * rpmvercmp() walks both strings by segments: bytes other than ASCII letters, digits, '~' and '^' only
 * separate; '~' sorts before anything, even the end; '^' sorts after the end but before anything else;
 * a numeric segment is newer than an alphabetic one; numeric segments compare as numbers of any length,
 * alphabetic ones as byte strings; when all segments matched, the version with bytes left over is newer
 * (so "1.0" == "1_0" but "1.0a" > "1.0"). */

#include "version-internal.h"

int v_rpmvercmp(const char *a, size_t an, const char *b, size_t bn) {
        size_t i = 0, j = 0;

        if (an == bn && memcmp(a, b, an) == 0)
                return 0;

        while (i < an || j < bn) {
                while (i < an && !v_isalnum(a[i]) && a[i] != '~' && a[i] != '^')
                        i++;
                while (j < bn && !v_isalnum(b[j]) && b[j] != '~' && b[j] != '^')
                        j++;

                bool ea = i >= an, eb = j >= bn;
                if ((!ea && a[i] == '~') || (!eb && b[j] == '~')) {
                        if (ea || a[i] != '~')
                                return 1;
                        if (eb || b[j] != '~')
                                return -1;
                        i++;
                        j++;
                        continue;
                }
                if ((!ea && a[i] == '^') || (!eb && b[j] == '^')) {
                        if (ea)
                                return -1;
                        if (eb)
                                return 1;
                        if (a[i] != '^')
                                return 1;
                        if (b[j] != '^')
                                return -1;
                        i++;
                        j++;
                        continue;
                }
                if (ea || eb)
                        break;

                size_t si = i, sj = j;
                bool isnum = v_isdigit(a[i]);
                if (isnum) {
                        while (i < an && v_isdigit(a[i]))
                                i++;
                        while (j < bn && v_isdigit(b[j]))
                                j++;
                } else {
                        while (i < an && v_isalpha(a[i]))
                                i++;
                        while (j < bn && v_isalpha(b[j]))
                                j++;
                }
                /* a's segment is never empty here; b's is when the kinds differ. */
                if (j == sj)
                        return isnum ? 1 : -1;

                int rc = isnum ? v_digits_cmp(a + si, i - si, b + sj, j - sj)
                               : v_bytes_cmp(a + si, i - si, b + sj, j - sj);
                if (rc)
                        return rc;
        }

        if (i >= an && j >= bn)
                return 0;
        return i >= an ? -1 : 1;
}

struct evr {
        const char *e, *v, *r;
        size_t el, vl, rl;
        bool has_r;
};

static void parse_evr(const char *s, struct evr *ret) {
        size_t n = strlen(s), k = 0;

        while (k < n && v_isdigit(s[k]))
                k++;
        const char *hyphen = NULL;
        for (size_t x = k; x < n; x++)
                if (s[x] == '-')
                        hyphen = s + x;
        size_t vend = hyphen ? (size_t) (hyphen - s) : n;

        if (k < n && s[k] == ':') {
                ret->e = s;
                ret->el = k; /* empty means 0, which is also what a missing epoch means */
                ret->v = s + k + 1;
                ret->vl = vend - k - 1;
        } else {
                ret->e = "0";
                ret->el = 1;
                ret->v = s;
                ret->vl = vend;
        }
        ret->has_r = hyphen;
        ret->r = hyphen ? hyphen + 1 : "";
        ret->rl = hyphen ? n - vend - 1 : 0;
}

int version_rpm_compare(const char *a, const char *b, int *ret) {
        struct evr x, y;
        int r;

        if (!*a || !*b)
                return -EINVAL;
        parse_evr(a, &x);
        parse_evr(b, &y);

        /* Epochs are digit strings; rpmvercmp() of two of them is their numeric order, "" being 0. */
        r = v_digits_cmp(x.e, x.el, y.e, y.el);
        if (r == 0)
                r = v_rpmvercmp(x.v, x.vl, y.v, y.vl);
        if (r == 0) {
                if (x.has_r && y.has_r)
                        r = v_rpmvercmp(x.r, x.rl, y.r, y.rl);
                else
                        r = (int) x.has_r - (int) y.has_r;
        }
        *ret = r;
        return 0;
}

bool version_rpm_valid(const char *v) {
        return *v != 0;
}

int version_rpmvercmp(const char *a, const char *b) {
        return v_rpmvercmp(a, strlen(a), b, strlen(b));
}

int version_rpm_evr_compare(const char *epoch_a, const char *version_a, const char *release_a,
                            const char *epoch_b, const char *version_b, const char *release_b, int *ret) {
        if (!version_a || !version_b || !ret)
                return -EINVAL;
        /* An epoch is digits; missing or empty is 0. */
        const char *ea = epoch_a ? epoch_a : "", *eb = epoch_b ? epoch_b : "";
        size_t ean = strlen(ea), ebn = strlen(eb);
        if (v_digits_span(ea) != ean || v_digits_span(eb) != ebn)
                return -EINVAL;

        int r = v_digits_cmp(ea, ean, eb, ebn);
        if (r == 0)
                r = version_rpmvercmp(version_a, version_b);
        if (r == 0) {
                if (release_a && release_b)
                        r = version_rpmvercmp(release_a, release_b);
                else
                        r = (int) !!release_a - (int) !!release_b;
        }
        *ret = r;
        return 0;
}
