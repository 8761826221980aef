/* SPDX-License-Identifier: Apache-2.0 */
#include <ftw.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "cache/cache.h"
#include "hashmap.h"
#include "inventory/inventory.h"
#include "misconfig/misconfig.h"
#include "scan.h"
#include "secrets/secrets.h"
#include "view/view.h"
#include "vulndb/vulndb.h"

#define CACHE_MAX_BYTES (2 * GiB)
#define MAX_THREADS 8

void scan_options_default(struct scan_options *o) {
        *o = (struct scan_options){ .secrets = true, .misconfig = true, .vulns = true };
        layer_limits_default(&o->limits);
}

struct scan_state {
        const struct scan_options *o;
        struct diag *d;
        struct image_source *src;
        struct secrets_engine *secrets;
        struct layer_cache *cache;
        struct layer_options lopts;
        char tmpdir[4096];
        pthread_mutex_t lock;

        struct layer_result **results; /* per image layer; duplicates share one pointer */
        size_t n;
        size_t *work;                  /* indices of layers to read */
        size_t n_work;
        atomic_size_t next;
        atomic_bool failed;
};

/* ---- progress, serialized for the front end ---- */

static void on_layer_bytes(void *userdata, int index, uint64_t stored, uint64_t tar) {
        struct scan_state *s = userdata;
        const struct scan_progress *p = s->o->progress;
        if (!p || !p->layer_bytes)
                return;
        pthread_mutex_lock(&s->lock);
        p->layer_bytes(p->userdata, index, stored, tar);
        pthread_mutex_unlock(&s->lock);
}

static void progress_begin(struct scan_state *s, int index, const char *diff_id, uint64_t size) {
        const struct scan_progress *p = s->o->progress;
        if (!p || !p->layer_begin)
                return;
        pthread_mutex_lock(&s->lock);
        p->layer_begin(p->userdata, index, (int) s->n, diff_id, size);
        pthread_mutex_unlock(&s->lock);
}

static void progress_end(struct scan_state *s, int index, bool cached) {
        const struct scan_progress *p = s->o->progress;
        if (!p || !p->layer_end)
                return;
        pthread_mutex_lock(&s->lock);
        p->layer_end(p->userdata, index, cached);
        pthread_mutex_unlock(&s->lock);
}

/* ---- private temporary area ---- */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void) st;
        (void) flag;
        (void) ftw;
        remove(path);
        return 0;
}

static int make_tmpdir(struct scan_state *s) {
        const char *base = getenv("TMPDIR");
        if (!base || base[0] != '/')
                base = "/tmp";
        snprintf(s->tmpdir, sizeof s->tmpdir, "%s/stockade-XXXXXX", base);
        if (!mkdtemp(s->tmpdir)) {
                int r = negative_errno();
                s->tmpdir[0] = 0;
                return diag_error(s->d, r, "cannot create a temporary directory in '%s': %s", base, strerror(-r));
        }
        return 0;
}

