/* SPDX-License-Identifier: Apache-2.0 */
#include <string.h>

#include "buf.h"
#include "hashmap.h"
#include "match.h"
#include "vec.h"
#include "version/version.h"

const char *finding_status_to_string(enum finding_status s) {
        switch (s) {
        case FINDING_FIXED: return "fixed";
        case FINDING_UNFIXED: return "unfixed";
        case FINDING_WONT_FIX: return "will-not-fix";
        case FINDING_END_OF_LIFE: return "end-of-life";
        default: return "unknown";
        }
}

/* ---- where a package is looked up ---- */

static const char *major(struct arena *a, const char *v) {
        return v ? arena_strndup(a, v, strcspn(v, ".")) : NULL;
}

static const char *major_minor(struct arena *a, const char *v) {
        if (!v)
                return NULL;
        const char *d1 = strchr(v, '.');
        const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
        return arena_strndup(a, v, d2 ? (size_t) (d2 - v) : strlen(v));
}

static const char *debian_release(struct arena *a, const struct scan_os *os) {
        static const struct {
                const char *codename, *version;
        } releases[] = {
                { "stretch", "9" }, { "buster", "10" }, { "bullseye", "11" }, { "bookworm", "12" }, { "trixie", "13" },
                { "forky", "14" },
        };
        if (os->version_id && os->version_id[0] >= '0' && os->version_id[0] <= '9')
                return major(a, os->version_id);
        for (size_t i = 0; os->codename && i < ELEMENTSOF(releases); i++)
                if (streq(os->codename, releases[i].codename))
                        return releases[i].version;
        return NULL;
}

/* The OSV ecosystem of the distribution's packages, or NULL when we have no way to match them. */
static const char *os_ecosystem(struct arena *a, const struct scan_os *os) {
        if (!os || !os->id)
                return NULL;
        const char *id = os->id;
        if (streq(id, "debian")) {
                const char *rel = debian_release(a, os);
                return rel ? arena_printf(a, "Debian:%s", rel) : NULL;
        }
        if (streq(id, "ubuntu"))
                return os->version_id ? arena_printf(a, "Ubuntu:%s", os->version_id) : NULL;
        if (streq(id, "alpine"))
                return os->version_id ? arena_printf(a, "Alpine:v%s", major_minor(a, os->version_id)) : NULL;
        if (streq(id, "wolfi"))
                return "Wolfi";
        if (streq(id, "chainguard"))
                return "Chainguard";
        if (streq(id, "almalinux"))
                return os->version_id ? arena_printf(a, "AlmaLinux:%s", major(a, os->version_id)) : NULL;
        if (streq(id, "rocky"))
                return os->version_id ? arena_printf(a, "Rocky Linux:%s", major(a, os->version_id)) : NULL;
        return NULL;
}

int match_lookup_key(struct arena *a, const struct pkg *p, const struct scan_os *os, const char **ret_ecosystem,
                     const char **ret_name, const char **ret_version) {
        const char *eco = NULL, *name = p->name, *version = p->version;

        switch (p->type) {
        case PKG_DEB:
        case PKG_APK:
        case PKG_RPM:
                eco = os_ecosystem(a, os);
                /* Distributions track vulnerabilities per source package. */
                if (p->source_name)
                        name = p->source_name;
                if (p->type == PKG_DEB && p->source_version)
                        version = p->source_version;
                if (p->type == PKG_RPM && p->epoch && p->epoch[0] && !streq(p->epoch, "0"))
                        version = arena_printf(a, "%s:%s", p->epoch, p->version);
                break;
        case PKG_NPM: eco = "npm"; break;
        case PKG_PYTHON: eco = "PyPI"; break;
        case PKG_GO: eco = "Go"; break;
        case PKG_MAVEN:
                if (!p->namespace_)
                        return -ENOENT;
                eco = "Maven";
                name = arena_printf(a, "%s:%s", p->namespace_, p->name);
                break;
        default: return -ENOENT;
        }
        if (!eco || !name || !version)
                return -ENOENT;
        *ret_ecosystem = eco;
        *ret_name = name;
        *ret_version = version;
        return 0;
}

/* ---- one package ---- */

/* A statement that applies, with what the finding needs copied out of the lookup's buffers. */
struct hit {
        const char *id;
        const char **ids; /* id, aliases, upstream */
        size_t n_ids;
        enum finding_status status;
        const char *fixed;
        enum severity severity;
        const char *severity_source;
        double cvss;
        const char *cvss_vector;
        bool kev;
        const char *source;
        const char *note;
        struct vuln_affected copy; /* for the details, filled for the finding's primary statement */
};

