/* SPDX-License-Identifier: Apache-2.0 */
/* docker:NAME — an image in the local engine, over its unix socket (the Engine API, with libcurl).
 *
 * open() asks the engine to describe the image (GET /images/NAME/json and /images/ID/history) and fills
 * s->image from that description, so that a caller whose layer cache already holds every diff_id needs
 * nothing more. The layers themselves only come from the engine's export (GET /images/ID/get, the
 * `docker save` tar stream): this is a stream source, and stream() walks the export as it arrives with
 * image_stream_archive(), handing each layer to the caller and then refilling s->image from the
 * export's own manifest and config (whose digest is checked). Nothing is written to disk.
 *
 * What s->image holds, and when:
 *
 *   field                         after open() (engine's inspect + history)   after stream() (the export)
 *   id                            inspect Id                                    config digest, checked == Id
 *   name                          NAME, or the RepoTag it resolved to           unchanged
 *   repo_tags, repo_digests       inspect RepoTags / RepoDigests                unchanged
 *   platform                      inspect Os/Architecture[/Variant]             unchanged
 *   manifest_digest               NULL                                          index.json's, when the
 * engine exports OCI (Docker 25+) config_raw, config_len        NULL, 0 the config bytes
 *   config.os/architecture/variant, created, user, working_dir, env, cmd, entrypoint, exposed_ports,
 *   volumes, healthcheck, stop_signal, labels
 *                                 from inspect (Config: the same fields the     from the config
 *                                 image config carries)
 *   config.history                from the history API, oldest first;           from the config (exact)
 *                                 created from its Unix time, empty_layer
 *                                 inferred from Size == 0
 *   config.diff_ids               inspect RootFS.Layers                         from the config, checked
 *                                                                               equal
 *   layers[i].diff_id             RootFS.Layers[i]                              from the config
 *   layers[i].created_by          when the history lines up with the layers     same rule
 *   layers[i].digest              "" (unknown)                                  blobs/ digest (OCI export)
 * or
 *                                                                               "" (legacy layer.tar)
 *   layers[i].member, media_type  NULL                                          the export's member; NULL
 *
 * Requests after the first use the image ID, so the description, history and export are of one image
 * even if NAME is retagged meanwhile. */

#include <time.h>

#include "core/json-util.h"
#include "image-internal.h"
#include "image-remote.h"
#include "path-util.h"

#define DEFAULT_SOCKET "/var/run/docker.sock"
#define ENGINE_URL     "http://localhost"
#define MAX_LAYERS     1000
#define MAX_LIST       4096
#define MAX_HISTORY    4096

struct docker_priv {
        char *socket;
        char *name;
        char *id; /* the engine's image ID, sha256:… */
        struct http_options http;
};

static void docker_priv_free(struct docker_priv *p) {
        if (!p)
                return;
        free(p->socket);
        free(p->name);
        free(p->id);
        free(p);
}

/* unix:///path or /path; anything else (tcp://, ssh://) we do not speak. */
static int socket_path(struct image_source *s, char **ret) {
        const char *h = s->opts && s->opts->docker_host ? s->opts->docker_host : NULL;
        const char *origin = "docker host";
        if (!h || !*h) {
                h = getenv("DOCKER_HOST");
                origin = "DOCKER_HOST";
        }
        if (!h || !*h)
                h = DEFAULT_SOCKET;
        const char *p = h;
        if (str_has_prefix(h, "unix://"))
                p = h + 7;
        else if (strstr(h, "://"))
                return diag_error(s->diag, -EPROTONOSUPPORT,
                                  "%s '%.200s' is not supported: the Docker engine is reached through a "
                                  "unix:// socket",
                                  origin, h);
        if (p[0] != '/' || strlen(p) >= 108)
                return diag_error(s->diag, -EINVAL, "%s '%.200s' is not an absolute socket path", origin, h);
        *ret = strdup(p);
        return *ret ? 0 : -ENOMEM;
}

/* Names go into the URL path as they are (the engine routes /images/{name:.*}/json), so only the
 * characters of references and IDs are allowed. */
static bool name_ok(const char *n) {
        if (!*n || strlen(n) > REF_MAX || n[0] == '/' || n[0] == '-' || n[0] == '.' || strstr(n, "..") ||
            strstr(n, "//"))
                return false;
        for (; *n; n++)
                if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') || (*n >= '0' && *n <= '9') ||
                      strchr("._-:/@", *n)))
                        return false;
        return true;
}

