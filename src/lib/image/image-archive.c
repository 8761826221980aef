/* SPDX-License-Identifier: Apache-2.0 */
/* docker-archive: and oci: sources, over a store (directory, indexed tar file, or stream leftovers). */

#include <fcntl.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "core/json-util.h"
#include "image-internal.h"
#include "path-util.h"

/* ---- store ---- */

void store_done(struct store *st) {
        if (st->fd >= 0)
                close(st->fd);
        st->fd = -1;
        tar_index_free(st->index);
        st->index = NULL;
        hashmap_free(st->mem);
        st->mem = NULL;
        arena_free(st->mem_arena);
        st->mem_arena = NULL;
}

/* Opens a file below a directory without following symlinks anywhere on the way, so a layout cannot
 * point us at files outside it. */
static int open_beneath(int dirfd, const char *name) {
        struct open_how how = {
                .flags = O_RDONLY | O_CLOEXEC | O_NOCTTY,
                .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
        };
        int fd = (int) syscall(SYS_openat2, dirfd, name, &how, sizeof how);
        if (fd >= 0 || errno != ENOSYS)
                return fd >= 0 ? fd : negative_errno();

        /* Older kernels: walk component by component with O_NOFOLLOW. */
        char norm[PATH_MAX_IMAGE + 1];
        if (path_normalize_member(name, norm) < 0)
                return -EXDEV;
        int cur = dup(dirfd);
        char *p = norm;
        while (cur >= 0) {
                char *slash = strchr(p, '/');
                if (slash)
                        *slash = 0;
                int next = openat(cur, p, (slash ? O_DIRECTORY | O_PATH : O_RDONLY | O_NOCTTY) | O_NOFOLLOW | O_CLOEXEC);
                int saved = errno;
                close(cur);
                if (next < 0)
                        return -saved;
                if (!slash)
                        return next;
                cur = next;
                p = slash + 1;
        }
        return negative_errno();
}

const char *store_resolve(struct store *st, const char *name) {
        if (st->kind != STORE_MEM)
                return name;
        for (int hops = 0; hops < 8; hops++) {
                struct mem_member *m = hashmap_get(st->mem, name);
                if (!m || !m->link)
                        return name;
                name = m->link;
        }
        return name;
}

bool store_has(struct store *st, const char *name) {
        switch (st->kind) {
        case STORE_DIR: {
                int fd = open_beneath(st->fd, name);
                if (fd < 0)
                        return false;
                close(fd);
                return true;
        }
        case STORE_TAR: return tar_index_lookup(st->index, name) != NULL;
        case STORE_MEM: {
                struct mem_member *m = hashmap_get(st->mem, store_resolve(st, name));
                return m && m->data;
        }
        }
        return false;
}

struct pread_src {
        int fd;
        uint64_t off, end;
        bool own_fd;
};

static ssize_t pread_read(void *userdata, void *buf, size_t n) {
        struct pread_src *p = userdata;
        if (p->off >= p->end)
                return 0;
        n = (size_t) MIN((uint64_t) n, p->end - p->off);
        ssize_t k;
        do
                k = pread(p->fd, buf, n, (off_t) p->off);
        while (k < 0 && errno == EINTR);
        if (k < 0)
                return negative_errno();
        if (k == 0)
                return -ENODATA; /* the file shrank under us */
        p->off += (uint64_t) k;
        return k;
}

struct mem_src {
        const char *data;
        size_t len, pos;
};

static ssize_t mem_read(void *userdata, void *buf, size_t n) {
        struct mem_src *m = userdata;
        n = MIN(n, m->len - m->pos);
        memcpy(buf, m->data + m->pos, n);
        m->pos += n;
        return (ssize_t) n;
}

struct store_handle {
        bool is_mem;
        union {
                struct pread_src p;
                struct mem_src m;
        };
};