static void remove_tmpdir(struct scan_state *s) {
        if (s->tmpdir[0])
                nftw(s->tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        s->tmpdir[0] = 0;
}

/* ---- layers ---- */

static const char *layer_label(struct scan_state *s, size_t i, char *buf, size_t n) {
        const struct image_layer *l = &s->src->image.layers[i];
        snprintf(buf, n, "#%zu %.19s", i, l->diff_id[0] ? l->diff_id : l->digest);
        return buf;
}

static void *worker(void *userdata) {
        struct scan_state *s = userdata;
        for (;;) {
                size_t w = atomic_fetch_add(&s->next, 1);
                if (w >= s->n_work || atomic_load(&s->failed))
                        break;
                size_t i = s->work[w];
                const struct image_layer *l = &s->src->image.layers[i];
                char label[64];
                struct byte_source bs;
                void *h = NULL;

                progress_begin(s, (int) i, l->diff_id, l->size);
                int r = s->src->ops->open_layer(s->src, i, &bs, &h);
                if (r >= 0) {
                        struct layer_expect e = {
                                .index = (int) i,
                                .digest = l->digest,
                                .diff_id = l->diff_id,
                                .name = layer_label(s, i, label, sizeof label),
                        };
                        r = layer_analyze_blob(&bs, &e, &s->lopts, s->d, &s->results[i]);
                        s->src->ops->close_layer(s->src, h);
                }
                if (r < 0) {
                        if (!diag_has_error(s->d))
                                diag_error(s->d, r, "cannot read layer %s: %s", layer_label(s, i, label, sizeof label),
                                           strerror(-r));
                        atomic_store(&s->failed, true);
                        break;
                }
                progress_end(s, (int) i, false);
        }
        return NULL;
}

static unsigned pick_threads(const struct scan_options *o, size_t work) {
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        unsigned t = o->threads ? o->threads : (unsigned) (cpus > 0 ? cpus : 1);
        t = MIN(t, (unsigned) MAX_THREADS);
        return (unsigned) MIN((size_t) t, MAX(work, (size_t) 1));
}

static char *cache_key(struct scan_state *s, const char *diff_id) {
        char *k = NULL;
        if (layer_cache_key(diff_id, s->secrets ? secrets_engine_digest(s->secrets) : NULL, &k) < 0)
                return NULL;
        return k;
}

/* Looks every layer up in the cache; layers sharing a diff_id share one result. Fills s->work with the
 * layers still to read. */
static int lookup_cached(struct scan_state *s) {
        const struct image *img = &s->src->image;
        s->work = calloc(MAX(img->n_layers, (size_t) 1), sizeof *s->work);
        if (!s->work)
                return -ENOMEM;
        for (size_t i = 0; i < img->n_layers; i++) {
                const char *id = img->layers[i].diff_id;
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        if (streq(img->layers[j].diff_id, id)) {
                                dup = true;
                                break;
                        }
                if (dup)
                        continue;
                if (s->cache) {
                        _cleanup_free_ char *k = cache_key(s, id);
                        if (!k)
                                return -ENOMEM;
                        struct layer_result *res = NULL;
                        int r = layer_cache_get(s->cache, k, &res);
                        if (r < 0)
                                return r;
                        if (r > 0) {
                                s->results[i] = res;
                                progress_begin(s, (int) i, id, img->layers[i].size);
                                progress_end(s, (int) i, true);
                                continue;
                        }
                }
                s->work[s->n_work++] = i;
        }
        return 0;
}

static void share_duplicates(struct scan_state *s) {
        const struct image *img = &s->src->image;
        for (size_t i = 0; i < img->n_layers; i++) {
                if (s->results[i])
                        continue;
                for (size_t j = 0; j < i; j++)
                        if (streq(img->layers[j].diff_id, img->layers[i].diff_id)) {
                                s->results[i] = s->results[j];
                                break;
                        }
        }
}

static void store_in_cache(struct scan_state *s) {
        if (!s->cache)
                return;
        for (size_t w = 0; w < s->n_work; w++) {
                struct layer_result *r = s->results[s->work[w]];
                if (!r || r->from_cache)
                        continue;
                _cleanup_free_ char *k = cache_key(s, r->diff_id);
                if (!k || layer_cache_put(s->cache, k, r) < 0) {
                        diag_warn(s->d, "could not store layer %.19s in the cache", r->diff_id);
                        return;
                }
        }
        (void) layer_cache_trim(s->cache, CACHE_MAX_BYTES);
}

static int read_random_access(struct scan_state *s) {
        int r = lookup_cached(s);
        if (r < 0)
                return r;
        unsigned nt = pick_threads(s->o, s->n_work);
        pthread_t th[MAX_THREADS];
        unsigned started = 0;
        if (s->n_work > 0) {
                if (nt <= 1)
                        worker(s);
                else {
                        for (; started < nt; started++)
                                if (pthread_create(&th[started], NULL, worker, s) != 0)
                                        break;
                        if (started == 0)
                                worker(s);
                        for (unsigned t = 0; t < started; t++)
                                pthread_join(th[t], NULL);
                }
        }
        if (atomic_load(&s->failed))
                return -EIO;
        share_duplicates(s);
        store_in_cache(s);
        return 0;
}

/* Stream sources: analyze each blob as it passes, map them to layers once the manifest is known. */
struct streamed {
        const char *member;
        struct layer_result *res;
        char error[1024];
        int err;
};

struct stream_ctx {
        struct scan_state *s;
        VEC(struct streamed) blobs;
        int count;
};

static int on_blob(void *userdata, const char *member, const struct byte_source *src) {
        struct stream_ctx *c = userdata;
        struct scan_state *s = c->s;
        struct streamed *b = VEC_NEW(&c->blobs);
        if (!b)
                return -ENOMEM;
        b->member = strdup(member);
        if (!b->member)
                return -ENOMEM;
        /* Errors of a blob only matter if it turns out to be a layer of the image: keep them aside. */
        struct diag local;
        diag_init(&local);
        struct layer_expect e = { .index = c->count, .name = member };
        progress_begin(s, c->count, member, 0);
        int r = layer_analyze_blob(src, &e, &s->lopts, &local, &b->res);
        if (r < 0) {
                b->err = r;
                snprintf(b->error, sizeof b->error, "%s", local.error[0] ? local.error : strerror(-r));
        } else
                progress_end(s, c->count, false);
        for (size_t i = 0; i < local.n_warnings; i++)
                diag_warn(s->d, "%s", local.warnings[i]);
        diag_done(&local);
        c->count++;
        return r == -ENOMEM ? r : 0;
}

static int read_stream(struct scan_state *s) {
        struct stream_ctx c = { .s = s };
        const struct image *img = &s->src->image;
        int r;

        /* Engines describe the image before exporting it: when every layer is cached, skip the export. */
        if (img->n_layers > 0) {
                s->n = img->n_layers;
                free(s->results);
                s->results = calloc(s->n, sizeof *s->results);
                if (!s->results)
                        return -ENOMEM;
                r = lookup_cached(s);
                if (r < 0)
                        return r;
                if (s->n_work == 0) {
                        share_duplicates(s);
                        return 0;
                }
                for (size_t i = 0; i < s->n; i++)
                        if (s->results[i]) {
                                bool dup = false;
                                for (size_t j = 0; j < i; j++)
                                        dup |= s->results[j] == s->results[i];
                                if (!dup)
                                        layer_result_free(s->results[i]);
                                s->results[i] = NULL;
                        }
                free(s->work);
                s->work = NULL;
                s->n_work = 0;
        }

        r = s->src->ops->stream(s->src, on_blob, &c);
        if (r < 0)
                goto out;

        s->n = img->n_layers;
        free(s->results);
        s->results = calloc(MAX(s->n, (size_t) 1), sizeof *s->results);
        free(s->work);
        s->work = calloc(MAX(s->n, (size_t) 1), sizeof *s->work);
        if (!s->results || !s->work) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < s->n; i++) {
                const struct image_layer *l = &img->layers[i];
                struct streamed *hit = NULL;
                VEC_FOREACH(b, &c.blobs)
                        if (l->member && streq(b->member, l->member)) {
                                hit = b;
                                break;
                        }
                if (!hit)
                        VEC_FOREACH(b, &c.blobs)
                                if (b->res && streq(b->res->diff_id, l->diff_id)) {
                                        hit = b;
                                        break;
                                }
                if (!hit) {
                        r = diag_error(s->d, -EBADMSG, "image '%s' is missing layer %zu (%s)", img->name, i, l->diff_id);
                        goto out;
                }
                if (hit->err) {
                        r = diag_error(s->d, hit->err, "%s", hit->error);
                        goto out;
                }
                if (!streq(hit->res->diff_id, l->diff_id)) {
                        r = diag_error(s->d, -EBADMSG, "layer %zu ('%s') is corrupt: diff_id is %s, expected %s", i,
                                       hit->member, hit->res->diff_id, l->diff_id);
                        goto out;
                }
                if (l->digest[0] && !streq(hit->res->digest, l->digest)) {
                        r = diag_error(s->d, -EBADMSG, "layer %zu ('%s') is corrupt: digest is %s, expected %s", i,
                                       hit->member, hit->res->digest, l->digest);
                        goto out;
                }
                s->results[i] = hit->res;
                bool first = true;
                for (size_t j = 0; j < i; j++)
                        first &= s->results[j] != hit->res;
                if (first)
                        s->work[s->n_work++] = i;
        }
        /* Ownership moved to s->results; blobs that were not layers are dropped below. */
        VEC_FOREACH(b, &c.blobs) {
                bool used = false;
                for (size_t i = 0; i < s->n; i++)
                        used |= s->results[i] == b->res;
                if (used)
                        b->res = NULL;
        }
        store_in_cache(s);
        r = 0;
out:
        VEC_FOREACH(b, &c.blobs) {
                free((char *) b->member);
                layer_result_free(b->res);
        }
        VEC_FREE(&c.blobs);
        return r;
}

