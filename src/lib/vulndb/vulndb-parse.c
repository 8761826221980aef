/* SPDX-License-Identifier: Apache-2.0 */
/* The build state the feed parsers fill, and the recognition of a feed from its content. */
#include <ctype.h>
#include <string.h>

#include "vulndb-internal.h"

int vdb_build_init(struct vdb_build *b, struct diag *d, size_t max_record_bytes, size_t max_file_bytes,
                   size_t max_memory) {
        memset(b, 0, sizeof *b);
        b->d = d;
        b->max_record_bytes = max_record_bytes ? max_record_bytes : 4 * MiB;
        b->max_file_bytes = max_file_bytes ? max_file_bytes : 512 * MiB;
        b->max_memory = max_memory ? max_memory : 4 * GiB;
        b->arena = arena_new(b->max_memory);
        b->vulns = hashmap_new();
        b->nvd = hashmap_new();
        b->kev = hashmap_new();
        b->strings = hashmap_new();
        b->warned = hashmap_new();
        b->file = "(input)";
        if (!b->arena || !b->vulns || !b->nvd || !b->kev || !b->strings || !b->warned) {
                vdb_build_done(b);
                return -ENOMEM;
        }
        return 0;
}

void vdb_build_done(struct vdb_build *b) {
        hashmap_free(b->vulns);
        hashmap_free(b->nvd);
        hashmap_free(b->kev);
        hashmap_free(b->strings);
        hashmap_free(b->warned);
        VEC_FREE(&b->stmts);
        arena_free(b->arena);
        memset(b, 0, sizeof *b);
}

int vdb_oom(struct vdb_build *b) {
        b->oom = true;
        if (arena_exhausted(b->arena))
                return diag_error(b->d, -E2BIG,
                                  "vulnerability feeds need more than the memory limit of %zu MiB "
                                  "(--max-memory)",
                                  b->max_memory / MiB);
        return diag_error(b->d, -ENOMEM, "out of memory while reading the vulnerability feeds");
}

int vdb_check(struct vdb_build *b) {
        return b->oom || arena_exhausted(b->arena) ? vdb_oom(b) : 0;
}

const char *vdb_intern(struct vdb_build *b, const char *s) {
        const char *v = hashmap_get(b->strings, s);
        if (v)
                return v;
        char *copy = arena_strdup(b->arena, s);
        if (!copy || hashmap_put(b->strings, copy, copy, NULL) < 0) {
                b->oom = true;
                return NULL;
        }
        return copy;
}

struct vdb_vuln *vdb_vuln_get(struct vdb_build *b, const char *id) {
        struct vdb_vuln *v = hashmap_get(b->vulns, id);
        if (v)
                return v;
        v = arena_alloc(b->arena, sizeof *v);
        if (!v || !(v->id = arena_strdup(b->arena, id)) || hashmap_put(b->vulns, v->id, v, NULL) < 0) {
                b->oom = true;
                return NULL;
        }
        return v;
}

struct vdb_stmt *vdb_stmt_new(struct vdb_build *b, struct vdb_vuln *v, enum vdb_kind kind) {
        struct vdb_stmt *s = VEC_NEW(&b->stmts);
        if (!s) {
                b->oom = true;
                return NULL;
        }
        s->vuln = v;
        s->gen = v->osv_gen;
        s->kind = kind;
        return s;
}

const char *vdb_ecosystem(struct vdb_build *b, const char *record_id, const char *eco) {
        char canon[VDB_MAX_ECOSYSTEM + 1];
        if (!vdb_valid_text(eco, VDB_MAX_ECOSYSTEM) || !*eco || isspace((unsigned char) eco[0])) {
                vdb_warn(b, record_id, "invalid ecosystem '%.64s', entry skipped", eco);
                return NULL;
        }
        if (!vulndb_canonical_ecosystem(eco, canon, sizeof canon))
                return NULL;
        /* the spelling lookups use (vulndb_canonical_ecosystem()) */
        size_t blen = strcspn(eco, ":");
        const char *base = vdb_ecosystem_base_canonical(eco, blen);
        if (!base) {
                char key[VDB_MAX_ECOSYSTEM + 16];
                snprintf(key, sizeof key, "ecosystem:%s", eco);
                if (!hashmap_contains(b->warned, key)) {
                        const char *k = arena_strdup(b->arena, key);
                        if (!k || hashmap_put(b->warned, k, (void *) k, NULL) < 0) {
                                b->oom = true;
                                return NULL;
                        }
                        vdb_warn(b, record_id, "unknown ecosystem '%s', kept as is (warned once)", eco);
                }
        }
        return vdb_intern(b, canon);
}

const char *vdb_package(struct vdb_build *b, const char *ecosystem, const char *name) {
        char norm[VDB_MAX_PACKAGE + 1];
        if (!name || !*name || !vdb_valid_text(name, VDB_MAX_PACKAGE) || isspace((unsigned char) name[0]))
                return NULL;
        if (!vulndb_normalize_package(ecosystem, name, norm, sizeof norm) || !*norm)
                return NULL;
        const char *r = arena_strdup(b->arena, norm);
        if (!r)
                b->oom = true;
        return r;
}

