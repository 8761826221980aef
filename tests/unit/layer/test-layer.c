/* SPDX-License-Identifier: Apache-2.0 */
/* The layer pass and the merged view, on crafted layers. */

#include <zlib.h>
#include <zstd.h>

#include "cache/cache.h"
#include "layer/layer.h"
#include "path-util.h"
#include "tarbuild.h"
#include "tests.h"
#include "view/view.h"

struct memsrc {
        const char *p;
        size_t n, pos, chunk;
};

static ssize_t mem_read(void *userdata, void *buf, size_t n) {
        struct memsrc *m = userdata;
        n = MIN(n, m->n - m->pos);
        if (m->chunk)
                n = MIN(n, m->chunk);
        memcpy(buf, m->p + m->pos, n);
        m->pos += n;
        return (ssize_t) n;
}

static int analyze(const void *data, size_t n, const char *digest, const char *diff_id, struct layer_options *o,
                   struct diag *d, struct layer_result **ret) {
        struct memsrc m = { data, n, 0, 0 };
        struct byte_source src = { mem_read, &m };
        struct layer_expect e = { .index = 0, .digest = digest, .diff_id = diff_id, .name = "test" };
        return layer_analyze_blob(&src, &e, o, d, ret);
}

static struct layer_options default_opts(void) {
        struct layer_options o = { 0 };
        layer_limits_default(&o.limits);
        return o;
}

static const struct layer_file *find(const struct layer_result *r, const char *path) {
        for (size_t i = 0; i < r->files.n; i++)
                if (streq(r->files.items[i].path, path))
                        return &r->files.items[i];
        return NULL;
}

static bool has_warning(const struct layer_result *r, const char *needle) {
        for (size_t i = 0; i < r->warnings.n; i++)
                if (strstr(r->warnings.items[i], needle))
                        return true;
        return false;
}

TEST(plain_tar_members_and_digests) {
        struct tarbuild t;
        tb_init(&t);
        tb_dir(&t, "etc/");
        tb_file(&t, "etc/hello", "hi\n");
        tb_symlink(&t, "etc/link", "../usr/lib/os-release");
        tb_hardlink(&t, "etc/hard", "etc/hello");
        tb_file(&t, "./usr//lib/../lib/x", "x");
        tb_finish(&t);

        char dg[DIGEST_STR_MAX];
        sha256_str(t.buf, t.used, dg);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        REQUIRE(analyze(t.buf, t.used, dg, dg, &o, &d, &r) == 0);
        CHECK_STR(r->digest, dg);
        CHECK_STR(r->diff_id, dg);
        CHECK_INT(r->bytes_tar, t.used);
        CHECK(find(r, "etc") && find(r, "etc")->kind == LF_DIR);
        CHECK(find(r, "etc/hello") && find(r, "etc/hello")->size == 3);
        CHECK(find(r, "etc/link") && streq(find(r, "etc/link")->link, "../usr/lib/os-release"));
        CHECK(find(r, "etc/hard") && find(r, "etc/hard")->kind == LF_HARDLINK);
        CHECK(find(r, "usr/lib/x") != NULL);
        layer_result_free(r);
        diag_done(&d);
        tb_free(&t);
}

TEST(wrong_digest_is_an_error) {
        struct tarbuild t;
        tb_init(&t);
        tb_file(&t, "a", "a");
        tb_finish(&t);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        const char *bad = "sha256:0000000000000000000000000000000000000000000000000000000000000000";
        CHECK_INT(analyze(t.buf, t.used, NULL, bad, &o, &d, &r), -EBADMSG);
        CHECK(strstr(d.error, "diff_id is sha256:") && strstr(d.error, "expected sha256:0000"));
        CHECK(r == NULL);
        diag_done(&d);
        tb_free(&t);
}

