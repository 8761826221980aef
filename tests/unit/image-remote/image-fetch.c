/* SPDX-License-Identifier: Apache-2.0 */
/* stockade-image-fetch: opens an image source the way the scanner does and prints what it learned, as
 * JSON, for the integration scripts (tests/integration/t2*.sh). With --read, every layer is read through
 * open_layer() (random access, from --threads threads at once) or stream() (stream sources) and
 * analyzed with layer_analyze_blob(), which checks digests and diff_ids and counts files.
 *
 *   stockade-image-fetch [--platform P] [--insecure] [--username U] [--password P] [--docker-host H]
 *                        [--read] [--threads N] [--partial] [--delay SECONDS] TARGET
 *
 * Exit status: 0, or 2 with "error: MESSAGE" on stderr (the diag's one line). */

#include <getopt.h>
#include <jansson.h>
#include <pthread.h>

#include "image/image.h"
#include "layer/layer.h"

static struct {
        struct image_source_options opts;
        bool read, partial;
        int threads;
        int delay; /* seconds between open() and reading layers */
} arg = {.threads = 1};

static json_t *strv_json(const char *const *v) {
        json_t *a = json_array();
        for (size_t i = 0; v && v[i]; i++)
                json_array_append_new(a, json_string(v[i]));
        return a;
}

static json_t *str_or_null(const char *s) {
        return s ? json_string(s) : json_null();
}

static json_t *image_json(const struct image *img) {
        const struct image_config *c = &img->config;
        json_t *o = json_object();
        json_object_set_new(o, "target", str_or_null(img->target));
        json_object_set_new(o, "source_kind", str_or_null(img->source_kind));
        json_object_set_new(o, "name", str_or_null(img->name));
        json_object_set_new(o, "id", str_or_null(img->id));
        json_object_set_new(o, "manifest_digest", str_or_null(img->manifest_digest));
        json_object_set_new(o, "platform", str_or_null(img->platform));
        json_object_set_new(o, "repo_tags", strv_json(img->repo_tags));
        json_object_set_new(o, "repo_digests", strv_json(img->repo_digests));
        json_object_set_new(o, "config_raw_len",
                            img->config_raw ? json_integer((json_int_t) img->config_len) : json_null());

        json_t *cfg = json_object();
        json_object_set_new(cfg, "os", str_or_null(c->os));
        json_object_set_new(cfg, "architecture", str_or_null(c->architecture));
        json_object_set_new(cfg, "variant", str_or_null(c->variant));
        json_object_set_new(cfg, "created", str_or_null(c->created));
        json_object_set_new(cfg, "user", str_or_null(c->user));
        json_object_set_new(cfg, "working_dir", str_or_null(c->working_dir));
        json_object_set_new(cfg, "stop_signal", str_or_null(c->stop_signal));
        json_object_set_new(cfg, "env", strv_json(c->env));
        json_object_set_new(cfg, "cmd", strv_json(c->cmd));
        json_object_set_new(cfg, "entrypoint", strv_json(c->entrypoint));
        json_object_set_new(cfg, "exposed_ports", strv_json(c->exposed_ports));
        json_object_set_new(cfg, "volumes", strv_json(c->volumes));
        json_object_set_new(cfg, "healthcheck", c->healthcheck ? strv_json(c->healthcheck) : json_null());
        json_t *labels = json_object();
        for (size_t i = 0; i < c->n_labels; i++)
                json_object_set_new(labels, c->labels[i].key, json_string(c->labels[i].value));
        json_object_set_new(cfg, "labels", labels);
        json_t *hist = json_array();
        for (size_t i = 0; i < c->n_history; i++) {
                json_t *h = json_object();
                json_object_set_new(h, "created", str_or_null(c->history[i].created));
                json_object_set_new(h, "created_by", str_or_null(c->history[i].created_by));
                json_object_set_new(h, "empty_layer", json_boolean(c->history[i].empty_layer));
                json_array_append_new(hist, h);
        }
        json_object_set_new(cfg, "history", hist);
        json_t *ids = json_array();
        for (size_t i = 0; i < c->n_diff_ids; i++)
                json_array_append_new(ids, json_string(c->diff_ids[i]));
        json_object_set_new(cfg, "diff_ids", ids);
        json_object_set_new(o, "config", cfg);

        json_t *layers = json_array();
        for (size_t i = 0; i < img->n_layers; i++) {
                const struct image_layer *l = &img->layers[i];
                json_t *j = json_object();
                json_object_set_new(j, "digest", json_string(l->digest));
                json_object_set_new(j, "diff_id", json_string(l->diff_id));
                json_object_set_new(j, "media_type", str_or_null(l->media_type));
                json_object_set_new(j, "size", json_integer((json_int_t) l->size));
                json_object_set_new(j, "created_by", str_or_null(l->created_by));
                json_object_set_new(j, "member", str_or_null(l->member));
                json_array_append_new(layers, j);
        }
        json_object_set_new(o, "layers", layers);
        return o;
}

