/* SPDX-License-Identifier: Apache-2.0 */
#include "image/image-remote.h"
#include "tests.h"

TEST(reference_normalization) {
        static const struct {
                const char *in, *domain, *repo, *tag, *digest, *familiar, *subject;
        } cases[] = {
                {"alpine", "docker.io", "library/alpine", "latest", NULL, "alpine", "alpine:latest"},
                {"alpine:3.19", "docker.io", "library/alpine", "3.19", NULL, "alpine", "alpine:3.19"},
                {"user/app", "docker.io", "user/app", "latest", NULL, "user/app", "user/app:latest"},
                {"docker.io/alpine", "docker.io", "library/alpine", "latest", NULL, "alpine",
                 "alpine:latest"},
                {"index.docker.io/library/alpine:edge", "docker.io", "library/alpine", "edge", NULL,
                 "alpine", "alpine:edge"},
                {"docker.io/library/a/b", "docker.io", "library/a/b", "latest", NULL, "library/a/b",
                 "library/a/b:latest"},
                {"localhost:5000/app:1.0", "localhost:5000", "app", "1.0", NULL, "localhost:5000/app",
                 "localhost:5000/app:1.0"},
                {"localhost/app", "localhost", "app", "latest", NULL, "localhost/app",
                 "localhost/app:latest"},
                {"Registry.Example.COM/team/app", "registry.example.com", "team/app", "latest", NULL,
                 "registry.example.com/team/app", "registry.example.com/team/app:latest"},
                {"127.0.0.1:5000/a_b/c__d/e-f/g--h/i.j", "127.0.0.1:5000", "a_b/c__d/e-f/g--h/i.j", "latest",
                 NULL, "127.0.0.1:5000/a_b/c__d/e-f/g--h/i.j",
                 "127.0.0.1:5000/a_b/c__d/e-f/g--h/i.j:latest"},
                {"[::1]:5000/app:v1", "[::1]:5000", "app", "v1", NULL, "[::1]:5000/app",
                 "[::1]:5000/app:v1"},
                {"ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                 "ghcr.io", "o/app", NULL,
                 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "ghcr.io/o/app",
                 "ghcr.io/o/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"},
                {"h:1/app:t@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "h:1",
                 "app", "t", "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
                 "h:1/app", "h:1/app:t"},
                {"app:_x.Y-1", "docker.io", "library/app", "_x.Y-1", NULL, "app", "app:_x.Y-1"},
                /* An uppercase letter alone makes a host (as in Docker); it must survive normalization. */
                {"Myhost/app", "Myhost", "app", "latest", NULL, "Myhost/app", "Myhost/app:latest"},
                {"LOCALHOST/app", "localhost", "app", "latest", NULL, "localhost/app",
                 "localhost/app:latest"},
                {"docker.io/a.b/c", "docker.io", "a.b/c", "latest", NULL, "docker.io/a.b/c",
                 "docker.io/a.b/c:latest"},
                {"docker.io/localhost/c", "docker.io", "localhost/c", "latest", NULL,
                 "docker.io/localhost/c", "docker.io/localhost/c:latest"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct image_reference r;
                const char *why = NULL;
                int k = image_reference_parse(cases[i].in, &r, &why);
                if (k < 0)
                        fprintf(stderr, "'%s': %s\n", cases[i].in, why);
                CHECK_INT(k, 0);
                if (k < 0)
                        continue;
                CHECK_STR(r.domain, cases[i].domain);
                CHECK_STR(r.repository, cases[i].repo);
                CHECK(streq_ptr(r.tag, cases[i].tag));
                CHECK(streq_ptr(r.digest, cases[i].digest));
                char *f = image_reference_familiar(&r), *sub = image_reference_subject(&r);
                CHECK_STR(f, cases[i].familiar);
                CHECK_STR(sub, cases[i].subject);
                free(f);
                free(sub);
                image_reference_done(&r);
        }
}

TEST(reference_api_host) {
        struct image_reference r;
        const char *why;
        REQUIRE(image_reference_parse("busybox", &r, &why) == 0);
        CHECK_STR(image_reference_api_host(&r), "registry-1.docker.io");
        image_reference_done(&r);
        REQUIRE(image_reference_parse("localhost:5000/x", &r, &why) == 0);
        CHECK_STR(image_reference_api_host(&r), "localhost:5000");
        image_reference_done(&r);
}

TEST(reference_rejects) {
        static const struct {
                const char *in;
                int r;
        } cases[] = {
                {"", -EINVAL},
                {"Alpine", -EINVAL},              /* uppercase repository */
                {"alpine:", -EINVAL},             /* empty tag */
                {"alpine:-x", -EINVAL},           /* tag starts with '-' */
                {"alpine:a/b", -EINVAL},          /* '/' after the tag's ':' makes a bad path */
                {"localhost:5000/", -EINVAL},     /* no repository */
                {"localhost:99999/app", -EINVAL}, /* port out of range */
                {"localhost:0/app", -EINVAL},
                {"-bad.example/app", -EINVAL}, /* label starts with '-' */
                {"a..b/app", -EINVAL},         /* empty label */
                {"app//x", -EINVAL},
                {"app/", -EINVAL},
                {"a/.b", -EINVAL},
                {"a/b.", -EINVAL},
                {"a/b___c", -EINVAL},        /* at most two underscores */
                {"a/b@sha256:abc", -EINVAL}, /* short digest */
                {"a@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef", -EINVAL},
                {"a@sha512:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                 "0123456789abcdef0123456789abcdef0123456789abcdef",
                 -EPROTONOSUPPORT},
                {"a@b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", -EINVAL},
                {"[::1/app", -EINVAL},
                {"[zz]:5000/app", -EINVAL},
                {"a b/c", -EINVAL},
                {"a/c\n", -EINVAL},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct image_reference r = {0};
                const char *why = NULL;
                int k = image_reference_parse(cases[i].in, &r, &why);
                if (k != cases[i].r)
                        fprintf(stderr, "case '%s'\n", cases[i].in);
                CHECK_INT(k, cases[i].r);
                CHECK(why != NULL);
                CHECK(r.domain == NULL); /* untouched on failure */
        }
        char long_ref[600];
        memset(long_ref, 'a', sizeof long_ref - 1);
        long_ref[sizeof long_ref - 1] = 0;
        struct image_reference r;
        const char *why;
        CHECK_INT(image_reference_parse(long_ref, &r, &why), -EINVAL);
        /* 256 characters of name (docker.io/library/ + 238) is over Docker's 255. */
        char name[300] = "";
        memset(name, 'b', 238);
        name[238] = 0;
        CHECK_INT(image_reference_parse(name, &r, &why), -EINVAL);
        name[237] = 0;
        CHECK_INT(image_reference_parse(name, &r, &why), 0);
        image_reference_done(&r);
}

static const struct auth_challenge *parse1(const char *v, struct auth_challenge **c, size_t *n) {
        *c = NULL;
        *n = 0;
        int r = www_authenticate_parse(v, c, n);
        if (r < 0) {
                fprintf(stderr, "'%s' -> %d\n", v, r);
                return NULL;
        }
        return *n ? *c : NULL;
}

TEST(www_authenticate_bearer) {
        struct auth_challenge *c;
        size_t n;
        const struct auth_challenge *b =
                parse1("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
                       "scope=\"repository:library/alpine:pull\"",
                       &c, &n);
        REQUIRE(b);
        CHECK_INT(n, 1);
        CHECK_STR(b->scheme, "bearer");
        CHECK_STR(auth_challenge_param(b, "realm"), "https://auth.docker.io/token");
        CHECK_STR(auth_challenge_param(b, "SERVICE"), "registry.docker.io");
        CHECK_STR(auth_challenge_param(b, "scope"), "repository:library/alpine:pull");
        CHECK(auth_challenge_param(b, "error") == NULL);
        auth_challenges_free(c, n);

        /* Unquoted values, spaces around '=', escapes, odd case. */
        b = parse1("  bEaReR  Realm = \"http://127.0.0.1:1/t?x=\\\"y\\\"\" , service=reg "
                   ",error=insufficient_scope",
                   &c, &n);
        REQUIRE(b);
        CHECK_STR(b->scheme, "bearer");
        CHECK_STR(auth_challenge_param(b, "realm"), "http://127.0.0.1:1/t?x=\"y\"");
        CHECK_STR(auth_challenge_param(b, "service"), "reg");
        CHECK_STR(auth_challenge_param(b, "error"), "insufficient_scope");
        auth_challenges_free(c, n);
}

TEST(www_authenticate_several) {
        struct auth_challenge *c;
        size_t n;
        REQUIRE(parse1(
                "Basic realm=\"Registry Realm\", Bearer realm=\"https://a/t\",service=\"s\", Newauth abc==",
                &c, &n));
        CHECK_INT(n, 3);
        CHECK_STR(c[0].scheme, "basic");
        CHECK_STR(auth_challenge_param(&c[0], "realm"), "Registry Realm");
        CHECK_STR(c[1].scheme, "bearer");
        CHECK_INT(c[1].n_params, 2);
        CHECK_STR(c[2].scheme, "newauth");
        CHECK_STR(c[2].token68, "abc==");
        /* "realm=" alone reads as a token68 (RFC 7235 allows both readings; a realm needs a value). */
        CHECK_INT(www_authenticate_parse("Bearer realm=", &c, &n), 0);
        CHECK_STR(c[3].token68, "realm=");
        auth_challenges_free(c, n);
        REQUIRE(parse1(
                "Basic realm=\"Registry Realm\", Bearer realm=\"https://a/t\",service=\"s\", Newauth abc==",
                &c, &n));
        /* A second header appends. */
        CHECK_INT(www_authenticate_parse("Negotiate", &c, &n), 0);
        CHECK_INT(n, 4);
        CHECK_STR(c[3].scheme, "negotiate");
        CHECK_INT(c[3].n_params, 0);
        auth_challenges_free(c, n);

        REQUIRE(parse1("Basic, Bearer realm=x", &c, &n));
        CHECK_INT(n, 2);
        CHECK_STR(c[1].scheme, "bearer");
        CHECK_STR(auth_challenge_param(&c[1], "realm"), "x");
        auth_challenges_free(c, n);
}

TEST(www_authenticate_malformed) {
        static const char *const bad[] = {
                "Bearer realm=\"unterminated",
                "Bearer realm=\"a\",=b",
                "Bearer realm=\"a\" service=\"b\"", /* missing comma */
                "Bearer =x",
                "\"quoted\"",
                "Bearer realm=\"a\\",
                "Bearer realm=a=b",
                "Bearer realm=\"a\x01\"",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct auth_challenge *c = NULL;
                size_t n = 0;
                int r = www_authenticate_parse(bad[i], &c, &n);
                if (r != -EBADMSG)
                        fprintf(stderr, "case %zu '%s' -> %d\n", i, bad[i], r);
                CHECK_INT(r, -EBADMSG);
                CHECK_INT(n, 0);
                auth_challenges_free(c, n);
        }
}

TEST(www_authenticate_limits) {
        struct auth_challenge *c = NULL;
        size_t n = 0;
        char *many = malloc(4096);
        strcpy(many, "Bearer ");
        for (int i = 0; i < AUTH_MAX_PARAMS + 1; i++)
                sprintf(many + strlen(many), "%sp%d=v", i ? "," : "", i);
        CHECK_INT(www_authenticate_parse(many, &c, &n), -E2BIG);
        CHECK_INT(n, 0);
        strcpy(many, "");
        for (int i = 0; i < AUTH_MAX_CHALLENGES + 1; i++)
                sprintf(many + strlen(many), "%sS%d", i ? ", " : "", i);
        CHECK_INT(www_authenticate_parse(many, &c, &n), -E2BIG);
        CHECK_INT(n, 0);
        free(many);
        char *huge = malloc(AUTH_HEADER_MAX + 10);
        memset(huge, 'a', AUTH_HEADER_MAX + 9);
        huge[AUTH_HEADER_MAX + 9] = 0;
        CHECK_INT(www_authenticate_parse(huge, &c, &n), -E2BIG);
        free(huge);
        auth_challenges_free(c, n);
}

TEST(base64_roundtrip) {
        static const struct {
                const char *plain, *enc;
        } cases[] = {
                {"", ""},        {"f", "Zg=="},        {"fo", "Zm8="},
                {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"user:pa:ss", "dXNlcjpwYTpzcw=="},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *e = base64_encode(cases[i].plain, strlen(cases[i].plain));
                CHECK_STR(e, cases[i].enc);
                free(e);
                char *d = NULL;
                size_t n;
                CHECK_INT(base64_decode(cases[i].enc, &d, &n), 0);
                CHECK_STR(d, cases[i].plain);
                CHECK_INT(n, strlen(cases[i].plain));
                free(d);
        }
        static const char *const bad[] = {"Zg=", "Z===", "Zg==Zg==", "Zm9v!", "=Zm9", "Zm=v"};
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char *d = NULL;
                size_t n;
                CHECK_INT(base64_decode(bad[i], &d, &n), -EBADMSG);
                free(d);
        }
}