/* ---- secrets in the image configuration ---- */

struct cfg_sink {
        struct scan_result *res;
        const char *field;
};

static int on_config_secret(void *userdata, const struct secret_match *m) {
        struct cfg_sink *k = userdata;
        struct arena *a = k->res->arena;
        struct secret_finding *f = VEC_NEW(&k->res->secrets);
        if (!f)
                return -ENOMEM;
        *f = (struct secret_finding){
                .rule_id = arena_strdup(a, m->rule_id),
                .title = arena_strdup(a, m->title),
                .category = arena_strdup(a, m->category),
                .severity = m->severity,
                .where = LOC_CONFIG,
                .path = arena_strdup(a, k->field),
                .line = m->line,
                .offset = m->offset,
                .excerpt = arena_strdup(a, m->excerpt),
                .layer = -1,
        };
        return f->rule_id && f->path && f->excerpt ? 0 : -ENOMEM;
}

static int scan_string(struct scan_state *s, struct secrets_scratch *sc, struct scan_result *res, const char *field,
                       const char *text) {
        struct cfg_sink k = { res, field };
        if (!text || !text[0])
                return 0;
        int r = secrets_scan(s->secrets, sc, text, strlen(text), on_config_secret, &k);
        return r < 0 ? r : 0;
}

static char *join(const char **v) {
        size_t n = 0;
        for (const char **p = v; p && *p; p++)
                n += strlen(*p) + 1;
        char *out = malloc(n + 1), *q = out;
        if (!out)
                return NULL;
        *q = 0;
        for (const char **p = v; p && *p; p++)
                q = stpcpy(stpcpy(q, p == v ? "" : " "), *p);
        return out;
}

