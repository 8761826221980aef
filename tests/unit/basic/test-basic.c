/* SPDX-License-Identifier: Apache-2.0 */
#include "arena.h"
#include "buf.h"
#include "hashmap.h"
#include "path-util.h"
#include "tests.h"
#include "vec.h"

TEST(path_normalize_member) {
        char out[PATH_MAX_IMAGE + 1];
        static const struct {
                const char *in, *out;
                int r;
        } cases[] = {
                { "./etc/passwd", "etc/passwd", 0 },
                { "/etc//passwd/", "etc/passwd", 0 },
                { "usr/./lib/../bin", "usr/bin", 0 },
                { "a/b/../../c", "c", 0 },
                { "../etc/passwd", NULL, -EXDEV },
                { "a/../../etc", NULL, -EXDEV },
                { "./", "", 0 },
                { "", NULL, -EINVAL },
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = path_normalize_member(cases[i].in, out);
                CHECK_INT(r, cases[i].r);
                if (r == 0)
                        CHECK_STR(out, cases[i].out);
        }
}

TEST(path_too_long_or_deep) {
        char out[PATH_MAX_IMAGE + 1];
        char *in = malloc(20000);
        memset(in, 'a', 19999);
        in[19999] = 0;
        CHECK_INT(path_normalize_member(in, out), -ENAMETOOLONG);
        for (int i = 0; i < 9000; i++)
                in[i * 2] = 'a', in[i * 2 + 1] = '/';
        in[18000] = 0;
        CHECK_INT(path_normalize_member(in, out), -E2BIG);
        free(in);
}

TEST(path_link_targets_stay_in_root) {
        char out[PATH_MAX_IMAGE + 1];
        CHECK_INT(path_resolve_link_target("etc/os-release", "../usr/lib/os-release", out), 0);
        CHECK_STR(out, "usr/lib/os-release");
        CHECK_INT(path_resolve_link_target("a/b", "../../../../etc/shadow", out), 0);
        CHECK_STR(out, "etc/shadow");
        CHECK_INT(path_resolve_link_target("bin", "/usr/bin", out), 0);
        CHECK_STR(out, "usr/bin");
}

TEST(path_predicates) {
        CHECK(path_is_under("usr/lib/x", "usr/lib"));
        CHECK(path_is_under("usr/lib", "usr/lib"));
        CHECK(!path_is_under("usr/libx", "usr/lib"));
        CHECK(path_has_component("app/node_modules/x/package.json", "node_modules"));
        CHECK(!path_has_component("app/node_modulesx/package.json", "node_modules"));
        CHECK_STR(path_basename("a/b/c"), "c");
        CHECK_INT(path_dirname_len("a/b/c"), 3);
        CHECK_INT(path_dirname_len("c"), 0);
}

TEST(hashmap_put_get_remove) {
        struct hashmap *h = hashmap_new();
        char keys[2000][16];
        for (int i = 0; i < 2000; i++) {
                snprintf(keys[i], sizeof keys[i], "k%d", i);
                CHECK_INT(hashmap_put(h, keys[i], (void *) (intptr_t) (i + 1), NULL), 0);
        }
        CHECK_INT(hashmap_size(h), 2000);
        for (int i = 0; i < 2000; i += 2)
                CHECK_INT((intptr_t) hashmap_remove(h, keys[i]), i + 1);
        CHECK_INT(hashmap_size(h), 1000);
        for (int i = 0; i < 2000; i++)
                CHECK_INT((intptr_t) hashmap_get(h, keys[i]), i % 2 ? i + 1 : 0);
        void *old = NULL;
        CHECK_INT(hashmap_put(h, keys[1], (void *) 7, &old), 1);
        CHECK_INT((intptr_t) old, 2);
        size_t n = 0;
        const char *k;
        void *v;
        HASHMAP_FOREACH(k, v, h, it)
                n++;
        CHECK_INT(n, 1000);
        hashmap_free(h);
}

TEST(buf_cap_is_enforced) {
        struct buf b = BUF_INIT(10);
        CHECK_INT(buf_append_str(&b, "12345"), 0);
        CHECK_INT(buf_append_str(&b, "67890"), 0);
        CHECK_INT(buf_append_str(&b, "x"), -E2BIG);
        CHECK_INT(b.len, 10);
        CHECK_STR(b.data, "1234567890");
        buf_free(&b);
        struct buf u = BUF_INIT(0);
        CHECK_INT(buf_printf(&u, "%s-%d", "abc", 42), 0);
        CHECK_STR(u.data, "abc-42");
        buf_free(&u);
}

TEST(arena_cap) {
        struct arena *a = arena_new(1024);
        CHECK(arena_alloc(a, 512) != NULL);
        CHECK(arena_alloc(a, 600) == NULL);
        CHECK(arena_exhausted(a));
        arena_free(a);
        a = arena_new(0);
        for (int i = 0; i < 10000; i++)
                CHECK(arena_printf(a, "%d", i) != NULL);
        CHECK(arena_alloc(a, 1 << 20) != NULL);
        arena_free(a);
}

TEST(vec) {
        VEC(int) v = { 0 };
        for (int i = 0; i < 100; i++)
                CHECK_INT(VEC_PUSH(&v, i), 0);
        CHECK_INT(v.n, 100);
        int sum = 0;
        VEC_FOREACH(p, &v)
                sum += *p;
        CHECK_INT(sum, 4950);
        VEC_FREE(&v);
}
