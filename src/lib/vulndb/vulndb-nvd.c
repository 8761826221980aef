/* SPDX-License-Identifier: Apache-2.0 */
/* Enrichment feeds: they create no package statements (distro packages are never matched by CPE), they
 * add to the statements whose id, alias or upstream id is the CVE:
 *   NVD CVE JSON 2.0 ({"vulnerabilities":[{"cve":{"id","published","lastModified","descriptions",
 *   "metrics":{"cvssMetricV31"|"V30"|"V40"|"V2":[…]},"weaknesses":[…]}}]}): CVSS and CWEs;
 *   CISA KEV ({"catalogVersion","dateReleased","vulnerabilities":[{"cveID","dateAdded",…}]}): the flag. */
#include <string.h>

#include "vulndb-internal.h"

static bool is_cve(const char *s) {
        return s && strneq(s, "CVE-", 4) && vdb_valid_id(s);
}

/* The metric NVD itself published (type "Primary") first, else the first valid one. */
static bool pick_metric(const json_t *list, int version, double *score, const char **vector) {
        for (int pass = 0; pass < 2; pass++) {
                size_t i;
                json_t *m;
                json_array_foreach(list, i, m) {
                        const char *type = json_get_str(m, "type");
                        if (pass == 0 && (!type || !streq(type, "Primary")))
                                continue;
                        const json_t *data = json_get_obj(m, "cvssData");
                        const char *vec = json_get_str(data, "vectorString");
                        const json_t *bs = json_object_get(data, "baseScore");
                        double computed, s = json_is_number(bs) ? json_number_value(bs) : -1.0;
                        bool valid;
                        if (!vec) {
                                /* a score without its vector is still NVD's score */
                                if (s >= 0.0 && s <= 10.0) {
                                        *score = s;
                                        *vector = NULL;
                                        return true;
                                }
                                continue;
                        }
                        if (version == 3)
                                valid = cvss3_score(vec, &computed) == 0;
                        else if (version == 4)
                                valid = cvss4_vector_valid(vec), computed = -1.0;
                        else
                                valid = cvss2_score(vec, &computed) == 0;
                        if (!valid)
                                continue;
                        if (!(s >= 0.0 && s <= 10.0))
                                s = computed;
                        if (!(s >= 0.0 && s <= 10.0))
                                continue;
                        *score = s;
                        *vector = vec;
                        return true;
                }
        }
        return false;
}

static int nvd_item(struct vdb_build *b, const json_t *item) {
        const json_t *cve = json_get_obj(item, "cve");
        const char *id = json_get_str(cve, "id");

        b->fs.records++;
        if (!is_cve(id)) {
                diag_warn(b->d, "%s: record '%.64s': not a CVE id, skipped", b->file, id ? id : "(none)");
                b->fs.skipped++;
                return 0;
        }
        const char *modified = json_get_str(cve, "lastModified");
        if (modified && !vdb_valid_date(modified))
                modified = NULL;
        vdb_note_date(b, modified);
        struct vdb_nvd *old = hashmap_get(b->nvd, id);
        if (old && old->modified && modified && vdb_parse_time(modified) < vdb_parse_time(old->modified))
                return 0; /* an older copy (the "modified" feed and a year feed overlap) */

        struct vdb_nvd *n = arena_alloc(b->arena, sizeof *n);
        if (!n)
                return vdb_oom(b);
        static const struct {
                const char *key;
                int version;
        } lists[] = {
                {"cvssMetricV31", 3},
                {"cvssMetricV30", 3},
                {"cvssMetricV40", 4},
                {"cvssMetricV2", 2},
        };
        const json_t *metrics = json_get_obj(cve, "metrics");
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                const char *vec;
                if (pick_metric(json_get_arr(metrics, lists[i].key), lists[i].version, &n->cvss, &vec)) {
                        if (vec && !(n->vector = arena_strdup(b->arena, vec)))
                                return vdb_oom(b);
                        n->has_cvss = true;
                        break;
                }
        }
        /* CWEs: NVD's own and the CNA's, without the "NVD-CWE-Other"/"NVD-CWE-noinfo" placeholders */
        const char *cwes[VDB_MAX_CWES + 1] = {0};
        size_t nc = 0, i, j;
        json_t *w, *d;
        json_array_foreach(json_get_arr(cve, "weaknesses"), i, w) {
                json_array_foreach(json_get_arr(w, "description"), j, d) {
                        const char *v = json_get_str(d, "value");
                        if (nc < VDB_MAX_CWES && v && strneq(v, "CWE-", 4) && vdb_valid_id(v) &&
                            !vdb_strv_contains(cwes, v))
                                cwes[nc++] = v;
                }
        }
        if (nc && vdb_strv_union(b, &n->cwes, cwes) < 0)
                return vdb_oom(b);
        json_array_foreach(json_get_arr(cve, "descriptions"), i, d) {
                const char *lang = json_get_str(d, "lang"), *v = json_get_str(d, "value");
                if (lang && streq(lang, "en") && v) {
                        n->summary = vdb_summary_dup(b->arena, v, VDB_MAX_SUMMARY, false);
                        break;
                }
        }
        const char *published = json_get_str(cve, "published");
        if (published && vdb_valid_date(published))
                n->published = arena_strdup(b->arena, published);
        if (modified)
                n->modified = arena_strdup(b->arena, modified);
        const char *key = old ? NULL : arena_strdup(b->arena, id);
        if (old) {
                /* replace in place: the key stays */
                *old = *n;
                return vdb_check(b);
        }
        if (!key || hashmap_put(b->nvd, key, n, NULL) < 0)
                return vdb_oom(b);
        return vdb_check(b);
}