static json_t *result_json(int index, const struct layer_result *r) {
        json_t *j = json_object();
        json_object_set_new(j, "index", json_integer(index));
        json_object_set_new(j, "digest", json_string(r->digest));
        json_object_set_new(j, "diff_id", json_string(r->diff_id));
        json_object_set_new(j, "files", json_integer((json_int_t) r->files.n));
        json_object_set_new(j, "bytes_stored", json_integer((json_int_t) r->bytes_stored));
        json_object_set_new(j, "bytes_tar", json_integer((json_int_t) r->bytes_tar));
        json_t *paths = json_array();
        for (size_t i = 0; i < r->files.n && i < 2000; i++)
                json_array_append_new(paths, json_string(r->files.items[i].path));
        json_object_set_new(j, "paths", paths);
        return j;
}

/* ---- random access: a pool of threads pulling layer indexes ---- */

struct pool {
        struct image_source *s;
        struct diag *d;
        struct layer_options lo;
        pthread_mutex_t lock;
        size_t next;
        struct layer_result **results;
        int error;
};

static void *worker(void *userdata) {
        struct pool *p = userdata;
        for (;;) {
                pthread_mutex_lock(&p->lock);
                size_t i = p->next++;
                bool stop = p->error != 0;
                pthread_mutex_unlock(&p->lock);
                if (stop || i >= p->s->image.n_layers)
                        return NULL;
                const struct image_layer *l = &p->s->image.layers[i];
                struct byte_source src;
                void *h = NULL;
                int r = p->s->ops->open_layer(p->s, i, &src, &h);
                if (r >= 0 && arg.partial) {
                        /* Read a little and give up: closing a stream mid-transfer must be clean. */
                        char buf[1024];
                        ssize_t k = src.read(src.userdata, buf, sizeof buf);
                        r = k < 0 ? (int) k : 0;
                        p->s->ops->close_layer(p->s, h);
                } else if (r >= 0) {
                        struct layer_expect e = {.index = (int) i,
                                                 .digest = l->digest,
                                                 .diff_id = l->diff_id,
                                                 .name = l->digest};
                        r = layer_analyze_blob(&src, &e, &p->lo, p->d, &p->results[i]);
                        p->s->ops->close_layer(p->s, h);
                }
                if (r < 0) {
                        pthread_mutex_lock(&p->lock);
                        if (!p->error)
                                p->error = r;
                        pthread_mutex_unlock(&p->lock);
                }
        }
}

/* ---- stream sources ---- */

struct streamed {
        struct diag *d;
        struct layer_options lo;
        size_t n;
        char *members[1024];
        struct layer_result *results[1024];
};