struct pkg_ctx {
        struct arena *a;
        struct diag *d;
        const struct pkg *pkg;
        enum version_scheme scheme;
        const char *version;
        VEC(struct hit) hits;
        size_t statements;
        bool warned;
        int error;
};

static enum version_scheme range_scheme(struct pkg_ctx *c, enum vuln_range_type t) {
        /* SEMVER ranges in the Go database use Go's rules (toolchain tags, v-less versions). */
        if (t == VR_SEMVER && c->scheme != VS_GO)
                return VS_SEMVER;
        return c->scheme;
}

static void warn_invalid(struct pkg_ctx *c, const struct vuln_affected *a) {
        if (c->warned)
                return;
        c->warned = true;
        diag_warn(c->d, "cannot compare %s version '%s' of '%s' with advisory %s: not a valid %s version",
                  pkg_type_to_string(c->pkg->type), c->version, c->pkg->name, a->id,
                  version_scheme_to_string(c->scheme));
}

/* Whether statement a applies to the package; fills status and fixed. 1 yes, 0 no, <0 cannot tell. */
static int evaluate(struct pkg_ctx *c, const struct vuln_affected *a, enum finding_status *ret_status,
                    const char **ret_fixed) {
        int cmp, r;
        *ret_fixed = NULL;
        switch (a->status) {
        case VS_NOT_AFFECTED: return 0;
        case VS_UNFIXED: *ret_status = FINDING_UNFIXED; return 1;
        case VS_WONT_FIX: *ret_status = FINDING_WONT_FIX; return 1;
        case VS_END_OF_LIFE: *ret_status = FINDING_END_OF_LIFE; return 1;
        case VS_FIXED:
                if (!a->fixed_version)
                        return 0;
                r = version_compare(c->scheme, c->version, a->fixed_version, &cmp);
                if (r < 0)
                        return r;
                if (cmp >= 0)
                        return 0;
                *ret_status = FINDING_FIXED;
                *ret_fixed = a->fixed_version;
                return 1;
        case VS_AFFECTED: {
                bool affected = false;
                const char *fixed = NULL;
                for (const char *const *v = a->versions; v && *v && !affected; v++) {
                        if (streq(*v, c->version))
                                affected = true;
                        else if (version_compare(c->scheme, c->version, *v, &cmp) == 0 && cmp == 0)
                                affected = true;
                }
                int invalid = 0;
                for (size_t i = 0; i < a->n_ranges; i++) {
                        const struct vuln_range *rg = &a->ranges[i];
                        struct version_event ev[64];
                        size_t n = MIN(rg->n_events, ELEMENTSOF(ev));
                        for (size_t k = 0; k < n; k++)
                                ev[k] = (struct version_event){ (enum version_event_kind) rg->events[k].kind,
                                                                 rg->events[k].version };
                        bool in = false;
                        const char *fx = NULL;
                        r = version_in_range_fixed(range_scheme(c, rg->type), c->version, ev, n, &in, &fx);
                        if (r < 0) {
                                invalid = r;
                                continue;
                        }
                        if (!in)
                                continue;
                        affected = true;
                        /* several ranges: the fix that clears them all */
                        if (fx && (!fixed || (version_compare(range_scheme(c, rg->type), fx, fixed, &cmp) == 0 && cmp > 0)))
                                fixed = fx;
                }
                if (!affected)
                        return invalid < 0 && a->n_ranges > 0 && !a->versions ? invalid : 0;
                *ret_status = fixed ? FINDING_FIXED : FINDING_UNFIXED;
                *ret_fixed = fixed;
                return 1;
        }
        default: return 0;
        }
}

static const char *acopy(struct arena *a, const char *s) {
        return s ? arena_strdup(a, s) : NULL;
}