struct cve_peek {
        char buf[VDB_MAX_ID + 1];
        const char *id;
};

static int cve_peek_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct cve_peek *pk = userdata;
        if (!streq(key, "cve"))
                return 0;
        if (jscan_peek_string(val, val + len, "id", pk->buf, sizeof pk->buf) && vdb_valid_id(pk->buf))
                pk->id = pk->buf;
        return 1;
}

static int nvd_elem_cb(void *userdata, size_t index, const char *val, size_t len) {
        struct vdb_build *b = userdata;
        json_error_t err;
        if (len > b->max_record_bytes) {
                /* {"cve": {"id": …}}: name it from one level down */
                struct cve_peek pk = {.id = "?"};
                (void) jscan_object(val, val + len, cve_peek_cb, &pk, NULL);
                diag_warn(b->d,
                          "%s: vulnerabilities[%zu]: record '%s': too large (%zu bytes, limit %zu), skipped",
                          b->file, index, pk.id, len, b->max_record_bytes);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        json_t *e = json_loadb(val, len, JSON_REJECT_DUPLICATES, &err);
        if (!e) {
                diag_warn(b->d, "%s: vulnerabilities[%zu]: %s, skipped", b->file, index, err.text);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        int r = nvd_item(b, e);
        json_decref(e);
        return r;
}

static int kev_item(struct vdb_build *b, const json_t *e) {
        const char *id = json_get_str(e, "cveID"), *date = json_get_str(e, "dateAdded");
        b->fs.records++;
        if (!is_cve(id)) {
                diag_warn(b->d, "%s: record '%.64s': not a CVE id, skipped", b->file, id ? id : "(none)");
                b->fs.skipped++;
                return 0;
        }
        if (date && !vdb_valid_date(date)) {
                diag_warn(b->d, "%s: record '%s': invalid dateAdded, kept without it", b->file, id);
                date = NULL;
        }
        struct vdb_kev *old = hashmap_get(b->kev, id);
        if (old) {
                if (date && (!old->date_added || strcmp(date, old->date_added) < 0))
                        old->date_added = arena_strdup(b->arena, date);
                return vdb_check(b);
        }
        struct vdb_kev *k = arena_alloc(b->arena, sizeof *k);
        const char *key = arena_strdup(b->arena, id);
        if (!k || !key)
                return vdb_oom(b);
        k->date_added = date ? arena_strdup(b->arena, date) : NULL;
        if (hashmap_put(b->kev, key, k, NULL) < 0)
                return vdb_oom(b);
        return vdb_check(b);
}

static int kev_elem_cb(void *userdata, size_t index, const char *val, size_t len) {
        struct vdb_build *b = userdata;
        json_error_t err;
        if (len > b->max_record_bytes) {
                diag_warn(b->d, "%s: vulnerabilities[%zu]: too large (%zu bytes), skipped", b->file, index,
                          len);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        json_t *e = json_loadb(val, len, JSON_REJECT_DUPLICATES, &err);
        if (!json_is_object(e)) {
                diag_warn(b->d, "%s: vulnerabilities[%zu]: %s, skipped", b->file, index,
                          e ? "not an object" : err.text);
                json_decref(e);
                b->fs.records++;
                b->fs.skipped++;
                return 0;
        }
        int r = kev_item(b, e);
        json_decref(e);
        return r;
}

struct top_ctx {
        struct vdb_build *b;
        jscan_element_fn elem;
        const char *date_key; /* a top-level date worth noting as the snapshot */
};

static int top_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct top_ctx *c = userdata;
        struct jscan_error err = {0};
        if (streq(key, "vulnerabilities")) {
                int r = jscan_array(val, val + len, c->elem, c->b, &err);
                if (r == -EBADMSG) {
                        diag_warn(c->b->d, "%s: vulnerabilities: %s, skipped", c->b->file, err.what);
                        return -EBADMSG;
                }
                return r;
        }
        if (streq(key, "catalogVersion") && len < 128) {
                json_t *v = json_loadb(val, len, JSON_DECODE_ANY, NULL);
                if (json_is_string(v) && vdb_valid_text(json_string_value(v), 64))
                        c->b->kev_catalog = arena_strdup(c->b->arena, json_string_value(v));
                json_decref(v);
        }
        if (c->date_key && streq(key, c->date_key) && len < 128) {
                json_t *v = json_loadb(val, len, JSON_DECODE_ANY, NULL);
                if (json_is_string(v) && vdb_valid_date(json_string_value(v)))
                        vdb_note_date(c->b, json_string_value(v));
                json_decref(v);
        }
        return 0;
}

static int parse_top(struct vdb_build *b, const char *data, size_t len, struct top_ctx *c) {
        struct jscan_error err = {0};
        int r = jscan_object(data, data + len, top_cb, c, &err);
        if (r == -EBADMSG && err.what)
                diag_warn(b->d, "%s: not valid JSON at byte %zu (%s), skipped", b->file, err.offset,
                          err.what);
        return r;
}

int vdb_parse_nvd(struct vdb_build *b, const char *data, size_t len) {
        struct top_ctx c = {b, nvd_elem_cb, "timestamp"};
        b->fs.kind = VK_NVD;
        vdb_set_family(b, "nvd");
        return parse_top(b, data, len, &c);
}

int vdb_parse_kev(struct vdb_build *b, const char *data, size_t len) {
        struct top_ctx c = {b, kev_elem_cb, "dateReleased"};
        b->fs.kind = VK_KEV;
        vdb_set_family(b, "kev");
        return parse_top(b, data, len, &c);
}