int store_open(struct image_source *s, struct store *st, const char *name, struct byte_source *ret_src,
               void **ret_handle) {
        struct store_handle *h = calloc(1, sizeof *h);
        if (!h)
                return -ENOMEM;
        switch (st->kind) {
        case STORE_DIR: {
                int fd = open_beneath(st->fd, name);
                struct stat sb;
                if (fd < 0) {
                        free(h);
                        return diag_error(s->diag, fd, "cannot open '%s' in '%s': %s", name, st->what, strerror(-fd));
                }
                if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
                        close(fd);
                        free(h);
                        return diag_error(s->diag, -EBADMSG, "'%s' in '%s' is not a regular file", name, st->what);
                }
                h->p = (struct pread_src){ .fd = fd, .off = 0, .end = (uint64_t) sb.st_size, .own_fd = true };
                break;
        }
        case STORE_TAR: {
                const struct tar_member *m = tar_index_lookup(st->index, name);
                if (!m) {
                        free(h);
                        return diag_error(s->diag, -ENOENT, "archive '%s' has no member '%s'", st->what, name);
                }
                h->p = (struct pread_src){ .fd = st->fd, .off = m->offset, .end = m->offset + m->size };
                break;
        }
        case STORE_MEM: {
                struct mem_member *m = hashmap_get(st->mem, store_resolve(st, name));
                if (!m || !m->data) {
                        free(h);
                        return diag_error(s->diag, -ENOENT, "archive '%s' has no member '%s'", st->what, name);
                }
                h->is_mem = true;
                h->m = (struct mem_src){ .data = m->data, .len = m->len };
                break;
        }
        }
        *ret_src = h->is_mem ? (struct byte_source){ mem_read, &h->m } : (struct byte_source){ pread_read, &h->p };
        *ret_handle = h;
        return 0;
}

void store_close(void *handle) {
        struct store_handle *h = handle;
        if (!h)
                return;
        if (!h->is_mem && h->p.own_fd)
                close(h->p.fd);
        free(h);
}

int store_read_small(struct image_source *s, struct store *st, const char *name, size_t cap, char **ret,
                     size_t *ret_len) {
        struct byte_source src;
        void *h = NULL;
        int r = store_open(s, st, name, &src, &h);
        if (r < 0)
                return r;
        struct store_handle *sh = h;
        uint64_t size = sh->is_mem ? sh->m.len : sh->p.end - sh->p.off;
        if (size > cap) {
                store_close(h);
                return diag_error(s->diag, -E2BIG, "'%s' in '%s' is too large (%llu bytes, limit %zu)", name,
                                  st->what, (unsigned long long) size, cap);
        }
        char *buf = malloc((size_t) size + 1);
        size_t got = 0;
        if (!buf) {
                store_close(h);
                return -ENOMEM;
        }
        while (got < size) {
                ssize_t k = src.read(src.userdata, buf + got, (size_t) size - got);
                if (k <= 0) {
                        free(buf);
                        store_close(h);
                        return diag_error(s->diag, k < 0 ? (int) k : -ENODATA, "cannot read '%s' in '%s'", name,
                                          st->what);
                }
                got += (size_t) k;
        }
        buf[got] = 0;
        store_close(h);
        *ret = buf;
        *ret_len = got;
        return 0;
}

/* ---- image description ---- */

/* "blobs/sha256/<hex>" for a digest, in the arena. */
static const char *blob_path(struct image_source *s, const char *digest) {
        return arena_printf(s->arena, "blobs/sha256/%s", digest_hex(digest));
}

/* The digest a member name implies: blobs/sha256/<hex> or <hex>.json / <hex>/layer.tar are not all
 * content addresses: only blobs/ and the legacy config name are. */
static bool digest_from_member(const char *name, const char *suffix, char out[DIGEST_STR_MAX]) {
        const char *base = name;
        if (str_has_prefix(name, "blobs/sha256/"))
                base = name + strlen("blobs/sha256/");
        else if (!suffix || !str_has_suffix(name, suffix) || strchr(name, '/'))
                return false;
        snprintf(out, DIGEST_STR_MAX, "sha256:%.64s", base);
        return digest_is_valid_sha256(out) && strlen(base) == 64 + (suffix && base == name ? strlen(suffix) : 0);
}