void vdb_note_date(struct vdb_build *b, const char *date) {
        if (!date || !vdb_valid_date(date))
                return;
        if (!b->fs.snapshot[0] || vdb_parse_time(date) > vdb_parse_time(b->fs.snapshot))
                snprintf(b->fs.snapshot, sizeof b->fs.snapshot, "%s", date);
}

void vdb_set_family(struct vdb_build *b, const char *ecosystem) {
        if (b->fs.family[0])
                return;
        snprintf(b->fs.family, sizeof b->fs.family, "%.*s", (int) strcspn(ecosystem, ":"), ecosystem);
}

const char **vdb_ids_dup(struct vdb_build *b, const json_t *arr) {
        size_t n = MIN(json_array_size(arr), (size_t) VDB_MAX_IDS), k = 0;
        if (n == 0)
                return NULL;
        const char **v = arena_alloc(b->arena, (n + 1) * sizeof *v);
        if (!v) {
                b->oom = true;
                return NULL;
        }
        for (size_t i = 0; i < n; i++) {
                const char *s = json_string_value(json_array_get(arr, i));
                if (!vdb_valid_id(s) || vdb_strv_contains(v, s))
                        continue;
                if (!(v[k++] = arena_strdup(b->arena, s))) {
                        b->oom = true;
                        return NULL;
                }
        }
        return k ? v : NULL;
}

int vdb_strv_union(struct vdb_build *b, const char ***v, const char *const *add) {
        size_t n = vdb_strv_len(*v), m = vdb_strv_len(add), k = n;
        if (m == 0)
                return 0;
        const char **nv = arena_alloc(b->arena, (n + m + 1) * sizeof *nv);
        if (!nv)
                return vdb_oom(b);
        for (size_t i = 0; i < n; i++)
                nv[i] = (*v)[i];
        for (size_t i = 0; i < m && k < VDB_MAX_IDS; i++) {
                if (vdb_strv_contains(nv, add[i]))
                        continue;
                if (!(nv[k++] = arena_strdup(b->arena, add[i])))
                        return vdb_oom(b);
        }
        *v = nv;
        return 0;
}

/* ---- recognizing a feed ---- */

enum {
        K_ID = 1 << 0,
        K_AFFECTED = 1 << 1,
        K_MODIFIED = 1 << 2,
        K_SCHEMA = 1 << 3,
        K_WITHDRAWN = 1 << 4,
        K_PUBLISHED = 1 << 5,
        K_VULNS = 1 << 6,
        K_CATALOG = 1 << 7,
        K_NVD = 1 << 8, /* format, resultsPerPage, totalResults, version */
        K_PACKAGES = 1 << 9,
        K_SECDB = 1 << 10, /* distroversion, reponame, urlprefix, apkurl */
};

struct sniff {
        unsigned keys;
        size_t members;
        const char *first_val; /* value of the first member */
        size_t first_len;
};

static unsigned key_flag(const char *k) {
        static const struct {
                const char *name;
                unsigned flag;
        } map[] = {
                {"id", K_ID},
                {"affected", K_AFFECTED},
                {"modified", K_MODIFIED},
                {"schema_version", K_SCHEMA},
                {"withdrawn", K_WITHDRAWN},
                {"published", K_PUBLISHED},
                {"vulnerabilities", K_VULNS},
                {"catalogVersion", K_CATALOG},
                {"format", K_NVD},
                {"resultsPerPage", K_NVD},
                {"totalResults", K_NVD},
                {"version", K_NVD},
                {"packages", K_PACKAGES},
                {"distroversion", K_SECDB},
                {"reponame", K_SECDB},
                {"urlprefix", K_SECDB},
                {"apkurl", K_SECDB},
        };
        for (size_t i = 0; i < ELEMENTSOF(map); i++)
                if (streq(map[i].name, k))
                        return map[i].flag;
        return 0;
}

static int sniff_cb(void *userdata, const char *key, const char *val, size_t len) {
        struct sniff *s = userdata;
        if (s->members++ == 0) {
                s->first_val = val;
                s->first_len = len;
        }
        s->keys |= key_flag(key);
        return 0;
}

static int first_key_cb(void *userdata, const char *key, const char *val, size_t len) {
        snprintf(userdata, 16, "%s", key);
        return 1;
}

/* The Debian tracker's values are objects keyed by CVE-/TEMP- ids. */
static bool looks_debian(const struct sniff *s) {
        char key[16] = "";
        if (s->members == 0 || s->first_len == 0 || s->first_val[0] != '{')
                return false;
        (void) jscan_object(s->first_val, s->first_val + s->first_len, first_key_cb, key, NULL);
        return strneq(key, "CVE-", 4) || strneq(key, "TEMP-", 5) || (key[0] == 0 && s->first_len <= 2);
}