static int lookup(const char *json, const char *registry, struct registry_credentials *c, char **helper) {
        const char *why = NULL;
        int r = docker_config_lookup(json, strlen(json), registry, c, &why, helper);
        if (r == -EBADMSG)
                CHECK(why != NULL);
        return r;
}

TEST(docker_config_credentials) {
        /* dXNlcjpzM2NyZXQ= is user:s3cret; YWxpY2U6cHc6eA== is alice:pw:x */
        const char *cfg = "{\"auths\":{"
                          "\"https://index.docker.io/v1/\":{\"auth\":\"dXNlcjpzM2NyZXQ=\"},"
                          "\"http://localhost:5000\":{\"auth\":\"YWxpY2U6cHc6eA==\"},"
                          "\"registry.example.com\":{\"username\":\"bob\",\"password\":\"pw2\"},"
                          "\"token.example.com\":{\"identitytoken\":\"refresh-me\"},"
                          "\"empty.example.com\":{}"
                          "},\"credHelpers\":{\"ecr.example.com\":\"ecr-login\"}}";
        struct registry_credentials c = {0};
        char *helper = NULL;

        CHECK_INT(lookup(cfg, "docker.io", &c, &helper), 0);
        CHECK_STR(c.username, "user");
        CHECK_STR(c.password, "s3cret");
        registry_credentials_done(&c);

        CHECK_INT(lookup(cfg, "localhost:5000", &c, &helper), 0);
        CHECK_STR(c.username, "alice");
        CHECK_STR(c.password, "pw:x");
        registry_credentials_done(&c);

        CHECK_INT(lookup(cfg, "Registry.Example.com", &c, &helper), 0);
        CHECK_STR(c.username, "bob");
        CHECK_STR(c.password, "pw2");
        registry_credentials_done(&c);

        CHECK_INT(lookup(cfg, "token.example.com", &c, &helper), 0);
        CHECK(c.username == NULL);
        CHECK_STR(c.identity_token, "refresh-me");
        registry_credentials_done(&c);

        CHECK_INT(lookup(cfg, "empty.example.com", &c, &helper), -ENOENT);
        CHECK(helper == NULL);
        CHECK_INT(lookup(cfg, "localhost:5001", &c, &helper), -ENOENT);
        CHECK_INT(lookup(cfg, "ecr.example.com", &c, &helper), -ENOENT);
        CHECK_STR(helper, "ecr-login");
        free(helper);

        CHECK_INT(lookup("{\"credsStore\":\"desktop\"}", "x.io", &c, &helper), -ENOENT);
        CHECK_STR(helper, "desktop");
        free(helper);

        /* An exact key wins over another spelling of the same host. */
        CHECK_INT(lookup("{\"auths\":{\"https://h:1/v2/\":{\"auth\":\"YTpi\"},\"h:1\":{\"auth\":\"Yzpk\"}}}",
                         "h:1", &c, &helper),
                  0);
        CHECK_STR(c.username, "c");
        registry_credentials_done(&c);
}

