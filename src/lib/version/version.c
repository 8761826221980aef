/* SPDX-License-Identifier: Apache-2.0 */
/* Scheme dispatch, ecosystem names, the OSV range check, and the helpers the schemes share. */

#include <strings.h>

#include "version-internal.h"

size_t v_digits_span(const char *s) {
        size_t n = 0;
        while (v_isdigit(s[n]))
                n++;
        return n;
}

bool v_digits_zero(const char *s, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (s[i] != '0')
                        return false;
        return true;
}

int v_digits_cmp(const char *a, size_t an, const char *b, size_t bn) {
        while (an > 0 && *a == '0')
                a++, an--;
        while (bn > 0 && *b == '0')
                b++, bn--;
        if (an != bn)
                return an < bn ? -1 : 1;
        if (an == 0)
                return 0;
        return v_sign(memcmp(a, b, an));
}

int v_bytes_cmp(const char *a, size_t an, const char *b, size_t bn) {
        size_t n = MIN(an, bn);
        int r = n > 0 ? memcmp(a, b, n) : 0;
        if (r)
                return v_sign(r);
        return an == bn ? 0 : an < bn ? -1 : 1;
}

static const struct scheme {
        const char *name;
        int (*compare)(const char *a, const char *b, int *ret);
        bool (*valid)(const char *v);
} schemes[_VERSION_SCHEME_MAX] = {
        [VS_DPKG] = {"dpkg", version_dpkg_compare, version_dpkg_valid},
        [VS_APK] = {"apk", version_apk_compare, version_apk_valid},
        [VS_RPM] = {"rpm", version_rpm_compare, version_rpm_valid},
        [VS_SEMVER] = {"semver", version_semver_compare, version_semver_valid},
        [VS_GO] = {"go", version_go_compare, version_go_valid},
        [VS_PEP440] = {"pep440", version_pep440_compare, version_pep440_valid},
        [VS_MAVEN] = {"maven", version_maven_compare, version_maven_valid},
        [VS_GEM] = {"gem", version_gem_compare, version_gem_valid},
        [VS_NUGET] = {"nuget", version_nuget_compare, version_nuget_valid},
        [VS_GENERIC] = {"generic", version_generic_compare, version_generic_valid},
};

const char *version_scheme_to_string(enum version_scheme s) {
        if ((unsigned) s >= _VERSION_SCHEME_MAX)
                return NULL;
        return schemes[s].name;
}

int version_scheme_from_string(const char *name) {
        if (!name)
                return -EINVAL;
        for (int i = 0; i < _VERSION_SCHEME_MAX; i++)
                if (streq(name, schemes[i].name))
                        return i;
        return -EINVAL;
}

/* OSV ecosystem names (https://ossf.github.io/osv-schema/#defined-ecosystems), the part before ':'. */
static const struct {
        const char *name;
        int scheme;
} ecosystems[] = {
        {"Debian", VS_DPKG},
        {"Ubuntu", VS_DPKG},
        {"opam", VS_DPKG}, /* opam orders versions as Debian does */
        {"Alpine", VS_APK},
        {"Wolfi", VS_APK},
        {"Chainguard", VS_APK},
        {"MinimOS", VS_APK},
        {"Alpaquita", VS_APK},
        {"BellSoft Hardened Containers", VS_APK},
        {"AlmaLinux", VS_RPM},
        {"Rocky Linux", VS_RPM},
        {"Red Hat", VS_RPM},
        {"SUSE", VS_RPM},
        {"openSUSE", VS_RPM},
        {"Photon OS", VS_RPM},
        {"Mageia", VS_RPM},
        {"openEuler", VS_RPM},
        {"Azure Linux", VS_RPM},
        {"Oracle Linux", VS_RPM},
        {"CentOS", VS_RPM},
        {"Fedora", VS_RPM},
        {"Amazon Linux", VS_RPM},
        {"PyPI", VS_PEP440},
        {"npm", VS_SEMVER},
        {"crates.io", VS_SEMVER},
        {"Hex", VS_SEMVER},
        {"Pub", VS_SEMVER},
        {"SwiftURL", VS_SEMVER},
        {"Bitnami", VS_SEMVER},
        {"Go", VS_GO},
        {"Maven", VS_MAVEN},
        {"RubyGems", VS_GEM},
        {"NuGet", VS_NUGET},
        {"Packagist", VS_GENERIC},
        {"Hackage", VS_GENERIC},
        {"CRAN", VS_GENERIC},
        {"Bioconductor", VS_GENERIC},
        {"GitHub Actions", VS_GENERIC},
        {"ConanCenter", VS_GENERIC},
        {"Julia", VS_SEMVER},
        {"Linux", VS_GENERIC},
        {"Android", VS_GENERIC},
        {"OSS-Fuzz", VS_GENERIC},
};