static int on_statement(void *userdata, const struct vuln_affected *a) {
        struct pkg_ctx *c = userdata;
        enum finding_status status = FINDING_UNFIXED;
        const char *fixed = NULL;

        c->statements++;
        int r = evaluate(c, a, &status, &fixed);
        if (r < 0) {
                warn_invalid(c, a);
                return 0;
        }
        if (r == 0)
                return 0;

        struct hit *h = VEC_NEW(&c->hits);
        if (!h)
                return -ENOMEM;
        size_t n = 1;
        for (const char *const *x = a->aliases; x && *x; x++)
                n++;
        for (const char *const *x = a->upstream; x && *x; x++)
                n++;
        h->ids = arena_alloc(c->a, (n + 1) * sizeof *h->ids);
        if (!h->ids)
                return -ENOMEM;
        h->ids[h->n_ids++] = acopy(c->a, a->id);
        for (const char *const *x = a->aliases; x && *x; x++)
                h->ids[h->n_ids++] = acopy(c->a, *x);
        for (const char *const *x = a->upstream; x && *x; x++)
                h->ids[h->n_ids++] = acopy(c->a, *x);
        h->id = h->ids[0];
        h->status = status;
        h->fixed = acopy(c->a, fixed);
        h->severity = a->severity;
        h->severity_source = acopy(c->a, a->severity_source);
        h->cvss = a->cvss_score;
        h->cvss_vector = acopy(c->a, a->cvss_vector);
        h->kev = a->kev;
        h->source = acopy(c->a, a->source);
        h->note = acopy(c->a, a->note);
        h->copy = *a;
        h->copy.summary = acopy(c->a, a->summary);
        for (size_t i = 0; i < h->n_ids; i++)
                if (!h->ids[i])
                        return -ENOMEM;
        return 0;
}

/* ---- merging statements into findings ---- */

static size_t uf_find(size_t *parent, size_t i) {
        while (parent[i] != i) {
                parent[i] = parent[parent[i]];
                i = parent[i];
        }
        return i;
}

/* Rank of a severity source: the distribution's or ecosystem's own rating first, then CVSS. */
static int source_rank(const char *s) {
        if (!s)
                return 0;
        if (streq(s, "debian") || streq(s, "ubuntu") || streq(s, "redhat") || streq(s, "alpine") ||
            streq(s, "suse") || streq(s, "almalinux") || streq(s, "rocky"))
                return 3;
        if (streq(s, "ghsa") || streq(s, "osv") || streq(s, "go") || streq(s, "rustsec") || streq(s, "pypa"))
                return 2;
        return 1; /* cvss, nvd, … */
}

static int id_rank(const char *id) {
        if (strneq(id, "CVE-", 4))
                return 0;
        if (strneq(id, "GHSA-", 5))
                return 1;
        return 2;
}

static int cmp_id(const void *x, const void *y) {
        const char *a = *(const char *const *) x, *b = *(const char *const *) y;
        int ra = id_rank(a), rb = id_rank(b);
        return ra != rb ? ra - rb : strcmp(a, b);
}

