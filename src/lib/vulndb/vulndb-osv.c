/* SPDX-License-Identifier: Apache-2.0 */
/* OSV records (https://ossf.github.io/osv-schema/), JSON or YAML, of every ecosystem: one statement per
 * affected[] entry with SEMVER/ECOSYSTEM ranges or an explicit versions list. GIT ranges are dropped
 * (the matcher has no commits to compare), withdrawn records are skipped, and a record that repeats an
 * id replaces the earlier one when it is newer (by "modified", then by file order). */
#include <math.h>
#include <string.h>

#include "vulndb-internal.h"

/* A usable version string from a feed: non-empty printable text without whitespace. */
static bool valid_version(const char *s) {
        if (!s || !*s || !vdb_valid_text(s, VDB_MAX_VERSION))
                return false;
        for (; *s; s++)
                if (*s == ' ' || *s == '\t')
                        return false;
        return true;
}

static int parse_events(struct vdb_build *b, const json_t *arr, struct vdb_range *rg, const char **why) {
        size_t n = json_array_size(arr);
        bool introduced = false;

        if (!json_is_array(arr) || n == 0)
                return *why = "no events", -EINVAL;
        if (n > VDB_MAX_EVENTS)
                return *why = "too many events", -EINVAL;
        rg->events = arena_alloc(b->arena, n * sizeof *rg->events);
        if (!rg->events)
                return vdb_oom(b);
        for (size_t i = 0; i < n; i++) {
                const json_t *ev = json_array_get(arr, i);
                const char *key;
                json_t *val;
                enum vuln_event_kind kind;
                size_t keys = 0;

                if (!json_is_object(ev))
                        return *why = "an event is not an object", -EINVAL;
                json_object_foreach((json_t *) ev, key, val) {
                        keys++;
                        if (streq(key, "introduced"))
                                kind = VE_INTRODUCED;
                        else if (streq(key, "fixed"))
                                kind = VE_FIXED;
                        else if (streq(key, "last_affected"))
                                kind = VE_LAST_AFFECTED;
                        else if (streq(key, "limit"))
                                kind = VE_LIMIT;
                        else
                                return *why = "unknown event", -EINVAL;
                        if (!json_is_string(val) || !valid_version(json_string_value(val)))
                                return *why = "an event's version is not a version", -EINVAL;
                        rg->events[i].kind = kind;
                        rg->events[i].version = arena_strdup(b->arena, json_string_value(val));
                        if (!rg->events[i].version)
                                return vdb_oom(b);
                        introduced |= kind == VE_INTRODUCED;
                }
                if (keys != 1)
                        return *why = "an event must have exactly one of introduced, fixed, last_affected, "
                                      "limit",
                               -EINVAL;
        }
        if (!introduced)
                return *why = "no introduced event", -EINVAL;
        rg->n_events = (uint32_t) n;
        return 0;
}

/* The compact JSON text of an ecosystem_specific object, or NULL when absent, empty or too large. */
static const char *dump_compact(struct vdb_build *b, const json_t *v) {
        if (!json_is_object(v) || json_object_size(v) == 0)
                return NULL;
        char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        if (!s)
                return NULL;
        const char *r = strlen(s) <= VDB_MAX_ECO_SPECIFIC ? arena_strdup(b->arena, s) : NULL;
        free(s);
        return r;
}

/* A number, or a number in a string ("7.5"), in 0..10. */
static bool score_value(const json_t *v, double *ret) {
        double d;
        if (json_is_number(v))
                d = json_number_value(v);
        else if (json_is_string(v)) {
                char *end;
                d = strtod(json_string_value(v), &end);
                if (end == json_string_value(v) || *end)
                        return false;
        } else
                return false;
        if (!(d >= 0.0 && d <= 10.0))
                return false;
        *ret = d;
        return true;
}

struct cvss_pick {
        double v3, v4, v2;
        const char *v3_vector, *v4_vector, *v2_vector;
        enum severity word;
        const char *word_source;
};