static enum vdb_kind classify(unsigned k) {
        if ((k & K_ID) && (k & (K_AFFECTED | K_MODIFIED | K_SCHEMA | K_WITHDRAWN | K_PUBLISHED)))
                return VK_OSV;
        /* an OSV record that lost its id: the parser says so, naming the file */
        if ((k & K_AFFECTED) && (k & (K_MODIFIED | K_SCHEMA | K_PUBLISHED)))
                return VK_OSV;
        if ((k & K_CATALOG) && (k & K_VULNS))
                return VK_KEV;
        if ((k & K_VULNS) && (k & K_NVD))
                return VK_NVD;
        if ((k & K_PACKAGES) && (k & K_SECDB))
                return VK_SECDB;
        return VK_UNKNOWN;
}

/* For naming a YAML record whose text does not parse: its "id:" line. */
static bool yaml_peek_id(const char *data, size_t len, char *out, size_t size) {
        const char *end = data + len;
        for (const char *p = data; p < end;) {
                const char *nl = memchr(p, '\n', (size_t) (end - p));
                const char *le = nl ? nl : end;
                if (le - p > 4 && memcmp(p, "id:", 3) == 0) {
                        const char *v = p + 3;
                        while (v < le && (*v == ' ' || *v == '"' || *v == '\''))
                                v++;
                        size_t n = 0;
                        while (v + n < le && n + 1 < size && !strchr(" \"'\r", v[n]))
                                n++;
                        memcpy(out, v, n);
                        out[n] = 0;
                        return vdb_valid_id(out);
                }
                p = nl ? nl + 1 : end;
        }
        return false;
}

int vdb_parse_yaml(struct vdb_build *b, const char *data, size_t len) {
        char err[256], id[VDB_MAX_ID + 1];
        json_t *doc = NULL;
        /* YAML documents are records (OSV) or whole secdb files: a larger cap than one JSON record. */
        size_t cap = MAX(b->max_record_bytes, (size_t) 8 * b->max_record_bytes);
        int r = vdb_yaml_to_json(data, len, cap, &doc, err, sizeof err);
        if (r == -ENOMEM)
                return vdb_oom(b);
        if (r < 0) {
                bool named = yaml_peek_id(data, len, id, sizeof id);
                diag_warn(b->d, "%s: record '%s': not valid YAML (%s), skipped", b->file, named ? id : "?",
                          err);
                b->fs.skipped++;
                return -EBADMSG;
        }
        if (json_is_object(doc) && json_object_get(doc, "id"))
                r = vdb_parse_osv_record(b, doc);
        else if (json_is_object(doc) && json_object_get(doc, "packages"))
                r = vdb_parse_secdb_value(b, doc);
        else {
                diag_warn(b->d, "%s: a YAML document that is neither an OSV record nor a secdb, skipped",
                          b->file);
                r = -EBADMSG;
        }
        json_decref(doc);
        return r;
}

int vdb_parse_file(struct vdb_build *b, const char *data, size_t len) {
        const char *end = data + len;
        struct jscan_error err = {0};

        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                data += 3, len -= 3;
        const char *p = jscan_skip_ws(data, end);
        if (p == end) {
                diag_warn(b->d, "%s: empty file, skipped", b->file);
                return -EBADMSG;
        }
        if (*p == '[')
                return vdb_parse_osv_json(b, data, len);
        if (*p != '{')
                return vdb_parse_yaml(b, data, len);

        /* One pass over the top level checks the whole structure (a truncated feed is refused before
         * anything of it is used) and sees which members there are. */
        struct sniff s = {0};
        if (jscan_object(data, end, sniff_cb, &s, &err) < 0) {
                char id[VDB_MAX_ID + 1];
                bool named = jscan_peek_string(data, end, "id", id, sizeof id) && vdb_valid_id(id);
                json_error_t jerr;
                json_t *j = len <= b->max_record_bytes ? json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr)
                                                       : NULL;
                bool small = len <= b->max_record_bytes && !j;
                json_decref(j);
                if (named)
                        b->fs.skipped++; /* a record is lost, not only a file */
                if (small)               /* jansson says where in lines and columns */
                        diag_warn(b->d, "%s: %s%s%snot valid JSON (line %d, column %d: %s), skipped",
                                  b->file, named ? "record '" : "", named ? id : "", named ? "': " : "",
                                  jerr.line, jerr.column, jerr.text);
                else
                        diag_warn(b->d, "%s: %s%s%snot valid JSON at byte %zu (%s), skipped", b->file,
                                  named ? "record '" : "", named ? id : "", named ? "': " : "", err.offset,
                                  err.what);
                return -EBADMSG;
        }
        switch (classify(s.keys)) {
        case VK_OSV: return vdb_parse_osv_json(b, data, len);
        case VK_KEV: return vdb_parse_kev(b, data, len);
        case VK_NVD: return vdb_parse_nvd(b, data, len);
        case VK_SECDB: return vdb_parse_secdb_json(b, data, len);
        default: break;
        }
        if (looks_debian(&s))
                return vdb_parse_debian(b, data, len);
        diag_warn(b->d,
                  "%s: not a feed this builder knows (OSV, Debian tracker, secdb, NVD 2.0, KEV), skipped",
                  b->file);
        return -EBADMSG;
}
