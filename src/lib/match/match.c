/* SPDX-License-Identifier: Apache-2.0 */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "buf.h"
#include "hashmap.h"
#include "ignore.h"
#include "inventory/inventory.h"
#include "match-internal.h"
#include "match.h"
#include "vec.h"
#include "version/version.h"
#include "vex.h"

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
                {"stretch", "9"},   {"buster", "10"}, {"bullseye", "11"},
                {"bookworm", "12"}, {"trixie", "13"}, {"forky", "14"},
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
        /* OSV's Red Hat data is per repository; the database keeps it per major release */
        if (streq(id, "rhel") || streq(id, "redhat"))
                return os->version_id ? arena_printf(a, "Red Hat:%s", major(a, os->version_id)) : NULL;
        return NULL;
}

const char *match_distro_ecosystem(struct arena *a, const char *distro) {
        if (!distro)
                return NULL;
        size_t n = strcspn(distro, "-");
        if (n == 0 || !distro[n] || !distro[n + 1])
                return NULL;
        char *id = arena_strndup(a, distro, n);
        if (!id)
                return NULL;
        for (char *p = id; *p; p++)
                *p = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        const char *rest = distro + n + 1;
        struct scan_os os = {.id = id};
        if (rest[0] >= '0' && rest[0] <= '9')
                os.version_id = rest;
        else
                os.codename = rest;
        return os_ecosystem(a, &os);
}

/* Whether a distribution's ecosystem is one a package of this type can belong to (a purl saying
 * pkg:deb/…?distro=alpine-3.18 is a mistake we do not guess around). */
static bool ecosystem_fits(enum pkg_type t, const char *eco) {
        switch (t) {
        case PKG_DEB: return strneq(eco, "Debian:", 7) || strneq(eco, "Ubuntu:", 7);
        case PKG_APK: return strneq(eco, "Alpine:", 7) || streq(eco, "Wolfi") || streq(eco, "Chainguard");
        case PKG_RPM:
                return strneq(eco, "AlmaLinux:", 10) || strneq(eco, "Rocky Linux:", 12) ||
                       strneq(eco, "Red Hat:", 8);
        default: return false;
        }
}