TEST(hostile_members_are_skipped_with_warnings) {
        struct tarbuild t;
        tb_init(&t);
        tb_file(&t, "../../etc/passwd", "evil");
        tb_file(&t, "/abs/file", "ok: absolute names are rooted at the image root");
        tb_file(&t, "a/../../escape", "evil");
        tb_hardlink(&t, "hl", "../../etc/shadow");
        tb_symlink(&t, "abs-link", "/etc/shadow");     /* fine: resolved inside the image */
        tb_symlink(&t, "loop1", "loop2");
        tb_symlink(&t, "loop2", "loop1");
        tb_file(&t, "ok", "fine");
        tb_finish(&t);

        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        REQUIRE(analyze(t.buf, t.used, NULL, NULL, &o, &d, &r) == 0);
        CHECK(find(r, "abs/file") != NULL);
        CHECK(find(r, "ok") != NULL);
        CHECK(find(r, "hl") == NULL);
        CHECK(find(r, "etc/passwd") == NULL);
        CHECK(find(r, "escape") == NULL);
        CHECK(has_warning(r, "climbs out of the image root"));
        CHECK(has_warning(r, "outside the image root"));
        CHECK(find(r, "abs-link") != NULL);

        /* The view resolves links inside the root and stops loops. */
        struct view *v = NULL;
        REQUIRE(view_build(&r, 1, &d, &v) == 0);
        char out[PATH_MAX_IMAGE + 1];
        CHECK_INT(view_resolve(v, "loop1", out), -ELOOP);
        CHECK_INT(view_resolve(v, "abs-link", out), -ENOENT); /* etc/shadow is not in the image */
        view_free(v);
        layer_result_free(r);
        diag_done(&d);
        tb_free(&t);
}

TEST(whiteouts_are_recognized) {
        struct tarbuild t;
        tb_init(&t);
        tb_file(&t, "etc/.wh.gone", "");
        tb_file(&t, "var/cache/.wh..wh..opq", "");
        tb_file(&t, ".wh..wh.plnk/x", "");
        tb_finish(&t);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        REQUIRE(analyze(t.buf, t.used, NULL, NULL, &o, &d, &r) == 0);
        CHECK(find(r, "etc/gone") && find(r, "etc/gone")->kind == LF_WHITEOUT);
        CHECK(find(r, "var/cache") && find(r, "var/cache")->kind == LF_OPAQUE);
        layer_result_free(r);
        diag_done(&d);
        tb_free(&t);
}