static int build_findings(struct pkg_ctx *c, struct vulndb *db, struct vuln_finding_vec *out, const char *eco,
                          const char *name) {
        size_t n = c->hits.n;
        if (n == 0)
                return 0;
        _cleanup_free_ size_t *parent = calloc(n, sizeof *parent);
        _cleanup_(hashmap_freep) struct hashmap *owner = hashmap_new(); /* id -> 1 + hit index */
        if (!parent || !owner)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                parent[i] = i;
        for (size_t i = 0; i < n; i++)
                for (size_t k = 0; k < c->hits.items[i].n_ids; k++) {
                        const char *id = c->hits.items[i].ids[k];
                        intptr_t j = (intptr_t) hashmap_get(owner, id);
                        if (j > 0) {
                                size_t a = uf_find(parent, i), b = uf_find(parent, (size_t) j - 1);
                                if (a != b)
                                        parent[MAX(a, b)] = MIN(a, b);
                        } else if (hashmap_put(owner, id, (void *) (intptr_t) (i + 1), NULL) < 0)
                                return -ENOMEM;
                }

        for (size_t root = 0; root < n; root++) {
                if (uf_find(parent, root) != root)
                        continue;
                struct vuln_finding *f = VEC_NEW(out);
                if (!f)
                        return -ENOMEM;
                VEC(const char *) ids = { 0 };
                VEC(const char *) sources = { 0 };
                _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
                if (!seen)
                        return -ENOMEM;
                int best_rank = -1;
                bool any_fixed = false;
                enum finding_status status = _FINDING_STATUS_MAX;
                const struct hit *primary = NULL;
                *f = (struct vuln_finding){ .pkg = c->pkg, .installed_version = c->version, .ecosystem = eco,
                                            .package_name = name };
                for (size_t i = 0; i < n; i++) {
                        if (uf_find(parent, i) != root)
                                continue;
                        const struct hit *h = &c->hits.items[i];
                        for (size_t k = 0; k < h->n_ids; k++)
                                if (!hashmap_contains(seen, h->ids[k])) {
                                        hashmap_put(seen, h->ids[k], (void *) 1, NULL);
                                        (void) VEC_PUSH(&ids, h->ids[k]);
                                }
                        bool have_source = false;
                        VEC_FOREACH(s, &sources)
                                have_source |= streq_ptr(*s, h->source);
                        if (h->source && !have_source)
                                (void) VEC_PUSH(&sources, h->source);
                        /* a fix known anywhere wins (the highest one clears every statement); otherwise the
                         * least hopeful status */
                        int cmp = 0;
                        if (h->status == FINDING_FIXED) {
                                if (!any_fixed || (version_compare(c->scheme, h->fixed, f->fixed_version, &cmp) == 0 && cmp > 0))
                                        f->fixed_version = h->fixed;
                                any_fixed = true;
                        } else if (status == _FINDING_STATUS_MAX || h->status < status)
                                status = h->status;
                        int rank = source_rank(h->severity_source);
                        if (h->severity != SEV_UNKNOWN &&
                            (rank > best_rank || (rank == best_rank && h->severity > f->severity))) {
                                best_rank = rank;
                                f->severity = h->severity;
                                f->severity_source = h->severity_source;
                        }
                        if (h->cvss > f->cvss_score) {
                                f->cvss_score = h->cvss;
                                f->cvss_vector = h->cvss_vector;
                        }
                        f->kev |= h->kev;
                        if (!f->note && h->note)
                                f->note = h->note;
                        if (!primary || cmp_id(&h->id, &primary->id) < 0)
                                primary = h;
                }
                f->status = any_fixed ? FINDING_FIXED : status;
                if (ids.n == 0 || VEC_PUSH(&ids, NULL) < 0 || VEC_PUSH(&sources, NULL) < 0) {
                        VEC_FREE(&ids);
                        VEC_FREE(&sources);
                        return -ENOMEM;
                }
                qsort_safe(ids.items, ids.n - 1, sizeof *ids.items, cmp_id);
                f->ids = arena_memdup(c->a, ids.items, ids.n * sizeof *ids.items);
                f->sources = arena_memdup(c->a, sources.items, sources.n * sizeof *sources.items);
                VEC_FREE(&ids);
                VEC_FREE(&sources);
                if (!f->ids || !f->sources)
                        return -ENOMEM;
                f->id = f->ids[0];
                /* the details (summary) of the most telling statement */
                if (primary) {
                        struct vuln_affected det = primary->copy;
                        if (!det.summary && det.details_ref && vulndb_fill_details(db, &det, c->a) >= 0)
                                f->summary = det.summary;
                        else
                                f->summary = det.summary;
                }
                if (f->severity == SEV_UNKNOWN && f->cvss_score > 0) {
                        f->severity = f->cvss_score >= 9.0 ? SEV_CRITICAL
                                      : f->cvss_score >= 7.0 ? SEV_HIGH
                                      : f->cvss_score >= 4.0 ? SEV_MEDIUM
                                                             : SEV_LOW;
                        f->severity_source = "cvss";
                }
        }
        return 0;
}

int vuln_finding_compare(const struct vuln_finding *a, const struct vuln_finding *b) {
        if (a->severity != b->severity)
                return a->severity > b->severity ? -1 : 1;
        int r = strcmp(a->id, b->id);
        if (r)
                return r;
        return pkg_compare(a->pkg, b->pkg);
}

static int cmp_finding(const void *a, const void *b) {
        return vuln_finding_compare(a, b);
}

int match_packages(struct vulndb *db, const struct pkg_vec *pkgs, const struct scan_os *os, struct arena *a,
                   struct diag *d, struct vuln_finding_vec *out, struct match_stats *ret_stats) {
        struct match_stats st = { 0 };
        size_t first = out->n;

        VEC_FOREACH(p, pkgs) {
                const char *eco, *name, *version;
                st.packages++;
                if (match_lookup_key(a, p, os, &eco, &name, &version) < 0)
                        continue;
                int s = version_scheme_for_ecosystem(eco);
                struct pkg_ctx c = { .a = a, .d = d, .pkg = p, .scheme = s < 0 ? VS_GENERIC : (enum version_scheme) s,
                                     .version = version };
                st.lookups++;
                int r = vulndb_lookup_ex(db, eco, name, VULNDB_LOOKUP_NO_DETAILS, on_statement, &c);
                if (r >= 0)
                        r = build_findings(&c, db, out, eco, name);
                st.statements += c.statements;
                st.skipped_invalid += c.warned;
                VEC_FREE(&c.hits);
                if (r < 0)
                        return r;
        }
        st.findings = out->n - first;
        qsort_safe(out->items + first, out->n - first, sizeof *out->items, cmp_finding);
        if (ret_stats)
                *ret_stats = st;
        return 0;
}