TEST(docker_config_malformed) {
        struct registry_credentials c = {0};
        char *helper = NULL;
        CHECK_INT(lookup("not json", "h", &c, &helper), -EBADMSG);
        CHECK_INT(lookup("[]", "h", &c, &helper), -EBADMSG);
        CHECK_INT(lookup("{\"auths\":{\"h\":\"x\"}}", "h", &c, &helper), -EBADMSG);
        CHECK_INT(lookup("{\"auths\":{\"h\":{\"auth\":\"!!!\"}}}", "h", &c, &helper), -EBADMSG);
        CHECK_INT(lookup("{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}", "h", &c, &helper), -EBADMSG);
        CHECK_INT(lookup("{\"auths\":{\"h\":{\"auth\":\"YQBiOmM=\"}}}", "h", &c, &helper),
                  -EBADMSG);                                                               /* NUL */
        CHECK_INT(lookup("{\"auths\":{\"h\":{}, \"h\":{}}}", "h", &c, &helper), -EBADMSG); /* dup keys */
        CHECK_INT(lookup("{\"auths\":{}}", "h", &c, &helper), -ENOENT);
        CHECK_INT(lookup("{\"auths\":[]}", "h", &c, &helper), -ENOENT);
}

TEST(credentials_precedence) {
        char dir[] = "/tmp/stockade-test-cfg.XXXXXX";
        REQUIRE(mkdtemp(dir));
        char path[256];
        snprintf(path, sizeof path, "%s/config.json", dir);
        FILE *f = fopen(path, "w");
        REQUIRE(f);
        fputs("{\"auths\":{\"localhost:5000\":{\"auth\":\"ZmlsZTpmcA==\"}}}", f);
        fclose(f);
        setenv("DOCKER_CONFIG", dir, 1);
        unsetenv("STOCKADE_REGISTRY_USERNAME");
        unsetenv("STOCKADE_REGISTRY_PASSWORD");

        struct diag d;
        diag_init(&d);
        struct registry_credentials c = {0};
        struct image_source_options o = {0};
        CHECK_INT(registry_credentials_find(&o, "localhost:5000", &d, &c), 0);
        CHECK_STR(c.username, "file");
        CHECK_STR(c.password, "fp");
        CHECK_STR(c.origin, path);
        registry_credentials_done(&c);
        CHECK_INT(registry_credentials_find(&o, "other:1", &d, &c), -ENOENT);

        setenv("STOCKADE_REGISTRY_USERNAME", "env", 1);
        setenv("STOCKADE_REGISTRY_PASSWORD", "ep", 1);
        CHECK_INT(registry_credentials_find(&o, "localhost:5000", &d, &c), 0);
        CHECK_STR(c.username, "env");
        CHECK_STR(c.password, "ep");
        CHECK_STR(c.origin, "environment");
        registry_credentials_done(&c);

        o.username = "opt";
        o.password = "op";
        CHECK_INT(registry_credentials_find(&o, "localhost:5000", &d, &c), 0);
        CHECK_STR(c.username, "opt");
        CHECK_STR(c.origin, "options");
        registry_credentials_done(&c);
        unsetenv("STOCKADE_REGISTRY_USERNAME");
        unsetenv("STOCKADE_REGISTRY_PASSWORD");

        /* A malformed config is an error naming the file; a credential helper only a warning. */
        o.username = NULL;
        f = fopen(path, "w");
        fputs("{\"auths\":{\"localhost:5000\":{\"auth\":\"%%%\"}}}", f);
        fclose(f);
        CHECK_INT(registry_credentials_find(&o, "localhost:5000", &d, &c), -EBADMSG);
        CHECK(strstr(d.error, path) != NULL);
        diag_done(&d);
        diag_init(&d);
        f = fopen(path, "w");
        fputs("{\"credsStore\":\"pass\"}", f);
        fclose(f);
        CHECK_INT(registry_credentials_find(&o, "localhost:5000", &d, &c), -ENOENT);
        CHECK_INT(d.n_warnings, 1);
        CHECK(d.n_warnings == 1 && strstr(d.warnings[0], "docker-credential-pass") != NULL);
        diag_done(&d);
        unlink(path);
        rmdir(dir);
        unsetenv("DOCKER_CONFIG");
}