static size_t gzip_buf(const void *in, size_t n, void *out, size_t cap) {
        z_stream z = { 0 };
        deflateInit2(&z, 1, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
        z.next_in = (void *) in;
        z.avail_in = (uInt) n;
        z.next_out = out;
        z.avail_out = (uInt) cap;
        deflate(&z, Z_FINISH);
        size_t k = cap - z.avail_out;
        deflateEnd(&z);
        return k;
}

TEST(gzip_and_zstd_layers_verify_both_digests) {
        struct tarbuild t;
        tb_init(&t);
        tb_file(&t, "etc/os-release", "ID=debian\n");
        tb_finish(&t);
        char diff_id[DIGEST_STR_MAX], dg[DIGEST_STR_MAX];
        sha256_str(t.buf, t.used, diff_id);

        char *gz = malloc(t.used + 1024);
        size_t gzn = gzip_buf(t.buf, t.used, gz, t.used + 1024);
        sha256_str(gz, gzn, dg);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        REQUIRE(analyze(gz, gzn, dg, diff_id, &o, &d, &r) == 0);
        CHECK_STR(r->diff_id, diff_id);
        CHECK_STR(r->digest, dg);
        CHECK_INT(r->bytes_stored, gzn);
        layer_result_free(r);

        /* truncated gzip */
        r = NULL;
        CHECK(analyze(gz, gzn / 2, NULL, NULL, &o, &d, &r) < 0);
        CHECK(strstr(d.error, "truncated") || strstr(d.error, "corrupt"));
        diag_done(&d);
        diag_init(&d);

        size_t zn = ZSTD_compressBound(t.used);
        char *zs = malloc(zn);
        zn = ZSTD_compress(zs, zn, t.buf, t.used, 3);
        sha256_str(zs, zn, dg);
        REQUIRE(analyze(zs, zn, dg, diff_id, &o, &d, &r) == 0);
        CHECK_STR(r->diff_id, diff_id);
        layer_result_free(r);
        free(gz);
        free(zs);
        diag_done(&d);
        tb_free(&t);
}

TEST(truncated_tar_is_an_error) {
        struct tarbuild t;
        tb_init(&t);
        char big[20000];
        memset(big, 'a', sizeof big - 1);
        big[sizeof big - 1] = 0;
        tb_file(&t, "big", big);
        tb_finish(&t);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        CHECK(analyze(t.buf, 5000, NULL, NULL, &o, &d, &r) < 0);
        CHECK(d.error[0] != 0);
        diag_done(&d);
        tb_free(&t);
}

TEST(huge_sparse_member_is_cheap) {
        struct tarbuild t;
        tb_init(&t);
        tb_sparse(&t, "var/huge", (int64_t) 1 << 40); /* declares 1 TiB */
        tb_file(&t, "after", "still read");
        tb_finish(&t);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        REQUIRE(analyze(t.buf, t.used, NULL, NULL, &o, &d, &r) == 0);
        CHECK(find(r, "var/huge") && find(r, "var/huge")->size == (uint64_t) 1 << 40);
        CHECK(find(r, "after") != NULL);
        CHECK(r->bytes_tar < 64 * 1024);
        layer_result_free(r);
        diag_done(&d);
        tb_free(&t);
}

TEST(decompression_bomb_is_refused) {
        /* 64 KiB of zeros as one gzip member, repeated: tiny input, huge output. */
        static char zeros[1 << 16];
        char member[1024];
        size_t mn = gzip_buf(zeros, sizeof zeros, member, sizeof member);
        size_t reps = 20000; /* 1.3 GB out of ~2 MB */
        char *bomb = malloc(mn * reps);
        for (size_t i = 0; i < reps; i++)
                memcpy(bomb + i * mn, member, mn);
        struct layer_options o = default_opts();
        o.limits.ratio_grace = 16 * MiB; /* the default is 256 MiB; the mechanism is the same */
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        CHECK(analyze(bomb, mn * reps, NULL, NULL, &o, &d, &r) < 0);
        CHECK(strstr(d.error, "decompression bomb") || strstr(d.error, "not a valid tar"));
        diag_done(&d);
        free(bomb);
}

TEST(size_limit_is_enforced) {
        struct tarbuild t;
        tb_init(&t);
        static char blob[300000];
        memset(blob, 'b', sizeof blob - 1);
        tb_file(&t, "blob", blob);
        tb_finish(&t);
        struct layer_options o = default_opts();
        o.limits.max_tar_bytes = 100000;
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        CHECK_INT(analyze(t.buf, t.used, NULL, NULL, &o, &d, &r), -EFBIG);
        CHECK(strstr(d.error, "unpacks to more than"));
        diag_done(&d);
        tb_free(&t);
}

static struct layer_result *layer_of(const char *const *spec) {
        /* spec: "f:path", "d:path", "l:path=target", "w:path" (whiteout), "o:path" (opaque dir) */
        struct tarbuild t;
        tb_init(&t);
        for (const char *const *s = spec; *s; s++) {
                const char *p = *s + 2;
                char name[512];
                switch ((*s)[0]) {
                case 'f': tb_file(&t, p, "content"); break;
                case 'd': tb_dir(&t, p); break;
                case 'l': {
                        const char *eq = strchr(p, '=');
                        snprintf(name, sizeof name, "%.*s", (int) (eq - p), p);
                        tb_symlink(&t, name, eq + 1);
                        break;
                }
                case 'w': {
                        const char *slash = strrchr(p, '/');
                        if (slash)
                                snprintf(name, sizeof name, "%.*s/.wh.%s", (int) (slash - p), p, slash + 1);
                        else
                                snprintf(name, sizeof name, ".wh.%s", p);
                        tb_file(&t, name, "");
                        break;
                }
                case 'o': snprintf(name, sizeof name, "%s/.wh..wh..opq", p); tb_file(&t, name, ""); break;
                }
        }
        tb_finish(&t);
        struct layer_options o = default_opts();
        struct diag d;
        diag_init(&d);
        struct layer_result *r = NULL;
        analyze(t.buf, t.used, NULL, NULL, &o, &d, &r);
        diag_done(&d);
        tb_free(&t);
        return r;
}

TEST(view_applies_whiteouts_opaque_and_replacement) {
        static const char *const l0[] = { "d:etc", "f:etc/a", "f:etc/b", "d:var/cache", "f:var/cache/x",
                                          "d:opt/d", "f:opt/d/inner", "l:lib=usr/lib", "d:usr/lib", NULL };
        static const char *const l1[] = { "w:etc/a", "o:var/cache", "f:var/cache/y", "f:opt/d", "f:lib/z",
                                           "f:etc/c", NULL };
        static const char *const l2[] = { "f:etc/a", NULL };
        struct layer_result *L[3] = { layer_of(l0), layer_of(l1), layer_of(l2) };
        REQUIRE(L[0] && L[1] && L[2]);
        struct diag d;
        diag_init(&d);
        struct view *v = NULL;
        REQUIRE(view_build(L, 3, &d, &v) == 0);

        CHECK(view_lookup(v, "etc/b") && view_lookup(v, "etc/b")->layer == 0);
        CHECK(view_lookup(v, "etc/c") && view_lookup(v, "etc/c")->layer == 1);
        CHECK(view_lookup(v, "etc/a") && view_lookup(v, "etc/a")->layer == 2); /* re-added after the whiteout */
        CHECK_INT(view_file_state(v, "etc/a", 0), FILE_OVERWRITTEN);
        CHECK_INT(view_file_state(v, "etc/a", 2), FILE_PRESENT);
        CHECK(view_lookup(v, "var/cache/x") == NULL);                  /* hidden by the opaque dir */
        CHECK_INT(view_file_state(v, "var/cache/x", 0), FILE_DELETED);
        CHECK(view_lookup(v, "var/cache/y") != NULL);
        CHECK(view_lookup(v, "opt/d")->file->kind == LF_REG);          /* a file replaced the directory */
        CHECK(view_lookup(v, "opt/d/inner") == NULL);
        CHECK(view_lookup(v, "lib/z") == NULL);                        /* landed through the symlink */
        CHECK(view_lookup(v, "usr/lib/z") != NULL);
        CHECK_INT(view_file_state(v, "lib/z", 1), FILE_PRESENT);
        char out[PATH_MAX_IMAGE + 1];
        CHECK_INT(view_resolve(v, "lib/z", out), 0);
        CHECK_STR(out, "usr/lib/z");
        view_free(v);
        for (int i = 0; i < 3; i++)
                layer_result_free(L[i]);
        diag_done(&d);
}

TEST(cache_codec_roundtrip_and_corruption) {
        static const char *const l0[] = { "d:etc", "f:etc/a", "f:etc/ab", "l:x=/etc/a", "w:gone", NULL };
        struct layer_result *r = layer_of(l0);
        REQUIRE(r);
        struct pkg *p = VEC_NEW(&r->pkgs);
        static const char *lic[] = { "MIT", "GPL-2.0-only", NULL };
        *p = (struct pkg){ .type = PKG_DEB, .name = "bash", .version = "5.2", .record_path = "var/lib/dpkg/status",
                           .licenses = lic, .flags = PKG_F_NESTED, .layer = -1, .record_layer = -1 };
        struct secret_finding *s = VEC_NEW(&r->secrets);
        *s = (struct secret_finding){ .rule_id = "aws", .title = "AWS", .category = "AWS", .severity = SEV_CRITICAL,
                                      .path = "etc/a", .line = 3, .offset = 17, .excerpt = "key=AKIA****" };
        struct layer_fact f = { FACT_OS_FILE, "etc/os-release", NULL, "ID=x\n", 5 };
        VEC_PUSH(&r->facts, f);
        VEC_PUSH(&r->warnings, "a warning");

        void *data;
        size_t len;
        REQUIRE(layer_result_encode(r, &data, &len) == 0);
        /* STOCKADE_WRITE_CODEC_SEED=FILE writes this encoding out as a fuzz seed. */
        const char *seed = getenv("STOCKADE_WRITE_CODEC_SEED");
        if (seed) {
                FILE *sf = fopen(seed, "wb");
                if (sf) {
                        fwrite(data, 1, len, sf);
                        fclose(sf);
                }
        }
        struct layer_result *back = NULL;
        REQUIRE(layer_result_decode(data, len, &back) == 0);
        CHECK_INT(back->files.n, r->files.n);
        for (size_t i = 0; i < r->files.n && i < back->files.n; i++) {
                CHECK_STR(back->files.items[i].path, r->files.items[i].path);
                CHECK_INT(back->files.items[i].kind, r->files.items[i].kind);
        }
        CHECK_STR(back->pkgs.items[0].licenses[1], "GPL-2.0-only");
        CHECK_INT(back->pkgs.items[0].flags, PKG_F_NESTED);
        CHECK_STR(back->secrets.items[0].excerpt, "key=AKIA****");
        CHECK_INT(back->facts.items[0].len, 5);
        CHECK_STR(back->warnings.items[0], "a warning");
        CHECK(back->from_cache);
        layer_result_free(back);

        /* Every truncation and a sweep of single-byte corruptions must fail cleanly or decode. */
        for (size_t n = 0; n < len; n++) {
                back = NULL;
                CHECK(layer_result_decode(data, n, &back) < 0);
        }
        unsigned char *copy = malloc(len);
        for (size_t i = 0; i < len; i++) {
                memcpy(copy, data, len);
                copy[i] ^= 0xff;
                back = NULL;
                if (layer_result_decode(copy, len, &back) == 0)
                        layer_result_free(back);
        }
        free(copy);
        free(data);
        layer_result_free(r);
}

TEST(result_snapshot_roundtrip_and_corruption) {
        struct arena *a = arena_new(0);
        static const char *lic[] = { "MIT", NULL };
        struct pkg pk = { .type = PKG_NPM, .name = "@babel/core", .version = "7.0.0", .record_path = "app/x/package.json",
                          .licenses = lic, .purl = "pkg:npm/%40babel/core@7.0.0", .owner = NULL, .layer = 2,
                          .record_layer = 3, .flags = PKG_F_NPM_DEV };
        struct secret_finding sf = { .rule_id = "jwt", .title = "JWT", .category = "JWT", .severity = SEV_HIGH,
                                     .path = "app/.env", .line = 2, .offset = 9, .excerpt = "T=eyJ****", .layer = 1,
                                     .state = FILE_DELETED };
        struct misconfig_finding mf = { .id = "STK-IMG-001", .cis = "4.1", .title = "root", .severity = SEV_HIGH,
                                        .message = "no USER", .remediation = "add USER", .layer = -1 };
        struct snapshot_layer layers[1] = { { .bytes_stored = 5, .bytes_tar = 10, .n_files = 3 } };
        strcpy(layers[0].diff_id, "sha256:0000000000000000000000000000000000000000000000000000000000000000");
        const char *warnings[] = { "a warning", NULL };
        struct result_snapshot sn = { .os = { .id = "debian", .version_id = "12" }, .layers = layers, .n_layers = 1,
                                      .n_files = 3, .warnings = warnings, .secrets_scanned = true };
        VEC_PUSH(&sn.pkgs, pk);
        VEC_PUSH(&sn.secrets, sf);
        VEC_PUSH(&sn.misconfigs, mf);
        void *data;
        size_t len;
        REQUIRE(result_snapshot_encode(&sn, &data, &len) == 0);
        struct result_snapshot back;
        REQUIRE(result_snapshot_decode(data, len, a, &back) == 0);
        CHECK_STR(back.os.id, "debian");
        CHECK_INT(back.pkgs.n, 1);
        CHECK_STR(back.pkgs.items[0].purl, "pkg:npm/%40babel/core@7.0.0");
        CHECK_INT(back.pkgs.items[0].layer, 2);
        CHECK_INT(back.pkgs.items[0].record_layer, 3);
        CHECK_INT(back.secrets.items[0].state, FILE_DELETED);
        CHECK_INT(back.secrets.items[0].layer, 1);
        CHECK_INT(back.misconfigs.items[0].layer, -1);
        CHECK_STR(back.layers[0].diff_id, layers[0].diff_id);
        CHECK_STR(back.warnings[0], "a warning");
        CHECK(back.secrets_scanned && !back.misconfig_scanned);
        VEC_FREE(&back.pkgs);
        VEC_FREE(&back.secrets);
        VEC_FREE(&back.misconfigs);
        for (size_t n = 0; n < len; n++)
                CHECK(result_snapshot_decode(data, n, a, &back) < 0);
        unsigned char *copy = malloc(len);
        for (size_t i = 0; i < len; i++) {
                memcpy(copy, data, len);
                copy[i] ^= 0x5a;
                if (result_snapshot_decode(copy, len, a, &back) == 0) {
                        VEC_FREE(&back.pkgs);
                        VEC_FREE(&back.secrets);
                        VEC_FREE(&back.misconfigs);
                }
        }
        free(copy);
        const char *seed = getenv("STOCKADE_WRITE_SNAPSHOT_SEED");
        if (seed) {
                FILE *f = fopen(seed, "wb");
                if (f) {
                        fwrite(data, 1, len, f);
                        fclose(f);
                }
        }
        free(data);
        VEC_FREE(&sn.pkgs);
        VEC_FREE(&sn.secrets);
        VEC_FREE(&sn.misconfigs);
        arena_free(a);
}