static int load_docker(struct image_source *s, struct store *st) {
        _cleanup_free_ char *data = NULL, *cfg = NULL;
        _cleanup_(json_decrefp) json_t *j = NULL;
        size_t len, cfg_len;
        char what[256], dg[DIGEST_STR_MAX];
        int r;

        snprintf(what, sizeof what, "manifest.json of '%s'", st->what);
        r = store_read_small(s, st, "manifest.json", META_CAP(s), &data, &len);
        if (r < 0)
                return r;
        r = json_parse_capped(data, len, META_CAP(s), what, s->diag, &j);
        if (r < 0)
                return r;
        if (!json_is_array(j) || json_array_size(j) == 0)
                return diag_error(s->diag, -EBADMSG, "%s lists no images", what);
        if (json_array_size(j) > 1)
                diag_warn(s->diag, "archive '%s' holds %zu images; scanning the first", st->what,
                          json_array_size(j));
        json_t *m = json_array_get(j, 0);
        const char *config = json_get_str(m, "Config");
        json_t *layers = json_get_arr(m, "Layers");
        if (!config || !layers)
                return diag_error(s->diag, -EBADMSG, "%s: entry 0 lacks Config or Layers", what);

        char cfgname[PATH_MAX_IMAGE + 1];
        if (path_normalize_member(config, cfgname) < 0)
                return diag_error(s->diag, -EBADMSG, "%s: invalid Config name '%.200s'", what, config);
        r = store_read_small(s, st, store_resolve(st, cfgname), META_CAP(s), &cfg, &cfg_len);
        if (r < 0)
                return r;
        r = image_parse_config(s, cfg, cfg_len, digest_from_member(cfgname, ".json", dg) ? dg : NULL);
        if (r < 0)
                return r;

        size_t n = json_array_size(layers);
        struct image_descriptor *descs = arena_alloc(s->arena, (n + 1) * sizeof *descs);
        const char **members = arena_alloc(s->arena, (n + 1) * sizeof *members);
        if (!descs || !members)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const char *l = json_string_value(json_array_get(layers, i));
                char norm[PATH_MAX_IMAGE + 1];
                if (!l || path_normalize_member(l, norm) < 0)
                        return diag_error(s->diag, -EBADMSG, "%s: Layers[%zu] is not a valid member name", what, i);
                members[i] = arena_strdup(s->arena, store_resolve(st, norm));
                if (!members[i])
                        return -ENOMEM;
                if (digest_from_member(members[i], NULL, dg))
                        descs[i].digest = arena_strdup(s->arena, dg);
                else
                        descs[i].digest = "";
        }
        r = image_set_layers(s, descs, n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                s->image.layers[i].member = members[i];

        s->image.repo_tags = json_strv_dup(s->arena, json_get_arr(m, "RepoTags"), 256);
        if (s->image.repo_tags && s->image.repo_tags[0])
                s->image.name = s->image.repo_tags[0];
        return 0;
}

