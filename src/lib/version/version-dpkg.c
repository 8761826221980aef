/* SPDX-License-Identifier: Apache-2.0 */
/* Debian versions: [epoch:]upstream[-revision] (deb-version(7)), ordered as dpkg orders them.
 *
 * Parsing follows dpkg's parseversion(): surrounding blanks (space, tab) are ignored; the epoch is what
 * strtol() reads before the first ':' and must end exactly there, be non-negative and fit an int; the
 * revision is what follows the last '-'. Its hard errors are -EINVAL here; the conditions dpkg only warns
 * about (upstream not starting with a digit, characters outside [A-Za-z0-9.+~:-]) are accepted, because
 * `dpkg --compare-versions` compares such versions anyway.
 *
 * Each part is compared by alternating runs: a run of non-digits character by character, where '~' sorts
 * before everything (even the end of the part), the end and digits next, then letters by ASCII value,
 * then everything else; then a run of digits as a number (any length: leading zeros are skipped and
 * the longer run wins, so there is nothing to overflow). */

#include "version-internal.h"

struct dpkg_version {
        unsigned epoch;
        const char *upstream;
        size_t upstream_len;
        const char *revision; /* "" when there is none, which compares equal to "0" */
        size_t revision_len;
};

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* isspace() of the C locale, which strtol() skips before the epoch. */
static bool is_cspace(char c) {
        return c == ' ' || (c >= '\t' && c <= '\r');
}

static int dpkg_parse(const char *s, struct dpkg_version *ret) {
        while (is_blank(*s))
                s++;
        if (!*s)
                return -EINVAL; /* empty */

        /* One pass: the end of the version (first blank), its first colon and last hyphen. */
        const char *end = s, *colon = NULL, *hyphen = NULL;
        for (; *end && !is_blank(*end); end++) {
                if (*end == ':' && !colon)
                        colon = end;
                else if (*end == '-')
                        hyphen = end;
        }
        for (const char *p = end; *p; p++)
                if (!is_blank(*p))
                        return -EINVAL; /* embedded blanks */

        unsigned epoch = 0;
        if (colon) {
                /* strtol(s, &e, 10) must consume exactly [s, colon). */
                const char *p = s;
                bool negative = false;
                while (p < colon && is_cspace(*p))
                        p++;
                if (p < colon && (*p == '+' || *p == '-'))
                        negative = *p++ == '-';
                const char *digits = p;
                while (p < colon && v_isdigit(*p))
                        p++;
                if (p == digits || p != colon)
                        return -EINVAL; /* empty or not a number */
                while (digits < p && *digits == '0')
                        digits++;
                if (negative && digits < p)
                        return -EINVAL; /* negative ("-0" is zero, and fine) */
                if (p - digits > 10)
                        return -EINVAL; /* too big */
                unsigned long long e = 0;
                for (; digits < p; digits++)
                        e = e * 10 + (unsigned) (*digits - '0');
                if (e > 2147483647ULL)
                        return -EINVAL; /* > INT_MAX */
                epoch = (unsigned) e;
                s = colon + 1;
                if (s == end)
                        return -EINVAL; /* nothing after the colon */
        }

        if (hyphen && hyphen < s)
                hyphen = NULL; /* it was in the epoch */
        const char *up_end = end;
        ret->revision = "";
        ret->revision_len = 0;
        if (hyphen) {
                if (hyphen + 1 == end)
                        return -EINVAL; /* empty revision */
                up_end = hyphen;
                ret->revision = hyphen + 1;
                ret->revision_len = (size_t) (end - hyphen - 1);
        }
        if (up_end == s)
                return -EINVAL; /* empty upstream version */

        ret->epoch = epoch;
        ret->upstream = s;
        ret->upstream_len = (size_t) (up_end - s);
        return 0;
}

/* dpkg's order(): '~' < end = digits < letters < other bytes. dpkg indexes with a plain char, which is
 * signed on the architectures that matter (amd64, i386): a byte >= 0x80 then weighs (b - 256) + 256 = b,
 * between the letters and ASCII punctuation. */
static int order(unsigned char c) {
        if (v_isdigit((char) c) || c == 0)
                return 0;
        if (v_isalpha((char) c))
                return c;
        if (c == '~')
                return -1;
        if (c >= 0x80)
                return c;
        return c + 256;
}

static int verrevcmp(const char *a, size_t an, const char *b, size_t bn) {
        size_t i = 0, j = 0;
#define A (i < an ? (unsigned char) a[i] : 0)
#define B (j < bn ? (unsigned char) b[j] : 0)
        while (i < an || j < bn) {
                int first_diff = 0;

                while ((i < an && !v_isdigit((char) A)) || (j < bn && !v_isdigit((char) B))) {
                        int ac = order(A), bc = order(B);
                        if (ac != bc)
                                return v_sign(ac - bc);
                        /* Equal orders here mean neither side is at its end (the end only equals a
                         * digit, and one side is a non-digit), so both may advance. */
                        i++;
                        j++;
                }
                while (i < an && a[i] == '0')
                        i++;
                while (j < bn && b[j] == '0')
                        j++;
                while (i < an && j < bn && v_isdigit(a[i]) && v_isdigit(b[j])) {
                        if (!first_diff)
                                first_diff = a[i] - b[j];
                        i++;
                        j++;
                }
                if (i < an && v_isdigit(a[i]))
                        return 1;
                if (j < bn && v_isdigit(b[j]))
                        return -1;
                if (first_diff)
                        return v_sign(first_diff);
        }
#undef A
#undef B
        return 0;
}

int version_dpkg_compare(const char *a, const char *b, int *ret) {
        struct dpkg_version va, vb;
        int r;

        if (dpkg_parse(a, &va) < 0 || dpkg_parse(b, &vb) < 0)
                return -EINVAL;
        if (va.epoch != vb.epoch)
                r = va.epoch > vb.epoch ? 1 : -1;
        else {
                r = verrevcmp(va.upstream, va.upstream_len, vb.upstream, vb.upstream_len);
                if (r == 0)
                        r = verrevcmp(va.revision, va.revision_len, vb.revision, vb.revision_len);
        }
        *ret = r;
        return 0;
}

bool version_dpkg_valid(const char *v) {
        struct dpkg_version p;
        return dpkg_parse(v, &p) == 0;
}