static int scan_config_secrets(struct scan_state *s, struct scan_result *res) {
        const struct image_config *c = &s->src->image.config;
        _cleanup_(secrets_scratch_freep) struct secrets_scratch *sc = NULL;
        char field[64];
        int r = secrets_scratch_new(s->secrets, &sc);
        if (r < 0)
                return r;
        for (size_t i = 0; c->env && c->env[i]; i++) {
                snprintf(field, sizeof field, "config.Env[%zu]", i);
                if ((r = scan_string(s, sc, res, field, c->env[i])) < 0)
                        return r;
        }
        _cleanup_free_ char *cmd = join(c->cmd), *ep = join(c->entrypoint);
        if (!cmd || !ep)
                return -ENOMEM;
        if ((r = scan_string(s, sc, res, "config.Cmd", cmd)) < 0 ||
            (r = scan_string(s, sc, res, "config.Entrypoint", ep)) < 0)
                return r;
        for (size_t i = 0; i < c->n_labels; i++) {
                _cleanup_free_ char *kv = NULL;
                if (asprintf(&kv, "%s=%s", c->labels[i].key, c->labels[i].value ? c->labels[i].value : "") < 0)
                        return -ENOMEM;
                snprintf(field, sizeof field, "config.Labels[%zu]", i);
                if ((r = scan_string(s, sc, res, field, kv)) < 0)
                        return r;
        }
        for (size_t i = 0; i < c->n_history; i++) {
                snprintf(field, sizeof field, "history[%zu].created_by", i);
                if ((r = scan_string(s, sc, res, field, c->history[i].created_by)) < 0)
                        return r;
        }
        return 0;
}