static int on_blob(void *userdata, const char *member, const struct byte_source *src) {
        struct streamed *st = userdata;
        if (st->n >= 1024)
                return -E2BIG;
        struct layer_expect e = {.index = (int) st->n, .digest = "", .diff_id = "", .name = member};
        struct layer_result *r = NULL;
        struct diag local;
        diag_init(&local);
        int k = layer_analyze_blob(src, &e, &st->lo, &local, &r);
        if (k < 0)
                diag_warn(st->d, "member '%s' is not a layer: %s", member, local.error);
        diag_done(&local);
        if (k < 0) {
                /* Not every blob of an OCI layout is a layer; the image's layers are checked below. */
                char sink[65536];
                while (src->read(src->userdata, sink, sizeof sink) > 0)
                        ;
                return 0;
        }
        st->members[st->n] = strdup(member);
        st->results[st->n++] = r;
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                {"platform", required_argument, NULL, 'p'},    {"insecure", no_argument, NULL, 'k'},
                {"username", required_argument, NULL, 'u'},    {"password", required_argument, NULL, 'P'},
                {"docker-host", required_argument, NULL, 'H'}, {"read", no_argument, NULL, 'r'},
                {"threads", required_argument, NULL, 't'},     {"partial", no_argument, NULL, 'x'},
                {"delay", required_argument, NULL, 'd'},       {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "", options, NULL)) >= 0) {
                switch (c) {
                case 'p': arg.opts.platform = optarg; break;
                case 'k': arg.opts.insecure = true; break;
                case 'u': arg.opts.username = optarg; break;
                case 'P': arg.opts.password = optarg; break;
                case 'H': arg.opts.docker_host = optarg; break;
                case 'r': arg.read = true; break;
                case 't': arg.threads = atoi(optarg); break;
                case 'x': arg.partial = arg.read = true; break;
                case 'd': arg.delay = atoi(optarg); break;
                default: return 2;
                }
        }
        if (optind + 1 != argc) {
                fprintf(stderr, "usage: %s [options] TARGET\n", argv[0]);
                return 2;
        }
        if (arg.threads < 1 || arg.threads > 64)
                arg.threads = 1;

        struct diag d;
        diag_init(&d);
        struct image_source *s = NULL;
        int r = image_source_open(argv[optind], &arg.opts, &d, &s);
        json_t *out = json_object();
        if (r >= 0) {
                json_object_set_new(out, "random_access", json_boolean(image_source_is_random_access(s)));
                json_object_set_new(out, "after_open", image_json(&s->image));
        }

        if (r >= 0 && arg.read && arg.delay > 0)
                sleep((unsigned) arg.delay);
        if (r >= 0 && arg.read) {
                struct layer_options lo = {0};
                layer_limits_default(&lo.limits);
                json_t *res = json_array();
                if (image_source_is_random_access(s)) {
                        struct pool p = {.s = s, .d = &d, .lo = lo};
                        pthread_mutex_init(&p.lock, NULL);
                        p.results = calloc(s->image.n_layers + 1, sizeof *p.results);
                        pthread_t t[64];
                        for (int i = 0; i < arg.threads; i++)
                                pthread_create(&t[i], NULL, worker, &p);
                        for (int i = 0; i < arg.threads; i++)
                                pthread_join(t[i], NULL);
                        r = p.error;
                        for (size_t i = 0; r >= 0 && !arg.partial && i < s->image.n_layers; i++)
                                json_array_append_new(res, result_json((int) i, p.results[i]));
                        for (size_t i = 0; i < s->image.n_layers; i++)
                                layer_result_free(p.results[i]);
                        free(p.results);
                } else {
                        struct streamed *st = calloc(1, sizeof *st);
                        st->d = &d;
                        st->lo = lo;
                        r = s->ops->stream(s, on_blob, st);
                        /* Every layer the image names must have come by, with the diff_id it claims. */
                        for (size_t i = 0; r >= 0 && i < s->image.n_layers; i++) {
                                const struct image_layer *l = &s->image.layers[i];
                                size_t k = 0;
                                while (k < st->n && !streq_ptr(st->members[k], l->member))
                                        k++;
                                if (k == st->n) {
                                        r = diag_error(&d, -ENOENT, "layer %zu ('%s') did not come by", i,
                                                       l->member ? l->member : "?");
                                        break;
                                }
                                if (!streq(st->results[k]->diff_id, l->diff_id)) {
                                        r = diag_error(&d, -EBADMSG,
                                                       "layer %zu has diff_id %s, the config says %s", i,
                                                       st->results[k]->diff_id, l->diff_id);
                                        break;
                                }
                                json_array_append_new(res, result_json((int) i, st->results[k]));
                        }
                        for (size_t k = 0; k < st->n; k++) {
                                free(st->members[k]);
                                layer_result_free(st->results[k]);
                        }
                        free(st);
                }
                json_object_set_new(out, "layers_read", res);
                if (r >= 0)
                        json_object_set_new(out, "after_read", image_json(&s->image));
        }

        for (size_t i = 0; i < d.n_warnings; i++)
                fprintf(stderr, "warning: %s\n", d.warnings[i]);
        if (r < 0) {
                fprintf(stderr, "error: %s\n", d.error[0] ? d.error : strerror(-r));
                json_decref(out);
                image_source_free(s);
                diag_done(&d);
                return 2;
        }
        char *text = json_dumps(out, JSON_INDENT(2) | JSON_SORT_KEYS);
        puts(text);
        free(text);
        json_decref(out);
        image_source_free(s);
        diag_done(&d);
        return 0;
}