int match_lookup_key(struct arena *a, const struct pkg *p, const struct scan_os *os,
                     const char **ret_ecosystem, const char **ret_name, const char **ret_version) {
        const char *eco = NULL, *name = p->name, *version = p->version;

        switch (p->type) {
        case PKG_DEB:
        case PKG_APK:
        case PKG_RPM:
                /* a package from an SBOM carries its own distribution */
                if (p->distro) {
                        eco = match_distro_ecosystem(a, p->distro);
                        if (eco && !ecosystem_fits(p->type, eco))
                                eco = NULL;
                } else
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
        case PKG_CARGO: eco = "crates.io"; break;
        case PKG_GEM: eco = "RubyGems"; break;
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

/* The details (summary, CWEs, dates) of a vulnerability, read once per scan: a vulnerability found in
 * many packages (one per Go binary, per SBOM component) would be read and copied again for each. */
struct details {
        const char *summary;
        const char *const *cwes;
        const char *published, *modified;
};

struct pkg_ctx {
        struct arena *a;
        struct hashmap *details; /* "details_ref" -> struct details, shared by the packages of a run */
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

/* False when versions a and b cannot be equal in any scheme: their leading numbers (after a "v") differ.
 * Epochs ("1:", "0!") and versions that do not start with a digit are left to the real comparison. */
static bool may_equal(const char *a, const char *b) {
        if (strpbrk(a, "!:") || strpbrk(b, "!:"))
                return true;
        a += *a == 'v' || *a == 'V';
        b += *b == 'v' || *b == 'V';
        if (!isdigit((unsigned char) *a) || !isdigit((unsigned char) *b))
                return true;
        while (*a == '0' && isdigit((unsigned char) a[1]))
                a++;
        while (*b == '0' && isdigit((unsigned char) b[1]))
                b++;
        size_t na = strspn(a, "0123456789"), nb = strspn(b, "0123456789");
        return na == nb && memcmp(a, b, na) == 0;
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
                int invalid = 0;
                for (size_t i = 0; i < a->n_ranges; i++) {
                        const struct vuln_range *rg = &a->ranges[i];
                        struct version_event ev[64];
                        size_t n = MIN(rg->n_events, ELEMENTSOF(ev));
                        for (size_t k = 0; k < n; k++)
                                ev[k] = (struct version_event){(enum version_event_kind) rg->events[k].kind,
                                                               rg->events[k].version};
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
                        if (fx &&
                            (!fixed ||
                             (version_compare(range_scheme(c, rg->type), fx, fixed, &cmp) == 0 && cmp > 0)))
                                fixed = fx;
                }
                /* the explicit list, when no range said so: PyPI records list hundreds of versions, each
                 * a parse: an exact match is tried first, then the comparison where the leading numbers
                 * agree */
                for (const char *const *v = a->versions; v && *v && !affected; v++)
                        affected = streq(*v, c->version);
                for (const char *const *v = a->versions; v && *v && !affected; v++)
                        affected = may_equal(c->version, *v) &&
                                   version_compare(c->scheme, c->version, *v, &cmp) == 0 && cmp == 0;
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

/* Statements as stored, not merged by alias in the database: each is evaluated on its own, and only those
 * that affect the version are grouped into a finding (build_findings). Merging first would give the
 * union of two advisories' ranges the ids of both, so a version one of them does not affect would be
 * reported under that one's ids too (zope 4.0b1: PYSEC-2021-88 affects it, PYSEC-2021-104, which shares
 * a GHSA alias with it, starts at 4.0). */
#define LOOKUP_FLAGS (VULNDB_LOOKUP_RAW | VULNDB_LOOKUP_NO_DETAILS)

static int build_findings(struct pkg_ctx *c, struct vulndb *db, struct vuln_finding_vec *out,
                          const char *eco, const char *name) {
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
                VEC(const char *) ids = {0};
                VEC(const char *) sources = {0};
                _cleanup_(hashmap_freep) struct hashmap *seen = hashmap_new();
                if (!seen)
                        return -ENOMEM;
                int best_rank = -1;
                bool any_fixed = false;
                enum finding_status status = _FINDING_STATUS_MAX;
                const struct hit *primary = NULL;
                *f = (struct vuln_finding){.pkg = c->pkg,
                                           .installed_version = c->version,
                                           .ecosystem = eco,
                                           .package_name = name};
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
                        VEC_FOREACH (s, &sources)
                                have_source |= streq_ptr(*s, h->source);
                        if (h->source && !have_source)
                                (void) VEC_PUSH(&sources, h->source);
                        /* a fix known anywhere wins (the highest one clears every statement); otherwise the
                         * least hopeful status */
                        int cmp = 0;
                        if (h->status == FINDING_FIXED) {
                                if (!any_fixed ||
                                    (version_compare(c->scheme, h->fixed, f->fixed_version, &cmp) == 0 &&
                                     cmp > 0))
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
                /* the details (summary, CWEs, dates) of the most telling statement */
                if (primary) {
                        struct vuln_affected det = primary->copy;
                        f->summary = det.summary; /* copied into the arena by on_statement() */
                        const struct details *got = NULL;
                        char key[24];
                        if (det.details_ref) {
                                snprintf(key, sizeof key, "%" PRId64, det.details_ref);
                                got = hashmap_get(c->details, key);
                        }
                        if (det.details_ref && !got && vulndb_fill_details(db, &det, c->a) >= 0) {
                                struct details *x = arena_alloc(c->a, sizeof *x);
                                const char *k = arena_strdup(c->a, key);
                                if (!x || !k)
                                        return -ENOMEM;
                                *x = (struct details){det.summary, det.cwes, det.published, det.modified};
                                if (hashmap_put(c->details, k, x, NULL) < 0)
                                        return -ENOMEM;
                                got = x;
                        }
                        if (got) {
                                if (got->summary)
                                        f->summary = got->summary;
                                f->cwes = got->cwes;
                                f->published = got->published;
                                f->modified = got->modified;
                        }
                }
                if (f->severity == SEV_UNKNOWN && f->cvss_score > 0) {
                        f->severity = f->cvss_score >= 9.0   ? SEV_CRITICAL
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
        struct match_stats st = {0};
        size_t first = out->n;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);

        size_t no_eco[_PKG_TYPE_MAX] = {};
        _cleanup_(hashmap_freep) struct hashmap *details = hashmap_new();
        if (!details)
                return -ENOMEM;
        VEC_FOREACH (p, pkgs) {
                const char *eco, *name, *version;
                st.packages++;
                if (match_lookup_key(a, p, os, &eco, &name, &version) < 0) {
                        if (p->type >= 0 && p->type < _PKG_TYPE_MAX)
                                no_eco[p->type]++;
                        st.no_ecosystem++;
                        continue;
                }
                int s = version_scheme_for_ecosystem(eco);
                struct pkg_ctx c = {.a = a,
                                    .details = details,
                                    .d = d,
                                    .pkg = p,
                                    .scheme = s < 0 ? VS_GENERIC : (enum version_scheme) s,
                                    .version = version};
                st.lookups++;
                int r = vulndb_lookup_ex(db, eco, name, LOOKUP_FLAGS, on_statement, &c);
                /* Ubuntu's OSV data names LTS releases "Ubuntu:22.04:LTS": look there too (the hits keep
                 * copies of what they need, so a second lookup does not disturb them) */
                if (r >= 0 && strneq(eco, "Ubuntu:", 7) && !strchr(eco + 7, ':')) {
                        const char *lts = arena_printf(a, "%s:LTS", eco);
                        st.lookups++;
                        r = lts ? vulndb_lookup_ex(db, lts, name, LOOKUP_FLAGS, on_statement, &c) : -ENOMEM;
                }
                if (r >= 0)
                        r = build_findings(&c, db, out, eco, name);
                st.statements += c.statements;
                st.skipped_invalid += c.warned;
                VEC_FREE(&c.hits);
                if (r < 0)
                        return r;
        }
        if (st.no_ecosystem > 0) {
                char what[256] = "";
                size_t len = 0;
                for (int t = 0; t < _PKG_TYPE_MAX; t++)
                        if (no_eco[t] && len < sizeof what)
                                len += (size_t) snprintf(what + len, sizeof what - len, "%s%s %zu",
                                                         len ? ", " : "", pkg_type_to_string(t), no_eco[t]);
                diag_warn(d,
                          "%zu package%s not matched: no ecosystem with advisories to look %s up in (%s)%s",
                          st.no_ecosystem, st.no_ecosystem == 1 ? "" : "s",
                          st.no_ecosystem == 1 ? "it" : "them", what,
                          os && os->id ? "" : "; the distribution is unknown");
        }
        st.findings = out->n - first;
        qsort_safe(out->items + first, out->n - first, sizeof *out->items, cmp_finding);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        st.nanoseconds = (uint64_t) ((t1.tv_sec - t0.tv_sec) * 1000000000LL + (t1.tv_nsec - t0.tv_nsec));
        if (ret_stats)
                *ret_stats = st;
        return 0;
}

/* ---- exceptions ---- */

bool match_finding_has_id(const struct vuln_finding *f, const char *id) {
        for (const char *const *x = f->ids; x && *x; x++)
                if (strcasecmp(*x, id) == 0)
                        return true;
        return f->id && !f->ids && strcasecmp(f->id, id) == 0;
}

/* PEP 503: lowercase, runs of '-', '_', '.' become one '-'. */
static char *pep503(struct arena *a, const char *s) {
        char *out = arena_alloc(a, strlen(s) + 1), *q = out;
        if (!out)
                return NULL;
        for (const char *p = s; *p; p++) {
                if (*p == '-' || *p == '_' || *p == '.') {
                        if (q == out || q[-1] != '-')
                                *q++ = '-';
                        continue;
                }
                *q++ = (char) (*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
        }
        *q = 0;
        return out;
}

/* Go versions are written with and without their "v" (purls v1.2.3, the Go database 1.2.3). */
static bool same_version(const char *type, const char *a, const char *b) {
        if (streq(type, "golang")) {
                a += a[0] == 'v';
                b += b[0] == 'v';
        }
        return streq(a, b);
}

bool match_purl_matches(struct arena *a, const char *pattern, const char *purl) {
        struct purl want, have;
        if (!pattern || !purl || purl_parse(a, pattern, &want) < 0 || purl_parse(a, purl, &have) < 0)
                return false;
        if (!streq(want.type, have.type) || !streq_ptr(want.namespace_, have.namespace_))
                return false;
        if (streq(want.type, "pypi")) {
                const char *x = pep503(a, want.name), *y = pep503(a, have.name);
                if (!x || !y || !streq(x, y))
                        return false;
        } else if (!streq(want.name, have.name))
                return false;
        if (want.version && (!have.version || !same_version(want.type, want.version, have.version)))
                return false;
        for (size_t i = 0; i < want.n_qualifiers; i++)
                if (!streq_ptr(purl_get_qualifier(&have, want.qualifiers[i].key), want.qualifiers[i].value))
                        return false;
        return true;
}

bool match_package_matches(struct arena *a, const char *spec, const struct vuln_finding *f) {
        const struct pkg *p = f->pkg;
        if (!p)
                return false;
        if (strncasecmp(spec, "pkg:", 4) == 0)
                return match_purl_matches(a, spec, p->purl);
        if (streq_ptr(spec, p->name) || streq_ptr(spec, f->package_name))
                return true;
        if (p->type == PKG_MAVEN && p->namespace_) {
                size_t n = strlen(p->namespace_);
                return strneq(spec, p->namespace_, n) && spec[n] == ':' && streq_ptr(spec + n + 1, p->name);
        }
        return false;
}

int match_read_file(const char *path, size_t cap, const char *what, struct diag *d, char **ret,
                    size_t *ret_len) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        struct stat st;
        if (fd < 0) {
                int r = negative_errno();
                return diag_error(d, r, "cannot open %s '%s': %s", what, path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                int r = negative_errno();
                return diag_error(d, r, "cannot read %s '%s': %s", what, path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return diag_error(d, -EINVAL, "%s '%s' is not a regular file", what, path);
        if ((uint64_t) st.st_size > cap)
                return diag_error(d, -EFBIG, "%s '%s' is too large (%lld bytes, limit %zu)", what, path,
                                  (long long) st.st_size, cap);
        size_t n = (size_t) st.st_size, got = 0;
        _cleanup_free_ char *buf = malloc(n + 1);
        if (!buf)
                return -ENOMEM;
        while (got < n) {
                ssize_t k = read(fd, buf + got, n - got);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        int r = negative_errno();
                        return diag_error(d, r, "cannot read %s '%s': %s", what, path, strerror(-r));
                }
                if (k == 0)
                        break; /* shrank while we read: use what is there */
                got += (size_t) k;
        }
        buf[got] = 0;
        *ret = TAKE_PTR(buf);
        *ret_len = got;
        return 0;
}

static const char *vex_reason(struct arena *a, const struct vex_statement *s) {
        const char *what = s->status == VEX_FIXED ? "fixed" : "not affected";
        if (s->justification && s->detail)
                return arena_printf(a, "%s (%s): %s", what, s->justification, s->detail);
        if (s->justification || s->detail)
                return arena_printf(a, "%s: %s", what, s->justification ? s->justification : s->detail);
        return arena_strdup(a, what);
}

int match_apply_exceptions(const struct match_exceptions *x, struct vuln_finding_vec *v, struct arena *a,
                           struct diag *d) {
        (void) d;
        if (!x)
                return 0;
        /* purl parsing in the checks below makes scratch strings: keep them out of the result's arena */
        _cleanup_(arena_freep) struct arena *scratch = arena_new(0);
        if (!scratch)
                return -ENOMEM;
        VEC_FOREACH (f, v) {
                f->excepted_by = NULL;
                const struct vex_statement *s =
                        x->vex ? vex_find(x->vex, scratch, f, x->image_digests) : NULL;
                if (s && (s->status == VEX_NOT_AFFECTED || s->status == VEX_FIXED)) {
                        f->excepted_by = "vex";
                        f->vex_status = vex_status_to_string(s->status);
                        f->vex_justification = s->justification;
                        f->exception_reason = vex_reason(a, s);
                        f->exception_source = s->source;
                        if (!f->exception_reason)
                                return -ENOMEM;
                        continue;
                }
                for (size_t i = 0; x->ignore && i < x->ignore->n; i++) {
                        struct ignore_rule *r = &x->ignore->rules[i];
                        if (r->expired || !ignore_rule_matches(scratch, r, f))
                                continue;
                        f->excepted_by = "ignore-file";
                        f->exception_reason = r->reason;
                        f->exception_source = r->source;
                        f->exception_expires = r->expires;
                        r->used++;
                        break;
                }
                if (!f->excepted_by && x->ignore_unfixed && f->status != FINDING_FIXED) {
                        f->excepted_by = "ignore-unfixed";
                        f->exception_reason = arena_printf(a, "no fixed version (%s); --ignore-unfixed",
                                                           finding_status_to_string(f->status));
                        if (!f->exception_reason)
                                return -ENOMEM;
                }
        }
        return 0;
}