static int cmp_secret(const void *a, const void *b) {
        return secret_compare(a, b);
}

/* ---- finished results, cached per image ---- */

static char *result_key(struct scan_state *s) {
        const struct image *img = &s->src->image;
        char *k = NULL;
        if (!img->id || img->rootfs_dir)
                return NULL;
        if (asprintf(&k, "image|%s|a%d|%s|%s%s", img->id, LAYER_ANALYSIS_VERSION,
                     s->secrets ? secrets_engine_digest(s->secrets) : "-", s->o->secrets ? "s" : "",
                     s->o->misconfig ? "m" : "") < 0)
                return NULL;
        return k;
}

/* Fills res from a cached snapshot: 1 on a hit, 0 on a miss. */
static int load_result(struct scan_state *s, struct scan_result *res, const char *key) {
        struct result_snapshot sn;
        int r = layer_cache_get_result(s->cache, key, res->arena, &sn);
        if (r <= 0)
                return r;
        const struct image *img = &s->src->image;
        res->os = sn.os;
        res->pkgs = sn.pkgs;
        res->secrets = sn.secrets;
        res->misconfigs = sn.misconfigs;
        res->n_files = sn.n_files;
        res->secrets_scanned = sn.secrets_scanned;
        res->misconfig_scanned = sn.misconfig_scanned;
        res->n_layers = sn.n_layers;
        res->layers = arena_alloc(res->arena, MAX(sn.n_layers, (size_t) 1) * sizeof *res->layers);
        if (!res->layers)
                return -ENOMEM;
        for (size_t i = 0; i < sn.n_layers; i++) {
                struct scan_layer *l = &res->layers[i];
                l->index = (int) i;
                memcpy(l->digest, sn.layers[i].digest, sizeof l->digest);
                memcpy(l->diff_id, sn.layers[i].diff_id, sizeof l->diff_id);
                l->bytes_stored = sn.layers[i].bytes_stored;
                l->bytes_tar = sn.layers[i].bytes_tar;
                l->n_files = sn.layers[i].n_files;
                l->from_cache = true;
                if (i < img->n_layers)
                        l->created_by = img->layers[i].created_by;
        }
        for (const char **w = sn.warnings; w && *w; w++)
                diag_warn(s->d, "%s", *w);
        return 1;
}

static void store_result(struct scan_state *s, const struct scan_result *res, const char *key) {
        struct result_snapshot sn = {
                .os = res->os,
                .pkgs = res->pkgs,
                .secrets = res->secrets,
                .misconfigs = res->misconfigs,
                .n_files = res->n_files,
                .n_layers = res->n_layers,
                .secrets_scanned = res->secrets_scanned,
                .misconfig_scanned = res->misconfig_scanned,
        };
        _cleanup_free_ struct snapshot_layer *layers = calloc(MAX(res->n_layers, (size_t) 1), sizeof *layers);
        _cleanup_free_ const char **warnings = NULL;
        if (!layers)
                return;
        for (size_t i = 0; i < res->n_layers; i++) {
                memcpy(layers[i].digest, res->layers[i].digest, sizeof layers[i].digest);
                memcpy(layers[i].diff_id, res->layers[i].diff_id, sizeof layers[i].diff_id);
                layers[i].bytes_stored = res->layers[i].bytes_stored;
                layers[i].bytes_tar = res->layers[i].bytes_tar;
                layers[i].n_files = res->layers[i].n_files;
        }
        sn.layers = layers;
        pthread_mutex_lock(&s->d->lock);
        warnings = calloc(s->d->n_warnings + 1, sizeof *warnings);
        for (size_t i = 0; warnings && i < s->d->n_warnings; i++)
                warnings[i] = s->d->warnings[i];
        pthread_mutex_unlock(&s->d->lock);
        sn.warnings = warnings;
        if (layer_cache_put_result(s->cache, key, &sn) < 0)
                diag_warn(s->d, "could not store the scan result of %.19s in the cache", s->src->image.id);
}