/* OSV severity[] (record or affected level). */
static int read_severity(struct vdb_build *b, const char *id, const json_t *arr, struct cvss_pick *p) {
        size_t i;
        json_t *e;
        json_array_foreach(arr, i, e) {
                const char *type = json_get_str(e, "type"), *score = json_get_str(e, "score");
                double s;
                if (!type || !score)
                        continue;
                if (streq(type, "CVSS_V3")) {
                        if (cvss3_score(score, &s) < 0) {
                                vdb_warn(b, id, "invalid CVSS v3 vector '%.80s', ignored", score);
                                continue;
                        }
                        if (!p->v3_vector || s > p->v3) {
                                p->v3 = s;
                                if (!(p->v3_vector = arena_strdup(b->arena, score)))
                                        return vdb_oom(b);
                        }
                } else if (streq(type, "CVSS_V4")) {
                        if (!cvss4_vector_valid(score)) {
                                vdb_warn(b, id, "invalid CVSS v4 vector '%.80s', ignored", score);
                                continue;
                        }
                        if (!p->v4_vector && !(p->v4_vector = arena_strdup(b->arena, score)))
                                return vdb_oom(b);
                } else if (streq(type, "CVSS_V2")) {
                        if (cvss2_score(score, &s) < 0) {
                                vdb_warn(b, id, "invalid CVSS v2 vector '%.80s', ignored", score);
                                continue;
                        }
                        if (!p->v2_vector || s > p->v2) {
                                p->v2 = s;
                                if (!(p->v2_vector = arena_strdup(b->arena, score)))
                                        return vdb_oom(b);
                        }
                } else if (streq(type, "Ubuntu")) {
                        enum severity w = vdb_severity_from_word(score);
                        if (w != SEV_UNKNOWN) {
                                p->word = w;
                                p->word_source = "ubuntu";
                        }
                }
        }
        return 0;
}

/* database_specific: a rating word (GHSA "severity": "MODERATE"; Red Hat/AlmaLinux "Important"), a CVSS v4
 * score ("cvss_v4_score", or "cvss_score"/"score" next to a v4 vector), RustSec's "cvss" vector. */
static void read_database_specific(struct vdb_build *b, const char *id, const json_t *ds,
                                   struct cvss_pick *p) {
        const char *w = json_get_str(ds, "severity");
        if (w && p->word == SEV_UNKNOWN) {
                p->word = vdb_severity_from_word(w);
                if (p->word != SEV_UNKNOWN)
                        p->word_source = vdb_database_of_id(id);
        }
        const char *vec = json_get_str(ds, "cvss");
        double s;
        if (vec && !p->v3_vector && cvss3_score(vec, &s) == 0) {
                p->v3 = s;
                p->v3_vector = arena_strdup(b->arena, vec);
        }
        if (p->v4_vector && p->v4 == 0.0) {
                static const char *const keys[] = {"cvss_v4_score", "cvss_score", "score"};
                for (size_t i = 0; i < ELEMENTSOF(keys); i++)
                        if (score_value(json_object_get(ds, keys[i]), &s)) {
                                p->v4 = s;
                                break;
                        }
        }
}

/* Red Hat and its rebuilds (AlmaLinux, Rocky) title errata "Important: openssl security update": the
 * rating is the summary's first word. */
static void errata_rating(const char *id, const char *summary, struct cvss_pick *p) {
        const char *db = vdb_database_of_id(id);
        if (!streq(db, "redhat") && !streq(db, "almalinux") && !streq(db, "rocky"))
                return;
        size_t n = strcspn(summary, ":");
        char word[16];
        if (summary[n] != ':' || n == 0 || n >= sizeof word)
                return;
        memcpy(word, summary, n);
        word[n] = 0;
        p->word = vdb_severity_from_word(word);
        p->word_source = p->word != SEV_UNKNOWN ? db : NULL;
}

/* The score and vector a statement or record ends with: v3 computed, else v4 as given, else v2. */
static void pick_cvss(const struct cvss_pick *p, double *score, const char **vector) {
        if (p->v3_vector) {
                *score = p->v3;
                *vector = p->v3_vector;
        } else if (p->v4_vector) {
                *score = p->v4;
                *vector = p->v4_vector;
        } else if (p->v2_vector) {
                *score = p->v2;
                *vector = p->v2_vector;
        }
}

static const char **cwe_list(struct vdb_build *b, const json_t *arr) {
        const char **v = NULL;
        size_t n = 0, i;
        json_t *e;
        if (!json_is_array(arr))
                return NULL;
        v = arena_alloc(b->arena, (MIN(json_array_size(arr), (size_t) VDB_MAX_CWES) + 1) * sizeof *v);
        if (!v)
                return NULL;
        json_array_foreach(arr, i, e) {
                const char *s = json_string_value(e);
                if (n >= VDB_MAX_CWES)
                        break;
                if (s && strneq(s, "CWE-", 4) && vdb_valid_id(s) && !vdb_strv_contains(v, s))
                        v[n++] = arena_strdup(b->arena, s);
        }
        return n ? v : NULL;
}