int version_scheme_for_ecosystem(const char *osv_ecosystem) {
        if (!osv_ecosystem)
                return -EINVAL;
        const char *colon = strchr(osv_ecosystem, ':');
        size_t n = colon ? (size_t) (colon - osv_ecosystem) : strlen(osv_ecosystem);
        for (size_t i = 0; i < ELEMENTSOF(ecosystems); i++)
                if (strlen(ecosystems[i].name) == n &&
                    strncasecmp(ecosystems[i].name, osv_ecosystem, n) == 0)
                        return ecosystems[i].scheme;
        return -EINVAL;
}

int version_scheme_for_purl_type(const char *purl_type) {
        static const struct {
                const char *type;
                int scheme;
        } types[] = {
                {"deb", VS_DPKG},        {"apk", VS_APK},         {"alpm", VS_GENERIC},
                {"rpm", VS_RPM},         {"pypi", VS_PEP440},     {"npm", VS_SEMVER},
                {"cargo", VS_SEMVER},    {"hex", VS_SEMVER},      {"pub", VS_SEMVER},
                {"swift", VS_SEMVER},    {"golang", VS_GO},       {"maven", VS_MAVEN},
                {"gem", VS_GEM},         {"nuget", VS_NUGET},     {"composer", VS_GENERIC},
                {"hackage", VS_GENERIC}, {"cran", VS_GENERIC},    {"conan", VS_GENERIC},
                {"github", VS_GENERIC},  {"generic", VS_GENERIC}, {"opam", VS_DPKG},
                {"bitnami", VS_SEMVER},
        };
        if (!purl_type)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(types); i++)
                if (strcasecmp(types[i].type, purl_type) == 0)
                        return types[i].scheme;
        return -EINVAL;
}

int version_compare(enum version_scheme s, const char *a, const char *b, int *ret) {
        if ((unsigned) s >= _VERSION_SCHEME_MAX || !a || !b || !ret)
                return -EINVAL;
        return schemes[s].compare(a, b, ret);
}

bool version_valid(enum version_scheme s, const char *v) {
        if ((unsigned) s >= _VERSION_SCHEME_MAX || !v)
                return false;
        return schemes[s].valid(v);
}

/* OSV range evaluation.
 *
 * The specification's algorithm walks the events sorted by version and lets each event that applies to
 * v set the state: introduced (v >= it) to affected, fixed (v >= it) and last_affected (v > it) to not
 * affected. The events that apply are exactly those at or below v, so the final state is that of the
 * greatest applying event: one pass finds it, no sort is needed (sorted_affected()).
 *
 * Two refinements, both following what OSV.dev itself computes for a record's "versions" list:
 *
 * - A list that alternates introduced and closing (fixed or last_affected) events, as nearly every
 *   record's does, means the union of its intervals [introduced, fixed) / [introduced, last_affected],
 *   a final lone introduced being open-ended (union_affected()). That is the specification's answer
 *   whenever the intervals are disjoint, and the right one where a record's intervals overlap, which the
 *   sorted walk gets wrong: PYSEC-2021-114 has [2.11, 2.11.7) and [0, 2.11.6), and 2.11.6 is vulnerable.
 *
 * - In the sorted walk, the specification leaves the order of equal versions open, and records need both
 *   orders: "introduced X, fixed X" written as a pair is an empty range (RUSTSEC-2024-0399), while a fixed
 *   X ending one range and an introduced X starting another mean X is affected (PYSEC-2022-236). So among
 *   equal versions, an introduced event directly followed in the list by a closing event of the same
 *   version applies first, then closing events, then other introduced events. */
static bool is_zero_introduced(const struct version_event *e) {
        return e->kind == EV_INTRODUCED && streq(e->version, "0");
}

static bool is_closing(enum version_event_kind k) {
        return k == EV_FIXED || k == EV_LAST_AFFECTED;
}