static int load_oci(struct image_source *s, struct store *st) {
        _cleanup_free_ char *data = NULL, *man = NULL, *cfg = NULL;
        size_t len, man_len, cfg_len;
        struct image_descriptor pick, config, *layers;
        size_t n_layers;
        char what[256];
        int r;

        if (store_has(st, "oci-layout")) {
                _cleanup_free_ char *lay = NULL;
                _cleanup_(json_decrefp) json_t *lj = NULL;
                snprintf(what, sizeof what, "oci-layout of '%s'", st->what);
                r = store_read_small(s, st, "oci-layout", 64 * KiB, &lay, &len);
                if (r < 0)
                        return r;
                r = json_parse_capped(lay, len, 64 * KiB, what, s->diag, &lj);
                if (r < 0)
                        return r;
                const char *v = json_get_str(lj, "imageLayoutVersion");
                if (!v || !str_has_prefix(v, "1."))
                        return diag_error(s->diag, -EPROTONOSUPPORT, "%s: unsupported imageLayoutVersion '%s'", what,
                                          v ? v : "(none)");
        }

        snprintf(what, sizeof what, "index.json of '%s'", st->what);
        r = store_read_small(s, st, "index.json", META_CAP(s), &data, &len);
        if (r < 0)
                return r;
        r = image_pick_from_index(s, data, len, what, &pick);
        if (r < 0)
                return r;

        /* Follow nested indexes (an index.json pointing at a multi-platform index). */
        for (int depth = 0;; depth++) {
                char mwhat[128];
                snprintf(mwhat, sizeof mwhat, "manifest '%.19s'", pick.digest);
                man = mfree(man);
                r = store_read_small(s, st, blob_path(s, pick.digest), META_CAP(s), &man, &man_len);
                if (r < 0)
                        return r;
                char dg[DIGEST_STR_MAX];
                r = sha256_str(man, man_len, dg);
                if (r < 0)
                        return r;
                if (!streq(dg, pick.digest))
                        return diag_error(s->diag, -EBADMSG, "%s is corrupt: digest is %s", mwhat, dg);
                if (pick.media_type && (streq(pick.media_type, MT_OCI_INDEX) || streq(pick.media_type, MT_DOCKER_LIST))) {
                        if (depth >= 4)
                                return diag_error(s->diag, -ELOOP, "%s: indexes nested too deeply", what);
                        r = image_pick_from_index(s, man, man_len, mwhat, &pick);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = image_parse_manifest(s, man, man_len, mwhat, &config, &layers, &n_layers);
                if (r < 0)
                        return r;
                break;
        }
        s->image.manifest_digest = arena_strdup(s->arena, pick.digest);
        if (pick.platform_os && pick.platform_arch)
                s->image.platform = arena_printf(s->arena, "%s/%s%s%s", pick.platform_os, pick.platform_arch,
                                                 pick.platform_variant ? "/" : "",
                                                 pick.platform_variant ? pick.platform_variant : "");

        r = store_read_small(s, st, blob_path(s, config.digest), META_CAP(s), &cfg, &cfg_len);
        if (r < 0)
                return r;
        r = image_parse_config(s, cfg, cfg_len, config.digest);
        if (r < 0)
                return r;
        r = image_set_layers(s, layers, n_layers);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n_layers; i++) {
                s->image.layers[i].member = store_resolve(st, blob_path(s, layers[i].digest));
                if (!s->image.layers[i].member)
                        return -ENOMEM;
        }
        return 0;
}

int store_load_image(struct image_source *s, struct store *st) {
        int r;
        if (store_has(st, "manifest.json")) {
                r = load_docker(s, st);
                if (r >= 0 && store_has(st, "index.json")) {
                        /* OCI-in-archive (Docker 25+): the index names the manifest digest. */
                        _cleanup_free_ char *data = NULL;
                        _cleanup_(json_decrefp) json_t *j = NULL;
                        size_t len;
                        struct diag quiet;
                        diag_init(&quiet);
                        if (store_read_small(s, st, "index.json", META_CAP(s), &data, &len) >= 0 &&
                            json_parse_capped(data, len, META_CAP(s), "index.json", &quiet, &j) >= 0) {
                                json_t *ms = json_get_arr(j, "manifests");
                                if (ms && json_array_size(ms) == 1)
                                        s->image.manifest_digest =
                                                arena_strdup(s->arena, json_get_str(json_array_get(ms, 0), "digest"));
                        }
                        diag_done(&quiet);
                }
                return r;
        }
        if (store_has(st, "index.json")) {
                s->image.source_kind = "oci";
                return load_oci(s, st);
        }
        return diag_error(s->diag, -EBADMSG, "'%s' is neither a docker-save archive nor an OCI layout "
                                             "(no manifest.json or index.json)", st->what);
}

/* ---- the source kinds ---- */

struct archive_priv {
        struct store st;
};