TEST(http_media_type) {
        char out[64];
        http_media_type(" Application/JSON; charset=utf-8", out, sizeof out);
        CHECK_STR(out, "application/json");
        http_media_type(NULL, out, sizeof out);
        CHECK_STR(out, "");
}

static void fake_source(struct image_source *s, struct image_source_options *o, struct diag *d) {
        memset(s, 0, sizeof *s);
        memset(o, 0, sizeof *o);
        diag_init(d);
        s->opts = o;
        s->diag = d;
        s->arena = arena_new(0);
        s->image.target = "docker:example/app";
}

TEST(docker_inspect_fields) {
        struct image_source s;
        struct image_source_options o;
        struct diag d;
        size_t il, hl;
        char *inspect = test_read_file(test_srcpath("tests/data/image-remote/inspect.json"), &il);
        char *history = test_read_file(test_srcpath("tests/data/image-remote/history.json"), &hl);
        fake_source(&s, &o, &d);
        REQUIRE(docker_image_from_inspect(&s, "example/app", inspect, il, history, hl) == 0);
        const struct image *img = &s.image;
        const struct image_config *c = &img->config;
        CHECK_STR(img->id, "sha256:c753f1e5da16e87ca573b3c6b4e95768a7464404c5efc2f7146aad4fddde6ec9");
        CHECK_STR(img->name, "example/app:latest"); /* the short name resolved to its tag */
        CHECK_STR(img->platform, "linux/arm64/v8");
        CHECK(img->manifest_digest == NULL);
        CHECK(img->config_raw == NULL);
        CHECK_STR(img->repo_tags[1], "example/app:1");
        CHECK(img->repo_tags[2] == NULL);
        CHECK_STR(img->repo_digests[0],
                  "registry.example.com/"
                  "app@sha256:5244d92ea19bdc2bba20aa3bb84e39377065e830d5386f547df809f4473f2f5c");
        CHECK_STR(c->created, "2026-11-23T18:46:51.954091304Z");
        CHECK_STR(c->user, "1000");
        CHECK_STR(c->working_dir, "/app");
        CHECK(c->stop_signal == NULL); /* "" from the engine is unset */
        CHECK_STR(c->env[1], "APP_ENV=prod");
        CHECK_STR(c->cmd[0], "echo hi");
        CHECK_STR(c->entrypoint[1], "-c");
        CHECK_STR(c->exposed_ports[0], "8080/tcp"); /* sorted */
        CHECK_STR(c->exposed_ports[1], "9090/udp");
        CHECK_STR(c->volumes[0], "/app/data");
        CHECK_STR(c->healthcheck[1], "/bin/true");
        CHECK_INT(c->n_labels, 2); /* the non-string label is skipped */
        CHECK_STR(c->labels[0].key, "org.example.team");
        CHECK_INT(c->n_diff_ids, 3);
        REQUIRE(img->n_layers == 3);
        CHECK_STR(img->layers[2].diff_id,
                  "sha256:0bc414073fa2d6a244b686846642a612f6fb4f515ad963e1c47395977704a946");
        CHECK_STR(img->layers[0].digest, "");
        CHECK(img->layers[0].member == NULL);
        /* History: oldest first, Unix times as RFC 3339. "mkdir" made a layer with no file contents (Size
         * 0), so sizes count 2 layers of 3; the builder's #(nop) markers count 3 and win. */
        REQUIRE(c->n_history == 5);
        CHECK_STR(c->history[0].created, "2026-11-23T19:06:41Z");
        CHECK_STR(c->history[0].comment, "Imported from -");
        CHECK(c->history[0].created_by == NULL);
        CHECK(!c->history[0].empty_layer);
        CHECK(c->history[1].empty_layer);
        CHECK(!c->history[2].empty_layer);
        CHECK(!c->history[3].empty_layer);
        CHECK(c->history[4].empty_layer);
        CHECK_STR(img->layers[1].created_by, "/bin/sh -c mkdir -p /app/data");
        CHECK_STR(img->layers[2].created_by, "/bin/sh -c #(nop) COPY dir:97f0 in /app/ ");
        arena_free(s.arena);
        diag_done(&d);

        /* Without history the rest is the same. */
        fake_source(&s, &o, &d);
        REQUIRE(docker_image_from_inspect(&s, "example/app:1", inspect, il, NULL, 0) == 0);
        CHECK_STR(s.image.name, "example/app:1");
        CHECK_INT(s.image.config.n_history, 0);
        CHECK(s.image.layers[1].created_by == NULL);
        arena_free(s.arena);
        diag_done(&d);
        free(inspect);
        free(history);
}