/* compare(v, e) with "0" as introduced below everything. */
static int event_cmp(enum version_scheme s, const char *v, const struct version_event *e, int *ret) {
        if (is_zero_introduced(e)) {
                *ret = 1;
                return 0;
        }
        return schemes[s].compare(v, e->version, ret);
}

static int event_rank(enum version_scheme s, const struct version_event *ev, size_t n, size_t i) {
        int c;

        if (is_closing(ev[i].kind))
                return 1;
        if (i + 1 < n && is_closing(ev[i + 1].kind) &&
            schemes[s].compare(ev[i].version, ev[i + 1].version, &c) == 0 && c == 0)
                return 0;
        return 2;
}

static int sorted_affected(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                           bool *ret) {
        const struct version_event *best = NULL;
        int best_rank = -1, r, c;

        for (size_t i = 0; i < n; i++) {
                const struct version_event *e = &ev[i];
                if (e->kind == EV_LIMIT)
                        continue;
                if ((r = event_cmp(s, v, e, &c)) < 0)
                        return r;
                if (!(e->kind == EV_LAST_AFFECTED ? c > 0 : c >= 0))
                        continue; /* does not apply to v */

                int rank = event_rank(s, ev, n, i);
                if (best) {
                        /* Only a later event in sort order replaces the best so far. */
                        bool zb = is_zero_introduced(best), ze = is_zero_introduced(e);
                        if (zb || ze)
                                c = zb && ze ? 0 : zb ? -1 : 1; /* "0" sorts first */
                        else if ((r = schemes[s].compare(best->version, e->version, &c)) < 0)
                                return r;
                        if (c > 0 || (c == 0 && rank < best_rank))
                                continue;
                }
                best = e;
                best_rank = rank;
        }
        *ret = best && best->kind == EV_INTRODUCED;
        return 0;
}

int version_in_range(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                     bool *ret) {
        bool have_limit = false, below_limit = false;
        bool alternating = true, open = false, open_applies = false, in_union = false;
        int r, c;

        if ((unsigned) s >= _VERSION_SCHEME_MAX || !v || (n > 0 && !ev) || !ret)
                return -EINVAL;
        if (!schemes[s].valid(v))
                return -EINVAL;

        /* One pass validates every event, checks the limits and evaluates the list as a union of
         * intervals, noting whether it alternates as that needs. */
        for (size_t i = 0; i < n; i++) {
                const struct version_event *e = &ev[i];
                if (!e->version)
                        return -EINVAL;

                if (e->kind == EV_LIMIT) {
                        have_limit = true;
                        if (strchr(e->version, '*'))
                                below_limit = true;
                        else {
                                if ((r = schemes[s].compare(v, e->version, &c)) < 0)
                                        return r;
                                below_limit = below_limit || c < 0;
                        }
                        continue;
                }
                if (e->kind != EV_INTRODUCED && !is_closing(e->kind))
                        return -EINVAL;
                if ((r = event_cmp(s, v, e, &c)) < 0)
                        return r;

                if (e->kind == EV_INTRODUCED) {
                        alternating = alternating && !open;
                        open = true;
                        open_applies = c >= 0;
                } else {
                        alternating = alternating && open;
                        if (open && open_applies && (e->kind == EV_FIXED ? c < 0 : c <= 0))
                                in_union = true;
                        open = false;
                }
        }
        if (open && open_applies)
                in_union = true;

        bool affected = in_union;
        if (!alternating && (r = sorted_affected(s, v, ev, n, &affected)) < 0)
                return r;
        *ret = affected && (!have_limit || below_limit);
        return 0;
}

int version_in_range_fixed(enum version_scheme s, const char *v, const struct version_event *ev, size_t n,
                           bool *ret, const char **ret_fixed) {
        const char *fixed = NULL;
        bool affected;
        int r, c;

        if (!ret_fixed)
                return -EINVAL;
        if ((r = version_in_range(s, v, ev, n, &affected)) < 0)
                return r;
        for (size_t i = 0; affected && i < n; i++) {
                if (ev[i].kind != EV_FIXED)
                        continue;
                if ((r = schemes[s].compare(v, ev[i].version, &c)) < 0)
                        return r;
                if (c >= 0)
                        continue;
                if (fixed) {
                        if ((r = schemes[s].compare(ev[i].version, fixed, &c)) < 0)
                                return r;
                        if (c >= 0)
                                continue;
                }
                fixed = ev[i].version;
        }
        *ret = affected;
        *ret_fixed = fixed;
        return 0;
}