static int engine_get(struct image_source *s, struct docker_priv *p, const char *path, uint64_t max_body,
                      struct http_stream **ret) {
        _cleanup_free_ char *url = NULL;
        char err[512];
        if (asprintf(&url, ENGINE_URL "%s", path) < 0)
                return -ENOMEM;
        struct http_request req = {.url = url, .max_body = max_body};
        int r = http_stream_start(&p->http, &req, err, sizeof err, ret);
        if (r == -ENOENT || r == -ECONNREFUSED || r == -EACCES || r == -EPERM || r == -ENOTSOCK ||
            r == -ENOTDIR)
                return diag_error(s->diag, r, "cannot connect to the Docker engine at %s: %s", p->socket,
                                  err);
        if (r < 0)
                return diag_error(s->diag, r,
                                  "the Docker engine at %s gave no usable answer for image '%s': %s",
                                  p->socket, p->name, err);
        return 0;
}

static int engine_status_error(struct image_source *s, struct docker_priv *p, struct http_stream *st,
                               const char *doing) {
        char msg[512];
        long status = http_stream_status(st);
        if (status == 404)
                return diag_error(s->diag, -ENOENT, "image '%s' not found in the Docker engine", p->name);
        http_stream_error_text(st, msg, sizeof msg);
        return diag_error(s->diag, status == 403 || status == 401 ? -EACCES : -EIO,
                          "the Docker engine at %s failed to %s image '%s': %s", p->socket, doing, p->name,
                          msg);
}

static int engine_get_json(struct image_source *s, struct docker_priv *p, const char *path,
                           const char *doing, char **ret, size_t *ret_len) {
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        struct buf b = BUF_INIT(META_CAP(s));
        int r = engine_get(s, p, path, META_CAP(s), &st);
        if (r < 0)
                return r;
        if (http_stream_status(st) != 200)
                return engine_status_error(s, p, st, doing);
        r = http_stream_read_all(st, &b);
        if (r < 0) {
                buf_free(&b);
                if (r == -E2BIG)
                        return diag_error(s->diag, r,
                                          "the Docker engine's answer to %s image '%s' is too large (limit "
                                          "%llu bytes)",
                                          doing, p->name, (unsigned long long) META_CAP(s));
                return diag_error(s->diag, r, "cannot read the Docker engine's answer to %s image '%s': %s",
                                  doing, p->name, http_stream_error(st));
        }
        *ret_len = b.len;
        *ret = buf_steal(&b);
        return 0;
}

/* ---- inspect → struct image ---- */