TEST(docker_inspect_hostile) {
        static const char *const bad[] = {
                "[]",
                "{}",
                "{\"Id\":\"sha256:abc\"}",
                "{\"Id\":\"sha256:c753f1e5da16e87ca573b3c6b4e95768a7464404c5efc2f7146aad4fddde6ec9\","
                "\"RootFS\":{\"Layers\":[\"sha256:nothex\"]}}",
                "{\"Id\":\"sha256:c753f1e5da16e87ca573b3c6b4e95768a7464404c5efc2f7146aad4fddde6ec9\",\"Id\":"
                "\"x\"}",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct image_source s;
                struct image_source_options o;
                struct diag d;
                fake_source(&s, &o, &d);
                CHECK(docker_image_from_inspect(&s, "x", bad[i], strlen(bad[i]), NULL, 0) < 0);
                CHECK(d.error[0] != 0);
                arena_free(s.arena);
                diag_done(&d);
        }
        /* A history that is not an array is an error too (the source turns it into a warning earlier). */
        struct image_source s;
        struct image_source_options o;
        struct diag d;
        fake_source(&s, &o, &d);
        const char *ok =
                "{\"Id\":\"sha256:c753f1e5da16e87ca573b3c6b4e95768a7464404c5efc2f7146aad4fddde6ec9\"}";
        CHECK(docker_image_from_inspect(&s, "x", ok, strlen(ok), "{}", 2) < 0);
        arena_free(s.arena);
        diag_done(&d);
        fake_source(&s, &o, &d);
        CHECK_INT(docker_image_from_inspect(&s, "x", ok, strlen(ok), NULL, 0), 0);
        CHECK_INT(s.image.n_layers, 0);
        arena_free(s.arena);
        diag_done(&d);
}