static int archive_open_layer(struct image_source *s, size_t index, struct byte_source *ret_src,
                              void **ret_handle) {
        struct archive_priv *p = s->priv;
        if (index >= s->image.n_layers)
                return -EINVAL;
        return store_open(s, &p->st, s->image.layers[index].member, ret_src, ret_handle);
}

static void archive_close_layer(struct image_source *s, void *handle) {
        store_close(handle);
}

static void archive_free(struct image_source *s) {
        struct archive_priv *p = s->priv;
        if (!p)
                return;
        store_done(&p->st);
        free(p);
        s->priv = NULL;
}

static ssize_t fd_read(void *userdata, void *buf, size_t n) {
        int fd = *(int *) userdata;
        ssize_t k;
        do
                k = read(fd, buf, n);
        while (k < 0 && errno == EINTR);
        return k < 0 ? negative_errno() : k;
}

static int archive_stream(struct image_source *s,
                          int (*on_blob)(void *userdata, const char *member, const struct byte_source *src),
                          void *userdata) {
        struct archive_priv *p = s->priv;
        if (lseek(p->st.fd, 0, SEEK_SET) < 0)
                return negative_errno();
        struct byte_source src = { fd_read, &p->st.fd };
        return image_stream_archive(s, &src, on_blob, userdata);
}

static int open_path(struct image_source *s, const char *path, bool want_oci) {
        struct archive_priv *p = calloc(1, sizeof *p);
        struct stat st;
        int r;

        if (!p)
                return -ENOMEM;
        p->st.fd = -1;
        p->st.what = arena_strdup(s->arena, path);
        s->priv = p;

        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return diag_error(s->diag, negative_errno(), "cannot open '%s': %s", path, strerror(errno));
        p->st.fd = fd;
        if (fstat(fd, &st) < 0)
                return diag_error(s->diag, negative_errno(), "cannot stat '%s': %s", path, strerror(errno));

        if (S_ISDIR(st.st_mode)) {
                p->st.kind = STORE_DIR;
                return store_load_image(s, &p->st);
        }
        if (!S_ISREG(st.st_mode))
                return diag_error(s->diag, -EINVAL, "'%s' is neither a file nor a directory", path);

        unsigned char magic[6] = { 0 };
        ssize_t k = pread(fd, magic, sizeof magic, 0);
        if (k < 0)
                return diag_error(s->diag, negative_errno(), "cannot read '%s': %s", path, strerror(errno));
        bool compressed = (k >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) ||
                          (k >= 4 && memcmp(magic, "\x28\xb5\x2f\xfd", 4) == 0) ||
                          (k >= 6 && memcmp(magic, "\xfd" "7zXZ\0", 6) == 0) ||
                          (k >= 3 && memcmp(magic, "BZh", 3) == 0);
        if (compressed) {
                /* No random access into a compressed archive: layers come in stream order. Metadata is
                 * only known at the end, so the caller's stream pass fills s->image. */
                s->sequential = true;
                return 0;
        }
        p->st.kind = STORE_TAR;
        p->st.file_size = (uint64_t) st.st_size;
        r = tar_index_build(fd, p->st.file_size, path, s->diag, &p->st.index);
        if (r < 0)
                return r;
        (void) want_oci;
        return store_load_image(s, &p->st);
}

static int docker_archive_open(struct image_source *s, const char *ref) {
        return open_path(s, ref, false);
}

static int oci_open(struct image_source *s, const char *ref) {
        return open_path(s, ref, true);
}

const struct image_source_ops image_source_docker_archive = {
        .kind = "docker-archive",
        .open = docker_archive_open,
        .open_layer = archive_open_layer,
        .close_layer = archive_close_layer,
        .stream = archive_stream,
        .free = archive_free,
};

const struct image_source_ops image_source_oci = {
        .kind = "oci",
        .open = oci_open,
        .open_layer = archive_open_layer,
        .close_layer = archive_close_layer,
        .stream = archive_stream,
        .free = archive_free,
};