static int parse_affected(struct vdb_build *b, struct vdb_vuln *v, size_t idx, const json_t *aff,
                          const struct cvss_pick *rec_pick, size_t *made) {
        const char *id = v->id;
        const json_t *pkg = json_get_obj(aff, "package");
        const char *eco_raw = json_get_str(pkg, "ecosystem"), *name = json_get_str(pkg, "name");

        if (!eco_raw || !name) {
                vdb_warn(b, id, "affected[%zu]: no package ecosystem or name, skipped", idx);
                return 0;
        }
        const char *eco = vdb_ecosystem(b, id, eco_raw);
        if (!eco)
                return vdb_check(b); /* warned, or the memory cap */
        const char *pname = vdb_package(b, eco, name);
        if (!pname) {
                int r = vdb_check(b);
                if (r < 0)
                        return r;
                vdb_warn(b, id, "affected[%zu]: invalid package name '%.80s', skipped", idx, name);
                return 0;
        }

        /* ranges */
        const json_t *ranges = json_get_arr(aff, "ranges");
        size_t n_ranges = json_array_size(ranges), n_ok = 0, n_git = 0, n_bad = 0;
        struct vdb_range *rv = NULL;
        if (n_ranges > VDB_MAX_RANGES) {
                vdb_warn(b, id, "affected[%zu] (%s/%s): %zu ranges (limit %d), skipped", idx, eco, pname,
                         n_ranges, VDB_MAX_RANGES);
                return 0;
        }
        if (n_ranges > 0) {
                rv = arena_alloc(b->arena, n_ranges * sizeof *rv);
                if (!rv)
                        return vdb_oom(b);
        }
        for (size_t i = 0; i < n_ranges; i++) {
                const json_t *r = json_array_get(ranges, i);
                const char *type = json_get_str(r, "type"), *why = NULL;
                if (type && streq(type, "GIT")) {
                        n_git++;
                        continue;
                }
                if (!type || (!streq(type, "SEMVER") && !streq(type, "ECOSYSTEM"))) {
                        vdb_warn(b, id, "affected[%zu] (%s/%s): unknown range type '%.32s', range skipped",
                                 idx, eco, pname, type ? type : "(none)");
                        n_bad++;
                        continue;
                }
                struct vdb_range *rg = &rv[n_ok];
                rg->type = streq(type, "SEMVER") ? VR_SEMVER : VR_ECOSYSTEM;
                int k = parse_events(b, json_object_get(r, "events"), rg, &why);
                if (k != -EINVAL && k < 0)
                        return k;
                if (k < 0) {
                        vdb_warn(b, id, "affected[%zu] (%s/%s): invalid range: %s, range skipped", idx, eco,
                                 pname, why);
                        n_bad++;
                        continue;
                }
                n_ok++;
        }

        /* versions */
        const json_t *versions = json_get_arr(aff, "versions");
        size_t n_versions = json_array_size(versions), n_v = 0;
        const char **vv = NULL;
        if (n_versions > VDB_MAX_VERSIONS) {
                vdb_warn(b, id, "affected[%zu] (%s/%s): %zu versions (limit %d), list skipped", idx, eco,
                         pname, n_versions, VDB_MAX_VERSIONS);
                n_versions = 0;
                n_bad++;
        }
        if (n_versions > 0) {
                vv = arena_alloc(b->arena, (n_versions + 1) * sizeof *vv);
                if (!vv)
                        return vdb_oom(b);
                for (size_t i = 0; i < n_versions; i++) {
                        const char *s = json_string_value(json_array_get(versions, i));
                        if (!valid_version(s)) {
                                vdb_warn(b, id,
                                         "affected[%zu] (%s/%s): versions[%zu] is not a version, dropped",
                                         idx, eco, pname, i);
                                continue;
                        }
                        if (!(vv[n_v++] = arena_strdup(b->arena, s)))
                                return vdb_oom(b);
                }
        }

        if (n_ok == 0 && n_v == 0) {
                /* GIT-only entries are expected (no package versions to compare); invalid ones were warned.
                 */
                if (n_git == 0 && n_bad == 0)
                        vdb_warn(b, id, "affected[%zu] (%s/%s): no ranges or versions, skipped", idx, eco,
                                 pname);
                return 0;
        }

        struct vdb_stmt *s = vdb_stmt_new(b, v, VK_OSV);
        if (!s)
                return vdb_oom(b);
        s->ecosystem = eco;
        s->package = pname;
        s->status = VS_AFFECTED;
        s->ranges = n_ok ? rv : NULL;
        s->n_ranges = (uint32_t) n_ok;
        s->versions = n_v ? vv : NULL;
        s->n_versions = (uint32_t) n_v;

        /* affected-level severity, database_specific, ecosystem_specific */
        struct cvss_pick p = {0};
        const json_t *es = json_get_obj(aff, "ecosystem_specific");
        const json_t *ds = json_get_obj(aff, "database_specific");
        int r = read_severity(b, id, json_get_arr(aff, "severity"), &p);
        if (r < 0)
                return r;
        read_database_specific(b, id, ds, &p);
        pick_cvss(&p, &s->cvss, &s->cvss_vector);
        if (p.word != SEV_UNKNOWN) {
                s->severity = p.word;
                s->severity_source = p.word_source;
        }
        /* Debian's OSV records carry the tracker's urgency per release. */
        const char *urgency = json_get_str(es, "urgency");
        if (urgency && vdb_severity_from_word(urgency) != SEV_UNKNOWN) {
                s->severity = vdb_severity_from_word(urgency);
                s->severity_source = "debian";
        }
        const char *informational = json_get_str(ds, "informational");
        if (informational && vdb_valid_text(informational, 64))
                s->note = arena_printf(b->arena, "informational: %s", informational);
        s->eco_specific = dump_compact(b, es);
        (void) rec_pick;
        vdb_set_family(b, eco);
        (*made)++;
        return vdb_check(b);
}

