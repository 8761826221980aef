/* SPDX-License-Identifier: Apache-2.0 */
/* VEX input: OpenVEX and CycloneDX VEX documents turned into one list of statements (vex.h). */
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/json-util.h"
#include "hashmap.h"
#include "vec.h"
#include "match-internal.h"
#include "vex.h"

#define MAX_TEXT 4096 /* justification, detail: longer text is cut */

const char *vex_status_to_string(enum vex_status s) {
        switch (s) {
        case VEX_NOT_AFFECTED: return "not_affected";
        case VEX_AFFECTED: return "affected";
        case VEX_FIXED: return "fixed";
        case VEX_UNDER_INVESTIGATION: return "under_investigation";
        }
        return "unknown";
}

struct vctx {
        struct arena *a;
        struct diag *d;
        struct vex_set *set;
        const char *name;
        const char *doc_timestamp;
        size_t products; /* over the document, against VEX_MAX_PRODUCTS per statement */
        size_t skipped;
};

/* A string field as a short printable copy (control characters become spaces, long text is cut). */
static const char *text_dup(struct arena *a, const char *s) {
        if (!s)
                return NULL;
        size_t n = strnlen(s, MAX_TEXT);
        char *t = arena_strndup(a, s, n);
        if (!t)
                return NULL;
        for (char *p = t; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        *p = ' ';
        return t;
}

/* RFC 3339 ("2023-01-08T18:02:03.647787998-06:00") in seconds since the epoch, INT64_MIN when it is
 * not one: statements from different tools spell their zones differently, so text order is not time
 * order. */
static int64_t rfc3339_seconds(const char *s) {
        struct tm tm = {};
        int y, mo, d, h = 0, mi = 0, sec = 0, n = 0;
        if (!s || sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3 || n != 10)
                return INT64_MIN;
        const char *p = s + 10;
        long off = 0;
        if (*p == 'T' || *p == 't' || *p == ' ') {
                if (sscanf(p + 1, "%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3 || n != 8)
                        return INT64_MIN;
                p += 1 + 8;
                if (*p == '.')
                        for (p++; *p >= '0' && *p <= '9'; p++)
                                ;
                if (*p == '+' || *p == '-') {
                        int oh, om;
                        if (sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5)
                                return INT64_MIN;
                        off = (*p == '-' ? -1 : 1) * (oh * 3600L + om * 60L);
                } else if (*p != 'Z' && *p != 'z')
                        return INT64_MIN;
        } else if (*p)
                return INT64_MIN;
        if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
                return INT64_MIN;
        tm.tm_year = y - 1900;
        tm.tm_mon = mo - 1;
        tm.tm_mday = d;
        tm.tm_hour = h;
        tm.tm_min = mi;
        tm.tm_sec = sec;
        return (int64_t) timegm(&tm) - off;
}

static bool plausible_id(const char *s) {
        size_t n = s ? strlen(s) : 0;
        if (n == 0 || n > 256)
                return false;
        for (const unsigned char *p = (const unsigned char *) s; *p; p++)
                if (*p <= 0x20 || *p == 0x7f)
                        return false;
        return true;
}

static struct vex_statement *new_statement(struct vctx *c) {
        if (c->set->n >= VEX_MAX_STATEMENTS) {
                diag_error(c->d, -E2BIG, "VEX '%s': more than %d statements in all", c->name,
                           VEX_MAX_STATEMENTS);
                return NULL;
        }
        struct vex_statement *s = VEC_NEW(c->set);
        if (!s) {
                diag_error(c->d, -ENOMEM, "VEX '%s': out of memory", c->name);
                return NULL;
        }
        s->source = c->name;
        s->order = c->set->n - 1;
        return s;
}

/* Adds (product, sub) to s; products is a VEC the caller owns. */
struct pvec {
        struct vex_product *items;
        size_t n, alloc;
};

static int add_product(struct vctx *c, struct pvec *v, const char *product, const char *sub) {
        if (v->n >= VEX_MAX_PRODUCTS)
                return diag_error(c->d, -E2BIG, "VEX '%s': a statement names more than %d products", c->name,
                                  VEX_MAX_PRODUCTS);
        struct vex_product p = {arena_strdup(c->a, product), sub ? arena_strdup(c->a, sub) : NULL};
        if (!p.product || (sub && !p.sub))
                return -ENOMEM;
        return VEC_PUSH(v, p);
}

static int finish_products(struct vctx *c, struct vex_statement *s, struct pvec *v) {
        s->n_products = v->n;
        s->products = v->n ? arena_memdup(c->a, v->items, v->n * sizeof *v->items) : NULL;
        VEC_FREE(v);
        return s->n_products == 0 || s->products ? 0 : -ENOMEM;
}

/* ---- OpenVEX ---- */

static const char *openvex_product_id(const json_t *p) {
        if (json_is_string(p))
                return json_string_value(p);
        const json_t *ids = json_get_obj(p, "identifiers");
        const char *purl = json_get_str(ids, "purl");
        const char *id = json_get_str(p, "@id");
        /* The purl is what identifies a package; @id may be any IRI. */
        return purl ? purl : id;
}

static int openvex_status(const char *s, enum vex_status *ret) {
        static const struct {
                const char *name;
                enum vex_status status;
        } names[] = {
                {"not_affected", VEX_NOT_AFFECTED},
                {"affected", VEX_AFFECTED},
                {"fixed", VEX_FIXED},
                {"under_investigation", VEX_UNDER_INVESTIGATION},
        };
        for (size_t i = 0; s && i < ELEMENTSOF(names); i++)
                if (streq(s, names[i].name)) {
                        *ret = names[i].status;
                        return 0;
                }
        return -EINVAL;
}

static int openvex_statement(struct vctx *c, const json_t *st, size_t index) {
        const json_t *vuln = json_object_get(st, "vulnerability");
        const char *id = json_is_string(vuln) ? json_string_value(vuln) : NULL;
        const json_t *aliases = NULL;
        enum vex_status status;
        int r;

        if (json_is_object(vuln)) {
                id = json_get_str(vuln, "name");
                if (!id)
                        id = json_get_str(vuln, "@id");
                aliases = json_get_arr(vuln, "aliases");
        }
        if (!plausible_id(id)) {
                diag_warn(c->d, "VEX '%s': statement %zu has no vulnerability id; skipped", c->name, index);
                c->skipped++;
                return 0;
        }
        if (openvex_status(json_get_str(st, "status"), &status) < 0) {
                diag_warn(c->d, "VEX '%s': statement %zu (%s) has no valid status; skipped", c->name, index,
                          id);
                c->skipped++;
                return 0;
        }

        struct pvec products = {};
        const json_t *arr = json_get_arr(st, "products");
        size_t i;
        json_t *p;
        json_array_foreach(arr, i, p) {
                const char *pid = openvex_product_id(p);
                if (!pid)
                        continue;
                const json_t *subs = json_get_arr(p, "subcomponents");
                size_t k, n_subs = 0;
                json_t *sub;
                json_array_foreach(subs, k, sub) {
                        const char *sid = openvex_product_id(sub);
                        if (!sid)
                                continue;
                        if ((r = add_product(c, &products, pid, sid)) < 0)
                                goto fail;
                        n_subs++;
                }
                if (n_subs == 0 && (r = add_product(c, &products, pid, NULL)) < 0)
                        goto fail;
        }
        if (products.n == 0) {
                diag_warn(c->d, "VEX '%s': statement %zu (%s) names no product; skipped", c->name, index,
                          id);
                c->skipped++;
                return 0;
        }

        struct vex_statement *s = new_statement(c);
        if (!s) {
                r = -E2BIG;
                goto fail;
        }
        s->id = arena_strdup(c->a, id);
        s->aliases = json_strv_dup(c->a, aliases, VEX_MAX_ALIASES);
        s->status = status;
        s->justification = text_dup(c->a, json_get_str(st, "justification"));
        s->detail = text_dup(c->a, json_get_str(st, "impact_statement"));
        if (!s->detail)
                s->detail = text_dup(c->a, json_get_str(st, "status_notes"));
        const char *ts = json_get_str(st, "last_updated");
        if (!ts)
                ts = json_get_str(st, "timestamp");
        s->timestamp = arena_strdup(c->a, ts ? ts : c->doc_timestamp ? c->doc_timestamp : "");
        s->time = rfc3339_seconds(s->timestamp);
        if (!s->id || !s->timestamp || (aliases && !s->aliases))
                r = -ENOMEM;
        else
                r = finish_products(c, s, &products);
        return r;
fail:
        VEC_FREE(&products);
        return r;
}

static int parse_openvex(struct vctx *c, const json_t *doc) {
        const json_t *sts = json_get_arr(doc, "statements");
        size_t i;
        json_t *st;
        int r;

        if (!sts)
                return diag_error(c->d, -EBADMSG, "VEX '%s': OpenVEX document without a statements list",
                                  c->name);
        c->doc_timestamp = json_get_str(doc, "last_updated");
        if (!c->doc_timestamp)
                c->doc_timestamp = json_get_str(doc, "timestamp");
        json_array_foreach(sts, i, st) {
                if (!json_is_object(st)) {
                        diag_warn(c->d, "VEX '%s': statement %zu is not an object; skipped", c->name, i);
                        continue;
                }
                if ((r = openvex_statement(c, st, i)) < 0)
                        return r;
        }
        return 0;
}

/* ---- CycloneDX VEX ---- */

/* bom-ref -> purl of every component of the document (nested ones and metadata.component too). */
static int index_components(struct vctx *c, struct hashmap *refs, const json_t *comps, unsigned depth) {
        size_t i;
        json_t *comp;
        if (depth > 32)
                return 0;
        json_array_foreach(comps, i, comp) {
                const char *ref = json_get_str(comp, "bom-ref"), *purl = json_get_str(comp, "purl");
                if (ref && purl && !hashmap_contains(refs, ref)) {
                        const char *k = arena_strdup(c->a, ref), *v = arena_strdup(c->a, purl);
                        if (!k || !v || hashmap_put(refs, k, (void *) v, NULL) < 0)
                                return -ENOMEM;
                }
                int r = index_components(c, refs, json_get_arr(comp, "components"), depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int cdx_state(const char *s, enum vex_status *ret) {
        static const struct {
                const char *name;
                enum vex_status status;
        } names[] = {
                {"not_affected", VEX_NOT_AFFECTED},
                {"false_positive", VEX_NOT_AFFECTED},
                {"resolved", VEX_FIXED},
                {"resolved_with_pedigree", VEX_FIXED},
                {"exploitable", VEX_AFFECTED},
                {"in_triage", VEX_UNDER_INVESTIGATION},
        };
        for (size_t i = 0; s && i < ELEMENTSOF(names); i++)
                if (streq(s, names[i].name)) {
                        *ret = names[i].status;
                        return 0;
                }
        return -EINVAL;
}

/* A ref as a purl: a purl itself, or the bom-ref (also the fragment of a BOM-link) of a component. */
static const char *resolve_ref(const struct hashmap *refs, const char *ref) {
        if (strncasecmp(ref, "pkg:", 4) == 0)
                return ref;
        const char *purl = hashmap_get(refs, ref);
        if (purl)
                return purl;
        if (strncmp(ref, "urn:cdx:", 8) == 0) {
                const char *hash = strchr(ref, '#');
                if (hash)
                        return hashmap_get(refs, hash + 1);
        }
        return NULL;
}

static int cdx_vulnerability(struct vctx *c, const struct hashmap *refs, const json_t *v, size_t index) {
        const char *id = json_get_str(v, "id");
        const json_t *an = json_get_obj(v, "analysis");
        enum vex_status status;
        int r;

        if (!plausible_id(id)) {
                diag_warn(c->d, "VEX '%s': vulnerability %zu has no id; skipped", c->name, index);
                c->skipped++;
                return 0;
        }
        if (!an || cdx_state(json_get_str(an, "state"), &status) < 0) {
                /* Not a VEX statement (a plain scan report lists vulnerabilities without analysis). */
                c->skipped++;
                return 0;
        }

        struct pvec products = {};
        const json_t *affects = json_get_arr(v, "affects");
        size_t i;
        json_t *af;
        json_array_foreach(affects, i, af) {
                const char *ref = json_get_str(af, "ref");
                if (!ref)
                        continue;
                const char *purl = resolve_ref(refs, ref);
                if (!purl) {
                        diag_warn(
                                c->d,
                                "VEX '%s': %s: affects ref '%.200s' is neither a purl nor the bom-ref of a "
                                "component with a purl; ignored",
                                c->name, id, ref);
                        continue;
                }
                if ((r = add_product(c, &products, purl, NULL)) < 0)
                        goto fail;
        }
        if (products.n == 0) {
                diag_warn(c->d, "VEX '%s': %s affects no package it can name; skipped", c->name, id);
                c->skipped++;
                return 0;
        }

        /* references[].id are other ids of the same vulnerability */
        VEC(const char *) aliases = {};
        const json_t *refs_arr = json_get_arr(v, "references");
        json_t *ref;
        json_array_foreach(refs_arr, i, ref) {
                const char *rid = json_get_str(ref, "id");
                if (plausible_id(rid) && aliases.n < VEX_MAX_ALIASES && VEC_PUSH(&aliases, rid) < 0) {
                        VEC_FREE(&aliases);
                        r = -ENOMEM;
                        goto fail;
                }
        }
        struct vex_statement *s = new_statement(c);
        if (!s) {
                VEC_FREE(&aliases);
                r = -E2BIG;
                goto fail;
        }
        s->id = arena_strdup(c->a, id);
        if (aliases.n) {
                const char **al = arena_alloc(c->a, (aliases.n + 1) * sizeof *al);
                for (size_t k = 0; al && k < aliases.n; k++)
                        al[k] = arena_strdup(c->a, aliases.items[k]);
                s->aliases = al;
        }
        size_t n_aliases = aliases.n;
        VEC_FREE(&aliases);
        s->status = status;
        s->justification = text_dup(c->a, json_get_str(an, "justification"));
        s->detail = text_dup(c->a, json_get_str(an, "detail"));
        const char *ts = json_get_str(an, "lastUpdated");
        if (!ts)
                ts = json_get_str(an, "firstIssued");
        s->timestamp = arena_strdup(c->a, ts ? ts : c->doc_timestamp ? c->doc_timestamp : "");
        s->time = rfc3339_seconds(s->timestamp);
        if (!s->id || !s->timestamp || (n_aliases && !s->aliases))
                return -ENOMEM;
        return finish_products(c, s, &products);
fail:
        VEC_FREE(&products);
        return r;
}

static int parse_cyclonedx(struct vctx *c, const json_t *doc) {
        _cleanup_(hashmap_freep) struct hashmap *refs = hashmap_new();
        const json_t *vulns = json_get_arr(doc, "vulnerabilities");
        const json_t *meta = json_get_obj(doc, "metadata");
        size_t i;
        json_t *v;
        int r;

        if (!refs)
                return -ENOMEM;
        if (!vulns)
                return diag_error(c->d, -EBADMSG, "VEX '%s': CycloneDX document without vulnerabilities",
                                  c->name);
        c->doc_timestamp = json_get_str(meta, "timestamp");
        json_t *subject = json_get_obj(meta, "component");
        if (subject) {
                json_t *one = json_array();
                if (!one || json_array_append(one, subject) < 0) {
                        json_decref(one);
                        return -ENOMEM;
                }
                r = index_components(c, refs, one, 0);
                json_decref(one);
                if (r < 0)
                        return r;
        }
        if ((r = index_components(c, refs, json_get_arr(doc, "components"), 0)) < 0)
                return r;
        json_array_foreach(vulns, i, v) {
                if (!json_is_object(v))
                        continue;
                if ((r = cdx_vulnerability(c, refs, v, i)) < 0)
                        return r;
        }
        return 0;
}

int vex_parse(const char *data, size_t len, const char *name, struct arena *a, struct diag *d,
              struct vex_set *set) {
        struct vctx c = {.a = a, .d = d, .set = set, .name = arena_strdup(a, name ? name : "-")};
        _cleanup_(json_decrefp) json_t *doc = NULL;
        char what[600];
        int r;

        if (!c.name)
                return -ENOMEM;
        snprintf(what, sizeof what, "VEX '%.500s'", c.name);
        r = json_parse_capped(data, len, VEX_MAX_BYTES, what, d, &doc);
        if (r < 0)
                return r;
        if (!json_is_object(doc))
                return diag_error(d, -EBADMSG, "VEX '%s' is not a JSON object", c.name);
        const char *ctx = json_get_str(doc, "@context");
        const char *bom = json_get_str(doc, "bomFormat");
        size_t before = set->n;
        if (ctx && strstr(ctx, "openvex"))
                r = parse_openvex(&c, doc);
        else if (bom && streq(bom, "CycloneDX"))
                r = parse_cyclonedx(&c, doc);
        else
                return diag_error(d, -EBADMSG, "'%s' is neither an OpenVEX nor a CycloneDX VEX document",
                                  c.name);
        if (r < 0)
                return r;
        if (set->n == before && c.skipped == 0)
                diag_warn(d, "VEX '%s' holds no statement", c.name);
        const char **files = arena_alloc(a, (set->n_files + 1) * sizeof *files);
        if (!files)
                return -ENOMEM;
        if (set->n_files)
                memcpy(files, set->files, set->n_files * sizeof *files);
        files[set->n_files++] = c.name;
        set->files = files;
        return 0;
}

int vex_load(const char *path, struct arena *a, struct diag *d, struct vex_set *set) {
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        int r = match_read_file(path, VEX_MAX_BYTES, "VEX file", d, &data, &len);
        if (r < 0)
                return r;
        return vex_parse(data, len, path, a, d, set);
}

void vex_set_done(struct vex_set *set) {
        if (!set)
                return;
        VEC_FREE(set);
}

/* ---- applying ---- */

static bool names_vuln(const struct vex_statement *s, const struct vuln_finding *f) {
        if (match_finding_has_id(f, s->id))
                return true;
        for (const char *const *al = s->aliases; al && *al; al++)
                if (match_finding_has_id(f, *al))
                        return true;
        return false;
}

static bool is_image_purl(struct arena *a, const char *s, const char **ret_digest) {
        if (strncasecmp(s, "pkg:oci/", 8) != 0 && strncasecmp(s, "pkg:docker/", 11) != 0)
                return false;
        const char *at = strrchr(s, '@');
        *ret_digest = NULL;
        if (at) {
                /* the version is the digest, percent-encoded ("sha256%3A…") or not */
                const char *v = at + 1;
                size_t n = strcspn(v, "?#");
                char *dig = arena_strndup(a, v, n);
                if (dig) {
                        char *p = strstr(dig, "%3A");
                        if (!p)
                                p = strstr(dig, "%3a");
                        if (p) {
                                *p = ':';
                                memmove(p + 1, p + 3, strlen(p + 3) + 1);
                        }
                }
                *ret_digest = dig;
        }
        return true;
}

static bool image_matches(const char *digest, const char *const *image_digests) {
        if (!digest)
                return true;
        for (const char *const *d = image_digests; d && *d; d++) {
                const char *at = strrchr(*d, '@'); /* repo digests are NAME@DIGEST */
                if (strcasecmp(at ? at + 1 : *d, digest) == 0)
                        return true;
        }
        return false;
}

static bool names_package(struct arena *a, const struct vex_product *p, const struct vuln_finding *f,
                          const char *const *image_digests) {
        const char *purl = f->pkg ? f->pkg->purl : NULL;
        const char *digest;
        bool image = is_image_purl(a, p->product, &digest);
        if (p->sub) {
                /* a subcomponent of a product: the product must be this image (when it is an image) */
                if (image && !image_matches(digest, image_digests))
                        return false;
                return purl && match_purl_matches(a, p->sub, purl);
        }
        if (image)
                return image_matches(digest, image_digests);
        return purl && match_purl_matches(a, p->product, purl);
}

const struct vex_statement *vex_find(const struct vex_set *set, struct arena *a,
                                     const struct vuln_finding *f, const char *const *image_digests) {
        const struct vex_statement *best = NULL;
        if (!set)
                return NULL;
        for (size_t i = 0; i < set->n; i++) {
                const struct vex_statement *s = &set->items[i];
                if (!names_vuln(s, f))
                        continue;
                bool hit = false;
                for (size_t k = 0; k < s->n_products && !hit; k++)
                        hit = names_package(a, &s->products[k], f, image_digests);
                if (!hit)
                        continue;
                /* the newest statement decides; at equal times the later one */
                if (!best || s->time >= best->time)
                        best = s;
        }
        return best;
}