/* ---- vulnerabilities ---- */

static int scan_vulns(const struct scan_options *o, struct diag *d, struct scan_result *res) {
        _cleanup_free_ char *def = NULL;
        const char *path = o->vulndb_path;
        if (!path) {
                def = vulndb_default_path();
                if (!def)
                        return -ENOMEM;
                path = def;
        }
        _cleanup_(vulndb_closep) struct vulndb *db = NULL;
        int r = vulndb_open(path, d, &db);
        if (r < 0)
                return r;
        struct arena *a = res->arena;
        struct vulndb_info info;
        if (vulndb_get_info(db, a, &info) >= 0)
                res->vulndb_built_at = info.built_at;
        res->vulndb_path = arena_strdup(a, path);
        r = match_packages(db, &res->pkgs, &res->os, a, d, &res->vulns, &res->match_stats);
        if (r < 0)
                return r;
        if (o->exceptions) {
                /* VEX products that are images are checked against this image's digests */
                const struct image *img = res->image;
                size_t n = 0;
                for (const char **rd = img->repo_digests; rd && *rd; rd++)
                        n++;
                const char **digests = arena_alloc(a, (n + 3) * sizeof *digests);
                if (!digests)
                        return -ENOMEM;
                n = 0;
                if (img->id)
                        digests[n++] = img->id;
                if (img->manifest_digest)
                        digests[n++] = img->manifest_digest;
                for (const char **rd = img->repo_digests; rd && *rd; rd++)
                        digests[n++] = *rd;
                struct match_exceptions x = *o->exceptions;
                x.image_digests = digests;
                r = match_apply_exceptions(&x, &res->vulns, a, d);
                if (r < 0)
                        return r;
                res->exceptions = o->exceptions;
        }
        res->vulns_scanned = true;
        return 0;
}

/* ---- SBOM targets ---- */

static int cmp_pkg(const void *a, const void *b) {
        return pkg_compare(a, b);
}

static int scan_sbom(const char *target, const struct scan_options *o, struct diag *d, struct scan_result **ret) {
        _cleanup_(scan_result_freep) struct scan_result *res = calloc(1, sizeof *res);
        const char *path = target + strlen("sbom:");
        int r;

        if (!res || !(res->arena = arena_new(0)))
                return -ENOMEM;
        if (!*path)
                return diag_error(d, -EINVAL, "target 'sbom:' names no file");
        struct arena *a = res->arena;
        r = sbomin_read(path, o->sbom_limits, a, d, &res->sbom, &res->pkgs);
        if (r < 0)
                return r;
        /* The same package listed twice (nested and top-level, two SBOM tools merged) is one package. */
        qsort_safe(res->pkgs.items, res->pkgs.n, sizeof *res->pkgs.items, cmp_pkg);
        size_t k = 0;
        for (size_t i = 0; i < res->pkgs.n; i++)
                if (k == 0 || pkg_compare(&res->pkgs.items[k - 1], &res->pkgs.items[i]) != 0)
                        res->pkgs.items[k++] = res->pkgs.items[i];
        res->pkgs.n = k;

        struct image *img = arena_alloc(a, sizeof *img);
        const char **none = arena_alloc(a, sizeof *none);
        res->layers = arena_alloc(a, sizeof *res->layers);
        if (!img || !none || !res->layers)
                return -ENOMEM;
        img->target = arena_strdup(a, target);
        img->source_kind = "sbom";
        img->name = res->sbom.subject_name && *res->sbom.subject_name ? res->sbom.subject_name : img->target;
        img->repo_tags = img->repo_digests = none;
        if (!img->target)
                return -ENOMEM;
        res->image = img;
        res->os = res->sbom.os;
        res->from_sbom = true;
        if (o->vulns && (r = scan_vulns(o, d, res)) < 0)
                return r;
        *ret = TAKE_PTR(res);
        return 0;
}

/* ---- the whole ---- */