static int cmp_modified(const char *a, const char *b) {
        if (!a || !b)
                return a ? 1 : b ? -1 : 0;
        /* RFC 3339 in UTC sorts as text; offsets are compared through the parsed time. */
        time_t ta = vdb_parse_time(a), tb = vdb_parse_time(b);
        if (ta != (time_t) -1 && tb != (time_t) -1 && ta != tb)
                return ta < tb ? -1 : 1;
        return 0;
}

int vdb_parse_osv_record(struct vdb_build *b, const json_t *rec) {
        const char *id = json_get_str(rec, "id");
        int r;

        b->fs.kind = VK_OSV;
        if (!json_is_object(rec)) {
                diag_warn(b->d, "%s: an OSV record is not an object, skipped", b->file);
                b->fs.skipped++;
                return 0;
        }
        if (!vdb_valid_id(id)) {
                diag_warn(b->d, "%s: record '%.64s': not a valid id, skipped", b->file, id ? id : "(none)");
                b->fs.skipped++;
                return 0;
        }
        b->fs.records++;
        const json_t *withdrawn = json_object_get(rec, "withdrawn");
        if (withdrawn && !json_is_null(withdrawn)) {
                b->fs.withdrawn++;
                return 0;
        }
        const char *modified = json_get_str(rec, "modified");
        if (modified && !vdb_valid_date(modified))
                modified = NULL;
        vdb_note_date(b, modified);

        const json_t *affected = json_get_arr(rec, "affected");
        if (json_array_size(affected) > VDB_MAX_AFFECTED) {
                vdb_warn(b, id, "%zu affected entries (limit %d), skipped", json_array_size(affected),
                         VDB_MAX_AFFECTED);
                b->fs.skipped++;
                return 0;
        }

        struct vdb_vuln *v = vdb_vuln_get(b, id);
        if (!v)
                return vdb_oom(b);
        if (v->osv_owned) {
                int c = cmp_modified(modified, v->modified);
                /* Overlapping feeds given as different sources (GHSA records are in several OSV
                 * ecosystem exports) repeat ids as a matter of course: only a repetition within one
                 * source is worth a warning. */
                bool warn = v->osv_arg == b->cur_arg;
                b->fs.duplicates++;
                if (c < 0) {
                        if (warn)
                                vdb_warn(b, id, "duplicate of the newer record in %s, skipped", v->osv_file);
                        return 0;
                }
                if (warn)
                        vdb_warn(b, id, "duplicate of the record in %s, which it replaces (%s)", v->osv_file,
                                 c > 0 ? "newer" : "same date, read later");
                /* Drop what the older record said: its statements carry the old generation. */
                const char *keep_id = v->id;
                uint32_t gen = v->osv_gen + 1;
                bool kev = v->kev;
                const char *kev_date = v->kev_date;
                memset(v, 0, sizeof *v);
                v->id = keep_id;
                v->osv_gen = gen;
                v->kev = kev;
                v->kev_date = kev_date;
        }
        v->osv_owned = true;
        v->osv_seq = b->file_seq;
        v->osv_arg = b->cur_arg;
        v->osv_file = b->file;
        v->modified = modified ? arena_strdup(b->arena, modified) : NULL;
        const char *published = json_get_str(rec, "published");
        if (published && vdb_valid_date(published))
                v->published = arena_strdup(b->arena, published);

        const char **aliases = vdb_ids_dup(b, json_get_arr(rec, "aliases"));
        const char **upstream = vdb_ids_dup(b, json_get_arr(rec, "upstream"));
        const char **related = vdb_ids_dup(b, json_get_arr(rec, "related"));
        if ((r = vdb_strv_union(b, &v->aliases, aliases)) < 0 ||
            (r = vdb_strv_union(b, &v->upstream, upstream)) < 0 ||
            (r = vdb_strv_union(b, &v->related, related)) < 0)
                return r;

        const char *summary = json_get_str(rec, "summary");
        if (summary && *summary)
                v->summary = vdb_summary_dup(b->arena, summary, VDB_MAX_SUMMARY, false);
        else
                v->summary = vdb_summary_dup(b->arena, json_get_str(rec, "details"), VDB_MAX_SUMMARY, true);

        struct cvss_pick p = {0};
        const json_t *ds = json_get_obj(rec, "database_specific");
        if ((r = read_severity(b, id, json_get_arr(rec, "severity"), &p)) < 0)
                return r;
        read_database_specific(b, id, ds, &p);
        pick_cvss(&p, &v->cvss, &v->cvss_vector);
        if (p.word == SEV_UNKNOWN && v->summary)
                errata_rating(id, v->summary, &p);
        v->severity = p.word;
        v->severity_source = p.word_source;
        v->cwes = cwe_list(b, json_get_arr(ds, "cwe_ids"));

        size_t made = 0, i;
        json_t *aff;
        json_array_foreach(affected, i, aff) {
                if (!json_is_object(aff)) {
                        vdb_warn(b, id, "affected[%zu] is not an object, skipped", i);
                        continue;
                }
                if ((r = parse_affected(b, v, i, aff, &p, &made)) < 0)
                        return r;
        }
        return vdb_check(b);
}