static const char **keys_of(struct arena *a, json_t *obj) {
        if (!json_is_object(obj))
                return NULL;
        size_t n = MIN(json_object_size(obj), (size_t) MAX_LIST), k = 0;
        const char **v = arena_alloc(a, (n + 1) * sizeof *v);
        const char *key;
        json_t *val;
        if (!v)
                return NULL;
        json_object_foreach(obj, key, val) {
                if (k >= n)
                        break;
                v[k++] = arena_strdup(a, key);
        }
        return v;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static void sort_strv(const char **v) {
        size_t n = 0;
        while (v && v[n])
                n++;
        if (n)
                qsort(v, n, sizeof *v, cmp_str);
}

static int cmp_kv(const void *a, const void *b) {
        return strcmp(((const struct image_kv *) a)->key, ((const struct image_kv *) b)->key);
}

static const char *rfc3339(struct arena *a, json_t *v) {
        if (json_is_string(v))
                return arena_strdup(a, json_string_value(v));
        if (!json_is_integer(v) || json_integer_value(v) <= 0)
                return NULL;
        time_t t = (time_t) json_integer_value(v);
        struct tm tm;
        char buf[64];
        if (!gmtime_r(&t, &tm) || strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return NULL;
        return arena_strdup(a, buf);
}

static bool is_nop_step(const char *created_by) {
        /* The classic builder marks metadata-only steps "#(nop)"; ADD and COPY are nops with a layer. */
        const char *nop = created_by ? strstr(created_by, "#(nop)") : NULL;
        if (!nop)
                return false;
        nop += 6;
        while (*nop == ' ')
                nop++;
        return !str_has_prefix(nop, "ADD ") && !str_has_prefix(nop, "COPY ");
}

static int history_from_api(struct image_source *s, const char *data, size_t len) {
        struct image_config *c = &s->image.config;
        struct arena *a = s->arena;
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r = json_parse_capped(data, len, META_CAP(s), "the engine's image history", s->diag, &j);
        if (r < 0)
                return r;
        if (!json_is_array(j))
                return diag_error(s->diag, -EBADMSG, "the engine's image history is not a JSON array");
        size_t n = json_array_size(j);
        if (n > MAX_HISTORY)
                return diag_error(s->diag, -E2BIG, "the engine's image history has %zu entries (limit %d)",
                                  n, MAX_HISTORY);
        c->history = arena_alloc(a, (n + 1) * sizeof *c->history);
        if (!c->history)
                return -ENOMEM;
        /* Newest first in the API; oldest first in a config. */
        size_t sized = 0, non_nop = 0;
        for (size_t i = n; i-- > 0;) {
                json_t *h = json_array_get(j, i);
                if (!json_is_object(h))
                        continue;
                struct image_history *e = &c->history[c->n_history++];
                const char *cb = json_get_str(h, "CreatedBy");
                *e = (struct image_history){
                        .created = rfc3339(a, json_object_get(h, "Created")),
                        .created_by = cb && *cb ? arena_strdup(a, cb) : NULL,
                        .comment = arena_strdup(a, json_get_str(h, "Comment")),
                        .empty_layer = json_get_int(h, "Size", 0) <= 0,
                };
                sized += !e->empty_layer;
                non_nop += !is_nop_step(cb);
        }
        /* Size 0 also fits a real layer that changes no file contents. When sizes do not account for
         * every layer but the builder's markers do, trust the markers. */
        if (sized != c->n_diff_ids && non_nop == c->n_diff_ids)
                for (size_t i = 0; i < c->n_history; i++)
                        c->history[i].empty_layer = is_nop_step(c->history[i].created_by);
        return 0;
}

int docker_image_from_inspect(struct image_source *s, const char *name, const char *inspect,
                              size_t inspect_len, const char *history, size_t history_len) {
        struct image *img = &s->image;
        struct image_config *c = &img->config;
        struct arena *a = s->arena;
        _cleanup_(json_decrefp) json_t *j = NULL;
        int r;

        r = json_parse_capped(inspect, inspect_len, META_CAP(s), "the engine's image description", s->diag,
                              &j);
        if (r < 0)
                return r;
        if (!json_is_object(j))
                return diag_error(s->diag, -EBADMSG,
                                  "the engine's description of image '%s' is not a JSON object", name);
        const char *id = json_get_str(j, "Id");
        if (!digest_is_valid_sha256(id))
                return diag_error(s->diag, -EBADMSG,
                                  "the engine's description of image '%s' has no valid Id", name);
        img->id = arena_strdup(a, id);
        img->repo_tags = json_strv_dup(a, json_get_arr(j, "RepoTags"), 256);
        img->repo_digests = json_strv_dup(a, json_get_arr(j, "RepoDigests"), 256);
        if (!img->repo_tags)
                img->repo_tags = arena_alloc(a, sizeof *img->repo_tags);
        if (!img->repo_digests)
                img->repo_digests = arena_alloc(a, sizeof *img->repo_digests);
        if (!img->id || !img->repo_tags || !img->repo_digests)
                return -ENOMEM;
        /* A short name resolves to a tag the engine lists ("app" → "app:latest"); say which. */
        img->name = arena_strdup(a, name);
        for (size_t i = 0; img->repo_tags[i]; i++) {
                const char *t = img->repo_tags[i];
                size_t nl = strlen(name);
                if (streq(t, name) || (strneq(t, name, nl) && streq(t + nl, ":latest"))) {
                        img->name = t;
                        break;
                }
        }

        c->os = arena_strdup(a, json_get_str(j, "Os"));
        c->architecture = arena_strdup(a, json_get_str(j, "Architecture"));
        c->variant = arena_strdup(a, json_get_str(j, "Variant"));
        c->created = arena_strdup(a, json_get_str(j, "Created"));
        if (c->os && c->architecture)
                img->platform = arena_printf(a, "%s/%s%s%s", c->os, c->architecture, c->variant ? "/" : "",
                                             c->variant ? c->variant : "");

        json_t *cfg = json_get_obj(j, "Config");
        if (cfg) {
                const char *user = json_get_str(cfg, "User"), *wd = json_get_str(cfg, "WorkingDir");
                const char *sig = json_get_str(cfg, "StopSignal");
                /* The engine reports "" for unset fields where a config omits them. */
                c->user = user && *user ? arena_strdup(a, user) : NULL;
                c->working_dir = wd && *wd ? arena_strdup(a, wd) : NULL;
                c->stop_signal = sig && *sig ? arena_strdup(a, sig) : NULL;
                c->env = json_strv_dup(a, json_get_arr(cfg, "Env"), MAX_LIST);
                c->cmd = json_strv_dup(a, json_get_arr(cfg, "Cmd"), MAX_LIST);
                c->entrypoint = json_strv_dup(a, json_get_arr(cfg, "Entrypoint"), MAX_LIST);
                c->exposed_ports = keys_of(a, json_get_obj(cfg, "ExposedPorts"));
                sort_strv(c->exposed_ports);
                c->volumes = keys_of(a, json_get_obj(cfg, "Volumes"));
                sort_strv(c->volumes);
                json_t *hc = json_get_obj(cfg, "Healthcheck");
                if (hc)
                        c->healthcheck = json_strv_dup(a, json_get_arr(hc, "Test"), MAX_LIST);
                json_t *labels = json_get_obj(cfg, "Labels");
                if (labels) {
                        size_t n = MIN(json_object_size(labels), (size_t) MAX_LIST);
                        c->labels = arena_alloc(a, (n + 1) * sizeof *c->labels);
                        if (!c->labels)
                                return -ENOMEM;
                        const char *key;
                        json_t *val;
                        json_object_foreach(labels, key, val) {
                                if (c->n_labels >= n)
                                        break;
                                if (json_is_string(val))
                                        c->labels[c->n_labels++] =
                                                (struct image_kv){arena_strdup(a, key),
                                                                  arena_strdup(a, json_string_value(val))};
                        }
                        qsort(c->labels, c->n_labels, sizeof *c->labels, cmp_kv);
                }
        }

        json_t *rootfs = json_get_obj(j, "RootFS");
        json_t *layers = rootfs ? json_get_arr(rootfs, "Layers") : NULL;
        size_t n = layers ? json_array_size(layers) : 0;
        if (n > MAX_LAYERS)
                return diag_error(s->diag, -E2BIG, "image '%s' has %zu layers (limit %d)", name, n,
                                  MAX_LAYERS);
        c->diff_ids = arena_alloc(a, (n + 1) * sizeof *c->diff_ids);
        if (!c->diff_ids)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *d = json_string_value(json_array_get(layers, i));
                if (!digest_is_valid_sha256(d))
                        return diag_error(s->diag, -EBADMSG,
                                          "the engine's description of image '%s': RootFS.Layers[%zu] is "
                                          "not a sha256 digest",
                                          name, i);
                c->diff_ids[c->n_diff_ids++] = arena_strdup(a, d);
        }

        if (history) {
                r = history_from_api(s, history, history_len);
                if (r < 0)
                        return r;
        }
        return image_set_layers(s, NULL, c->n_diff_ids);
}

/* ---- the source ---- */

static int docker_open(struct image_source *s, const char *ref) {
        struct docker_priv *p = calloc(1, sizeof *p);
        _cleanup_free_ char *inspect = NULL, *history = NULL, *path = NULL;
        size_t inspect_len = 0, history_len = 0;
        int r;

        if (!p)
                return -ENOMEM;
        s->priv = p;
        s->sequential = true;
        r = socket_path(s, &p->socket);
        if (r < 0)
                return r;
        p->http.unix_socket = p->socket;
        p->name = strdup(ref);
        if (!p->name)
                return -ENOMEM;
        if (!name_ok(ref))
                return diag_error(s->diag, -EINVAL, "invalid image name '%.300s'", ref);

        if (asprintf(&path, "/images/%s/json", ref) < 0)
                return -ENOMEM;
        r = engine_get_json(s, p, path, "inspect", &inspect, &inspect_len);
        if (r < 0)
                return r;

        /* Learn the ID first, then ask for everything else by ID. */
        _cleanup_(json_decrefp) json_t *j = json_loadb(inspect, inspect_len, 0, NULL);
        const char *id = json_get_str(j, "Id");
        if (!digest_is_valid_sha256(id))
                return diag_error(s->diag, -EBADMSG,
                                  "the engine's description of image '%s' has no valid Id", ref);
        p->id = strdup(id);
        if (!p->id)
                return -ENOMEM;

        /* History only names the steps; without it the scan goes on. */
        free(path);
        if (asprintf(&path, "/images/%s/history", p->id) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        struct diag *user = s->diag, quiet;
        diag_init(&quiet);
        s->diag = &quiet;
        r = engine_get_json(s, p, path, "read the history of", &history, &history_len);
        s->diag = user;
        if (r < 0)
                diag_warn(user, "no layer history for image '%s': %s", ref,
                          quiet.error[0] ? quiet.error : strerror(-r));
        diag_done(&quiet);
        if (r == -ENOMEM)
                return r;

        return docker_image_from_inspect(s, ref, inspect, inspect_len, history, history_len);
}

struct export_src {
        struct image_source *s;
        struct docker_priv *p;
        struct http_stream *st;
        int failed;
};

static ssize_t export_read(void *userdata, void *buf, size_t n) {
        struct export_src *e = userdata;
        if (e->failed)
                return e->failed;
        ssize_t k = http_stream_read(e->st, buf, n);
        if (k < 0)
                e->failed = diag_error(e->s->diag, (int) k,
                                       "cannot read the export of image '%s' from the Docker engine: %s",
                                       e->p->name, http_stream_error(e->st));
        return k;
}

static bool strv_equal(const char *const *a, size_t na, const char *const *b, size_t nb) {
        if (na != nb)
                return false;
        for (size_t i = 0; i < na; i++)
                if (!streq(a[i], b[i]))
                        return false;
        return true;
}

static int docker_stream(struct image_source *s,
                         int (*on_blob)(void *userdata, const char *member, const struct byte_source *src),
                         void *userdata) {
        struct docker_priv *p = s->priv;
        struct image *img = &s->image;
        _cleanup_(http_stream_freep) struct http_stream *st = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        if (!p || !p->id)
                return -EINVAL;
        if (asprintf(&path, "/images/%s/get", p->id) < 0)
                return -ENOMEM;
        r = engine_get(s, p, path, 0, &st);
        if (r < 0)
                return r;
        if (http_stream_status(st) != 200)
                return engine_status_error(s, p, st, "export");

        /* The export describes the image again, exactly: start from a clean slate, keep what only the
         * engine knows (names), and check that it is the image that was described. */
        struct image before = *img;
        img->config = (struct image_config){0};
        img->layers = NULL;
        img->n_layers = 0;
        img->id = NULL;
        img->config_raw = NULL;
        img->config_len = 0;

        struct export_src e = {.s = s, .p = p, .st = st};
        struct byte_source src = {export_read, &e};
        r = image_stream_archive(s, &src, on_blob, userdata);
        if (r < 0)
                return r;

        /* With the containerd image store (Docker 25+) the engine's Id is the manifest's digest. */
        if (!img->id || !(streq(img->id, before.id) || streq_ptr(img->manifest_digest, before.id)))
                return diag_error(s->diag, -EBADMSG, "the engine exported image %s for image '%s' (%s)",
                                  img->id ? img->id : "(none)", p->name, before.id);
        if (!strv_equal(img->config.diff_ids, img->config.n_diff_ids, before.config.diff_ids,
                        before.config.n_diff_ids))
                return diag_error(
                        s->diag, -EBADMSG,
                        "the export of image '%s' lists other layers than the engine's description",
                        p->name);
        img->name = before.name;
        img->repo_tags = before.repo_tags;
        img->repo_digests = before.repo_digests;
        img->platform = before.platform;
        return 0;
}

static void docker_free(struct image_source *s) {
        docker_priv_free(s->priv);
        s->priv = NULL;
}

const struct image_source_ops image_source_docker = {
        .kind = "docker",
        .open = docker_open,
        .stream = docker_stream,
        .free = docker_free,
};