void scan_result_free(struct scan_result *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n_layer_results; i++) {
                bool dup = false;
                for (size_t j = 0; j < i; j++)
                        dup |= r->layer_results[j] == r->layer_results[i];
                if (!dup)
                        layer_result_free(r->layer_results[i]);
        }
        free(r->layer_results);
        view_free(r->view);
        VEC_FREE(&r->pkgs);
        VEC_FREE(&r->secrets);
        VEC_FREE(&r->misconfigs);
        VEC_FREE(&r->vulns);
        image_source_free(r->source);
        arena_free(r->arena);
        free(r);
}

int scan_run(const char *target, const struct scan_options *o, struct diag *d, struct scan_result **ret) {
        struct scan_state s = { .o = o, .d = d };
        _cleanup_free_ char *rkey = NULL; /* the finished result's cache key */
        _cleanup_(scan_result_freep) struct scan_result *res = NULL;
        int r;

        if (strneq(target, "sbom:", 5)) {
                r = scan_sbom(target, o, d, ret);
                if (r < 0 && !diag_has_error(d))
                        diag_error(d, r, "scan of '%s' failed: %s", target, strerror(-r));
                return r;
        }

        pthread_mutex_init(&s.lock, NULL);
        res = calloc(1, sizeof *res);
        if (!res || !(res->arena = arena_new(0))) {
                r = -ENOMEM;
                goto out;
        }
        r = make_tmpdir(&s);
        if (r < 0)
                goto out;
        s.lopts = (struct layer_options){
                .limits = o->limits,
                .tmpdir = s.tmpdir,
                .progress = on_layer_bytes,
                .progress_userdata = &s,
        };
        if (o->secrets) {
                _cleanup_free_ char *dir = o->no_cache ? NULL : o->cache_dir ? strdup(o->cache_dir) : cache_dir_default();
                r = secrets_engine_load_cached(o->secret_rules, dir, d, &s.secrets);
                if (r < 0)
                        goto out;
                s.lopts.secrets = s.secrets;
        }

        struct image_source_options so = o->source;
        so.tmpdir = s.tmpdir;
        r = image_source_open(target, &so, d, &s.src);
        if (r < 0)
                goto out;
        res->source = s.src;
        res->image = &s.src->image;

        if (!o->no_cache && !s.src->image.rootfs_dir) {
                r = layer_cache_open(o->cache_dir, d, &s.cache);
                if (r < 0) {
                        /* A broken cache must not stop a scan. */
                        diag_warn(d, "layer cache unavailable (%s); reading every layer",
                                  d->error[0] ? d->error : strerror(-r));
                        pthread_mutex_lock(&d->lock);
                        d->error[0] = 0;
                        pthread_mutex_unlock(&d->lock);
                        s.cache = NULL;
                }
        }

        rkey = s.cache ? result_key(&s) : NULL;
        if (rkey) {
                r = load_result(&s, res, rkey);
                if (r < 0)
                        goto out;
                if (r > 0) {
                        if (o->vulns) {
                                r = scan_vulns(o, d, res);
                                if (r < 0)
                                        goto out;
                        }
                        s.src = NULL; /* owned by res */
                        *ret = TAKE_PTR(res);
                        r = 0;
                        goto out;
                }
        }

        if (s.src->image.rootfs_dir) {
                s.n = 1;
                s.results = calloc(1, sizeof *s.results);
                if (!s.results) {
                        r = -ENOMEM;
                        goto out;
                }
                progress_begin(&s, 0, s.src->image.rootfs_dir, 0);
                r = layer_analyze_dir(s.src->image.rootfs_dir, &s.lopts, d, &s.results[0]);
                if (r < 0)
                        goto out;
                progress_end(&s, 0, false);
        } else if (image_source_is_random_access(s.src)) {
                s.n = s.src->image.n_layers;
                s.results = calloc(MAX(s.n, (size_t) 1), sizeof *s.results);
                if (!s.results) {
                        r = -ENOMEM;
                        goto out;
                }
                r = read_random_access(&s);
                if (r < 0)
                        goto out;
        } else {
                r = read_stream(&s);
                if (r < 0)
                        goto out;
        }
        res->layer_results = TAKE_PTR(s.results);
        res->n_layer_results = s.n;

        /* Layer summaries */
        res->n_layers = s.n;
        res->layers = arena_alloc(res->arena, MAX(s.n, (size_t) 1) * sizeof *res->layers);
        if (!res->layers) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < s.n; i++) {
                const struct layer_result *L = res->layer_results[i];
                struct scan_layer *sl = &res->layers[i];
                sl->index = (int) i;
                memcpy(sl->diff_id, L->diff_id, sizeof sl->diff_id);
                memcpy(sl->digest, L->digest, sizeof sl->digest);
                if (i < s.src->image.n_layers) {
                        const struct image_layer *il = &s.src->image.layers[i];
                        if (il->digest[0])
                                memcpy(sl->digest, il->digest, sizeof sl->digest);
                        sl->created_by = il->created_by;
                }
                sl->bytes_stored = L->bytes_stored;
                sl->bytes_tar = L->bytes_tar;
                sl->n_files = L->files.n;
                sl->from_cache = L->from_cache;
                for (size_t w = 0; w < L->warnings.n; w++)
                        diag_warn(d, "layer %zu: %s", i, L->warnings.items[w]);
        }

        r = view_build(res->layer_results, res->n_layer_results, d, &res->view);
        if (r < 0)
                goto out;
        res->n_files = view_size(res->view);

        r = inventory_finish(res->layer_results, res->n_layer_results, res->view, res->arena, d, &res->os, &res->pkgs);
        if (r < 0)
                goto out;

        if (s.secrets) {
                res->secrets_scanned = true;
                for (size_t li = 0; li < res->n_layer_results; li++) {
                        bool dup = false;
                        for (size_t j = 0; j < li; j++)
                                dup |= res->layer_results[j] == res->layer_results[li];
                        if (dup)
                                continue;
                        VEC_FOREACH(f, &res->layer_results[li]->secrets) {
                                struct secret_finding *g = VEC_NEW(&res->secrets);
                                if (!g) {
                                        r = -ENOMEM;
                                        goto out;
                                }
                                *g = *f;
                                g->layer = (int) li;
                                g->state = view_file_state(res->view, f->path, (int) li);
                        }
                }
                if (!s.src->image.rootfs_dir) {
                        r = scan_config_secrets(&s, res);
                        if (r < 0)
                                goto out;
                }
                qsort_safe(res->secrets.items, res->secrets.n, sizeof *res->secrets.items, cmp_secret);
        }

        if (o->misconfig) {
                struct misconfig_input mi = {
                        .image = s.src->image.rootfs_dir ? NULL : &s.src->image,
                        .view = res->view,
                        .layers = res->layer_results,
                        .n_layers = res->n_layer_results,
                        .pkgs = &res->pkgs,
                        .secrets = &res->secrets,
                };
                r = misconfig_check(&mi, res->arena, &res->misconfigs);
                if (r < 0)
                        goto out;
                res->misconfig_scanned = true;
        }
        if (rkey)
                store_result(&s, res, rkey);

        if (o->vulns) {
                r = scan_vulns(o, d, res);
                if (r < 0)
                        goto out;
        }

        s.src = NULL; /* owned by res */
        *ret = TAKE_PTR(res);
        r = 0;
out:
        if (r < 0 && !diag_has_error(d))
                diag_error(d, r, "scan of '%s' failed: %s", target, strerror(-r));
        if (s.results) {
                for (size_t i = 0; i < s.n; i++) {
                        bool dup = false;
                        for (size_t j = 0; j < i; j++)
                                dup |= s.results[j] == s.results[i];
                        if (!dup)
                                layer_result_free(s.results[i]);
                }
                free(s.results);
        }
        free(s.work);
        layer_cache_close(s.cache);
        secrets_engine_free(s.secrets);
        remove_tmpdir(&s);
        pthread_mutex_destroy(&s.lock);
        return r;
}