/* One record's text (a file, or an element of an array file). */
static int parse_record_text(struct vdb_build *b, const char *data, size_t len) {
        char id[VDB_MAX_ID + 1];
        json_error_t err;

        if (len > b->max_record_bytes) {
                bool named = jscan_peek_string(data, data + len, "id", id, sizeof id) && vdb_valid_id(id);
                diag_warn(b->d, "%s: record '%s': too large (%zu bytes, limit %zu), skipped", b->file,
                          named ? id : "?", len, b->max_record_bytes);
                b->fs.skipped++;
                return 0;
        }
        json_t *rec = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
        if (!rec) {
                bool named = jscan_peek_string(data, data + len, "id", id, sizeof id) && vdb_valid_id(id);
                diag_warn(b->d, "%s: record '%s': not valid JSON (line %d, column %d: %s), skipped", b->file,
                          named ? id : "?", err.line, err.column, err.text);
                b->fs.skipped++;
                return 0;
        }
        int r = vdb_parse_osv_record(b, rec);
        json_decref(rec);
        return r;
}

static int element_cb(void *userdata, size_t index, const char *val, size_t len) {
        return parse_record_text(userdata, val, len);
}

int vdb_parse_osv_json(struct vdb_build *b, const char *data, size_t len) {
        const char *end = data + len, *p = jscan_skip_ws(data, end);
        struct jscan_error err = {0};

        b->fs.kind = VK_OSV;
        if (p < end && *p == '[') {
                /* The whole structure first: a truncated file is refused before any of it is used. */
                const char *q = jscan_skip_value(p, end, &err);
                if (!q || jscan_skip_ws(q, end) != end) {
                        diag_warn(b->d, "%s: not valid JSON at byte %zu (%s), skipped", b->file,
                                  q ? (size_t) (q - data) : (size_t) (p - data) + err.offset,
                                  q ? "trailing garbage" : err.what);
                        return -EBADMSG;
                }
                int r = jscan_array(p, end, element_cb, b, &err);
                if (r == -EBADMSG) {
                        diag_warn(b->d,
                                  "%s: not valid JSON at byte %zu (%s), the records after it are skipped",
                                  b->file, (size_t) (p - data) + err.offset, err.what);
                        b->fs.skipped++;
                        return -EBADMSG;
                }
                return r;
        }
        return parse_record_text(b, data, len);
}
