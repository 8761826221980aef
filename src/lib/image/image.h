/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Image sources: where an image's metadata and layers come from. A TARGET string names one:
 *
 *   docker-archive:PATH   `docker save` output (legacy layout or OCI-in-archive), tar, maybe compressed
 *   oci:PATH              OCI image layout, directory or tar
 *   docker:NAME           the local engine, over its unix socket
 *   registry:REF          an OCI distribution (v2) registry
 *   dir:PATH              a root filesystem
 *   PATH or NAME          resolved: an existing directory (OCI layout if it has oci-layout, else a root
 *                         filesystem), an existing file (archive), else the engine
 *
 * Opening a source reads and verifies the small metadata (index, manifest, config). Layers are then read
 * either by index (random access: files, registries), possibly from several threads at once, or in the
 * order a stream delivers them (an engine export, a compressed archive).
 *
 * Ownership: the image_source owns the struct image and everything in it. */

#include "arena.h"
#include "core/diag.h"
#include "core/digest.h"
#include "layer/layer.h"

struct image_history {
        const char *created;
        const char *created_by;
        const char *comment;
        bool empty_layer;
};

struct image_kv {
        const char *key;
        const char *value;
};

/* The parts of an OCI / Docker image configuration stockade uses. Arrays are NULL-terminated. */
struct image_config {
        const char *os, *architecture, *variant;
        const char *created;
        const char *user;
        const char *working_dir;
        const char **env;
        const char **cmd;
        const char **entrypoint;
        const char **exposed_ports;   /* "22/tcp" */
        const char **volumes;
        const char **healthcheck;     /* Healthcheck.Test; NULL when none; ["NONE"] when disabled */
        const char *stop_signal;
        struct image_kv *labels;
        size_t n_labels;
        struct image_history *history;
        size_t n_history;
        const char **diff_ids;        /* rootfs.diff_ids, verified well-formed */
        size_t n_diff_ids;
};

struct image_layer {
        char digest[DIGEST_STR_MAX];  /* digest of the blob as stored; may equal diff_id */
        char diff_id[DIGEST_STR_MAX]; /* digest of the uncompressed tar */
        const char *media_type;       /* may be NULL (legacy docker archives) */
        uint64_t size;                /* stored size when known, else 0 */
        const char *created_by;       /* the history line that made it, when history lines up */
        const char *member;           /* stream sources: the archive member that holds it */
};

struct image {
        const char *target;           /* as given by the user */
        const char *source_kind;      /* "docker-archive", "oci", "docker", "registry", "dir" */
        const char *name;             /* a human name: tag, reference or path */
        const char *id;               /* config digest (the image ID); NULL for dir: */
        const char *manifest_digest;  /* when known */
        const char *platform;         /* "linux/amd64" as chosen from an index */
        const char **repo_tags;       /* NULL-terminated, may be empty */
        const char **repo_digests;
        const char *config_raw;       /* the config bytes, NUL-terminated; NULL for dir: */
        size_t config_len;
        struct image_config config;
        struct image_layer *layers;
        size_t n_layers;
        const char *rootfs_dir;       /* dir: targets */
};

struct image_source_options {
        const char *platform;         /* "os/arch[/variant]"; default linux/amd64 */
        bool insecure;                /* registry: allow plain HTTP and skip TLS verification */
        const char *username;         /* registry credentials; else docker config / environment */
        const char *password;
        const char *docker_host;      /* engine socket; default $DOCKER_HOST or /var/run/docker.sock */
        const char *tmpdir;           /* private temporary area, for sources that need one */
        uint64_t max_metadata_bytes;  /* cap on index/manifest/config JSON, default 8 MiB */
};

struct image_source;

/* The operations of one kind of source; image_source_open() picks the right one. Random-access sources
 * implement open_layer (callable from several threads at once); stream sources implement stream. */
struct image_source_ops {
        const char *kind;
        int (*open)(struct image_source *s, const char *ref);
        int (*open_layer)(struct image_source *s, size_t index, struct byte_source *ret_src,
                          void **ret_handle);
        void (*close_layer)(struct image_source *s, void *handle);
        int (*stream)(struct image_source *s,
                      int (*on_blob)(void *userdata, const char *member, const struct byte_source *src),
                      void *userdata);
        void (*free)(struct image_source *s);
};

struct image_source {
        const struct image_source_ops *ops;
        const struct image_source_options *opts;
        struct diag *diag;
        struct arena *arena; /* owns the struct image and its strings */
        struct image image;
        void *priv;          /* the kind's own state */
        bool sequential;     /* layers only come through ops->stream, even if open_layer exists */
};

int image_source_open(const char *target, const struct image_source_options *opts, struct diag *d,
                      struct image_source **ret);
void image_source_free(struct image_source *s);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct image_source *, image_source_free);

static inline const struct image *image_source_image(const struct image_source *s) {
        return &s->image;
}
static inline bool image_source_is_random_access(const struct image_source *s) {
        return s->ops->open_layer != NULL && !s->sequential;
}

/* ---- shared by the source kinds (image-json.c) ---- */

/* Parses an image config (OCI or Docker) into img->config / img->id; verifies that the bytes hash to
 * expected_digest when given. Copies what it keeps into the source's arena. */
int image_parse_config(struct image_source *s, const char *data, size_t len, const char *expected_digest);

/* Fills img->layers from a manifest's layer descriptors and the config's diff_ids (which must agree in
 * number). media types of layers that are not tar (foreign or unknown) are rejected. */
struct image_descriptor {
        const char *media_type;
        const char *digest;
        uint64_t size;
        const char *platform_os, *platform_arch, *platform_variant;
};
int image_set_layers(struct image_source *s, const struct image_descriptor *descs, size_t n);

/* Parses an OCI image manifest or Docker schema 2 manifest. The descriptors point into the arena. */
int image_parse_manifest(struct image_source *s, const char *data, size_t len, const char *what,
                         struct image_descriptor *ret_config, struct image_descriptor **ret_layers,
                         size_t *ret_n);

/* Picks a manifest from an OCI index / Docker manifest list for the wanted platform. */
int image_pick_from_index(struct image_source *s, const char *data, size_t len, const char *what,
                          struct image_descriptor *ret);

/* Lines history entries up with layers (history entries with empty_layer make none). */
void image_attach_history(struct image *img);

/* Splits "os/arch[/variant]". */
int image_platform_parse(const char *s, char **ret_os, char **ret_arch, char **ret_variant);

extern const struct image_source_ops image_source_docker_archive;
extern const struct image_source_ops image_source_oci;
extern const struct image_source_ops image_source_dir;
extern const struct image_source_ops image_source_docker;
extern const struct image_source_ops image_source_registry;

/* Media types */
#define MT_OCI_INDEX      "application/vnd.oci.image.index.v1+json"
#define MT_OCI_MANIFEST   "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_CONFIG     "application/vnd.oci.image.config.v1+json"
#define MT_DOCKER_LIST    "application/vnd.docker.distribution.manifest.list.v2+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_CONFIG  "application/vnd.docker.container.image.v1+json"
