/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the secrets module: every default rule with true and false positives, masking, line
 * numbers and offsets, binary skip, the file policy, rules-file errors, and big inputs.
 *
 * Secrets are generated at run time from a fixed seed rather than written here, so that this file holds
 * nothing that looks like a credential to other scanners (or to stockade itself). */

#include <pthread.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <time.h>

#include "buf.h"
#include "secrets/secrets-internal.h"
#include "secrets/secrets.h"
#include "tests.h"

#define B64   "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#define ALNUM "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
#define B32   "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
#define URL64 "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* A random string from alphabet (xorshift; deterministic across runs). Returns a static slot. */
static const char *gen(const char *alphabet, size_t n) {
        static char slots[16][8192];
        static unsigned k;
        char *out = slots[k++ % 16];
        size_t a = strlen(alphabet);
        for (size_t i = 0; i < n && i < sizeof slots[0] - 1; i++) {
                rng_state ^= rng_state << 13;
                rng_state ^= rng_state >> 7;
                rng_state ^= rng_state << 17;
                out[i] = alphabet[rng_state % a];
        }
        out[MIN(n, sizeof slots[0] - 1)] = 0;
        return out;
}

/* A PEM-style base64 body of n lines, separated by sep. */
static char *pem_body(size_t lines, const char *sep) {
        struct buf b = BUF_INIT(0);
        for (size_t i = 0; i < lines; i++) {
                buf_append_str(&b, gen(B64, i + 1 < lines ? 64 : 24));
                buf_append_str(&b, i + 1 < lines ? sep : "==");
        }
        return buf_steal(&b);
}

static char *fmt(const char *f, ...) _printf_(1, 2);
static char *fmt(const char *f, ...) {
        va_list ap;
        char *s = NULL;
        va_start(ap, f);
        if (vasprintf(&s, f, ap) < 0)
                abort();
        va_end(ap);
        return s;
}

static struct secrets_engine *shared_engine;

static struct secrets_engine *engine(void) {
        struct secrets_engine *e = shared_engine;
        if (!e) {
                struct diag d;
                diag_init(&d);
                if (secrets_engine_load(NULL, &d, &e) < 0) {
                        fprintf(stderr, "cannot load default rules: %s\n", d.error);
                        abort();
                }
                diag_done(&d);
                shared_engine = e;
        }
        return e;
}

struct hit {
        char rule[64];
        uint64_t offset;
        unsigned line;
        char excerpt[1024];
        enum severity severity;
};

struct hits {
        struct hit h[64];
        size_t n;
        int abort_with;
};

static int collect(void *userdata, const struct secret_match *m) {
        struct hits *hs = userdata;
        if (hs->abort_with)
                return hs->abort_with;
        if (hs->n < ELEMENTSOF(hs->h)) {
                struct hit *h = &hs->h[hs->n++];
                snprintf(h->rule, sizeof h->rule, "%s", m->rule_id);
                snprintf(h->excerpt, sizeof h->excerpt, "%s", m->excerpt);
                h->offset = m->offset;
                h->line = m->line;
                h->severity = m->severity;
                /* every field of the report is filled */
                if (!m->title || !*m->title || !m->category || !*m->category || m->severity == SEV_UNKNOWN)
                        tests_failed_checks++;
        }
        return 0;
}

static int scan_with(struct secrets_engine *e, const char *text, size_t n, struct hits *hs) {
        struct secrets_scratch *s = NULL;
        memset(hs, 0, sizeof *hs);
        if (secrets_scratch_new(e, &s) < 0)
                abort();
        int r = secrets_scan(e, s, text, n, collect, hs);
        secrets_scratch_free(s);
        return r;
}

static int scan(const char *text, struct hits *hs) {
        return scan_with(engine(), text, strlen(text), hs);
}

/* Secret text (or any 6-byte piece of it) must never appear in an excerpt. */
static bool excerpt_leaks(const char *excerpt, const char *secret) {
        size_t n = strlen(secret);
        if (n < 6)
                return strstr(excerpt, secret) != NULL;
        for (size_t i = 0; i + 6 <= n; i++) {
                char piece[7];
                memcpy(piece, secret + i, 6);
                piece[6] = 0;
                /* pieces of punctuation-free base64 only: "------" or "\n-----" are armour, not secret */
                if (strspn(piece, ALNUM "+/") == 6 && strstr(excerpt, piece))
                        return true;
        }
        return false;
}

/* Asserts that text yields exactly one finding, of rule, and that secret is not in its excerpt. */
#define EXPECT_ONE(text, rule_, secret_)                                                            \
        do {                                                                                        \
                struct hits _h;                                                                     \
                const char *_t = (text);                                                            \
                CHECK_INT(scan(_t, &_h), 0);                                                        \
                CHECK_INT(_h.n, 1);                                                                 \
                if (_h.n >= 1) {                                                                    \
                        CHECK_STR(_h.h[0].rule, (rule_));                                           \
                        if (excerpt_leaks(_h.h[0].excerpt, (secret_))) {                            \
                                fprintf(stderr, "%s:%d: excerpt '%s' leaks the secret\n", __FILE__, \
                                        __LINE__, _h.h[0].excerpt);                                 \
                                tests_failed_checks++;                                              \
                        }                                                                           \
                } else                                                                              \
                        fprintf(stderr, "  for: %.200s\n", _t);                                     \
        } while (0)

#define EXPECT_NONE(text)                                                                   \
        do {                                                                                \
                struct hits _h;                                                             \
                const char *_t = (text);                                                    \
                CHECK_INT(scan(_t, &_h), 0);                                                \
                CHECK_INT(_h.n, 0);                                                         \
                for (size_t _i = 0; _i < _h.n; _i++)                                        \
                        fprintf(stderr, "  unexpected %s in: %.200s\n", _h.h[_i].rule, _t); \
        } while (0)

#define ONE(rule_, secret_, ...)                \
        do {                                    \
                char *_s = fmt(__VA_ARGS__);    \
                EXPECT_ONE(_s, rule_, secret_); \
                free(_s);                       \
        } while (0)

#define NONE(...)                            \
        do {                                 \
                char *_s = fmt(__VA_ARGS__); \
                EXPECT_NONE(_s);             \
                free(_s);                    \
        } while (0)

/* ---- the engine ---- */

TEST(default_rules_load) {
        struct secrets_engine *e = engine();
        char want[DIGEST_STR_MAX];
        CHECK(secrets_engine_rule_count(e) >= 25);
        CHECK(sha256_str(secrets_default_rules, secrets_default_rules_len, want) == 0);
        CHECK_STR(secrets_engine_digest(e), want);
        CHECK(digest_is_valid_sha256(secrets_engine_digest(e)));
        CHECK_STR(secrets_engine_rule_id(e, 0), "aws-access-key-id");
        CHECK(secrets_engine_rule_id(e, secrets_engine_rule_count(e)) == NULL);
        /* every default rule is matched exactly by hyperscan (no approximate prefilter) */
        for (size_t i = 0; i < e->rules.n; i++)
                CHECK(!e->rules.items[i].prefilter);
}

TEST(installed_rules_file_equals_embedded) {
        size_t n;
        char *data = test_read_file(test_srcpath("rules/secrets.yaml"), &n);
        struct secrets_engine *e = NULL;
        struct diag d;
        diag_init(&d);
        CHECK_INT(secrets_engine_load(test_srcpath("rules/secrets.yaml"), &d, &e), 0);
        if (e) {
                CHECK_STR(secrets_engine_digest(e), secrets_engine_digest(engine()));
                CHECK_INT(secrets_engine_rule_count(e), secrets_engine_rule_count(engine()));
        }
        CHECK_INT(n, secrets_default_rules_len);
        secrets_engine_free(e);
        diag_done(&d);
        free(data);
}

/* ---- AWS ---- */

TEST(aws_access_key_id) {
        const char *k = gen(B32, 16);
        ONE("aws-access-key-id", k, "aws_access_key_id = AKIA%s\n", k);
        ONE("aws-access-key-id", k, "export AWS_ACCESS_KEY_ID=\"ASIA%s\"", k);
        ONE("aws-access-key-id", k, "{\"AccessKeyId\": \"AKIA%s\"}", k);
        /* the excerpt keeps the AKIA prefix */
        struct hits h;
        char *t = fmt("id=AKIA%s", k);
        scan(t, &h);
        CHECK(h.n == 1 && strstr(h.h[0].excerpt, "AKIA****"));
        free(t);

        NONE("aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"); /* AWS documentation */
        NONE("AKIA%.15s\n", k);                             /* too short */
        NONE("AKIA%s7\n", k);                               /* too long: not a key id */
        NONE("XAKIA%s\n", k);                               /* inside a word */
        NONE("AKIAAAAAAAAAAAAAAAAA\n");                     /* no entropy */
        NONE("akia%s\n", k);
}

TEST(aws_secret_access_key) {
        const char *k = gen(B64, 40);
        ONE("aws-secret-access-key", k, "[default]\naws_secret_access_key = %s\n", k);
        ONE("aws-secret-access-key", k, "AWS_SECRET_ACCESS_KEY=%s", k);
        ONE("aws-secret-access-key", k, "  \"SecretAccessKey\": \"%s\",\n", k);
        ONE("aws-secret-access-key", k, "aws configure set aws_secret_access_key %s\n", k);

        NONE("value = %s\n", k);                                                    /* no context */
        NONE("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"); /* documentation */
        /* 41 characters: not an AWS key, but still an assignment to a secret-looking name */
        char *k41 = fmt("%sx", k);
        ONE("generic-secret", k41, "aws_secret_access_key = %s\n", k41);
        free(k41);
        NONE("aws_secret_access_key = ${AWS_SECRET_ACCESS_KEY}\n");
}

/* ---- GCP ---- */

TEST(gcp_service_account_key) {
        _cleanup_free_ char *body = pem_body(10, "\\n");
        ONE("gcp-service-account-key", body,
            "{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo\",\n  \"private_key_id\": "
            "\"%s\",\n"
            "  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n\",\n"
            "  \"client_email\": \"x@demo.iam.gserviceaccount.com\"\n}\n",
            gen("0123456789abcdef", 40), body);
        /* Without "type": "service_account" the key is still found, by the generic private-key rule. */
        ONE("private-key", body,
            "{\"private_key\": \"-----BEGIN PRIVATE KEY-----\\n%s\\n-----END PRIVATE KEY-----\\n\"}", body);
        NONE("{\"type\": \"service_account\", \"private_key\": \"\"}\n");
}

TEST(gcp_api_key) {
        const char *k = gen(URL64, 35);
        ONE("gcp-api-key", k, "const firebaseConfig = { apiKey: \"AIza%s\" };\n", k);
        ONE("gcp-api-key", k, "GOOGLE_API_KEY=AIza%s", k);
        NONE("AIza%.34s\n", k);
        NONE("AIza%sQ\n", k);
        NONE("AIzaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
}

/* ---- Azure ---- */

TEST(azure) {
        const char *k = gen(B64, 86);
        ONE("azure-storage-account-key", k,
            "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey=%s==;EndpointSuffix=core.windows."
            "net\n",
            k);
        /* The storage emulator's published key */
        NONE("UseDevelopmentStorage=true;AccountName=devstoreaccount1;AccountKey="
             "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1"
             "OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;\n");
        NONE("AccountKey=%.60s==;\n", k); /* too short */

        const char *cs = gen(ALNUM, 34);
        ONE("azure-entra-client-secret", cs, "secret: abc8Q~%s\n", cs);
        const char *cs2 = gen(ALNUM "-_", 37);
        ONE("azure-client-secret", cs2, "AZURE_CLIENT_SECRET=%s\n", cs2);
        ONE("azure-client-secret", cs2, "arm_client_secret = \"%s\"\n", cs2);
        NONE("AZURE_CLIENT_SECRET=${AZURE_CLIENT_SECRET}\n");
        NONE("abc8Q~%.10s\n", cs);
}

/* ---- private keys ---- */

static void check_pem(const char *rule, const char *armour, const char *headers) {
        _cleanup_free_ char *body = pem_body(12, "\n");
        ONE(rule, body, "-----BEGIN %s-----\n%s%s\n-----END %s-----\n", armour, headers, body, armour);
        /* indented in YAML, and with CRLF line ends */
        _cleanup_free_ char *crlf = pem_body(6, "\r\n");
        ONE(rule, crlf, "tls:\n  key: |\n    -----BEGIN %s-----\r\n    %s%s\r\n    -----END %s-----\r\n",
            armour, headers, crlf, armour);
        /* escaped in a JSON string */
        _cleanup_free_ char *esc = pem_body(6, "\\n");
        ONE(rule, esc, "{\"key\": \"-----BEGIN %s-----\\n%s%s\\n-----END %s-----\\n\"}", armour,
            *headers ? "" : "", esc, armour);
}

TEST(private_keys) {
        check_pem("private-key", "RSA PRIVATE KEY", "");
        check_pem("private-key", "EC PRIVATE KEY", "");
        check_pem("private-key", "DSA PRIVATE KEY", "");
        check_pem("private-key", "PRIVATE KEY", "");
        check_pem("private-key-encrypted", "ENCRYPTED PRIVATE KEY", "");
        check_pem("openssh-private-key", "OPENSSH PRIVATE KEY", "");
        check_pem("pgp-private-key", "PGP PRIVATE KEY BLOCK", "Version: GnuPG v2\n\n");

        /* legacy encrypted PEM */
        _cleanup_free_ char *body = pem_body(12, "\n");
        ONE("private-key-encrypted", body,
            "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,%s\n\n%s\n"
            "-----END RSA PRIVATE KEY-----\n",
            gen("0123456789ABCDEF", 32), body);

        /* one line, as pasted into an environment variable */
        ONE("private-key", body, "KEY='-----BEGIN PRIVATE KEY----- %s -----END PRIVATE KEY-----'\n", body);

        /* reported on the armour line, with the excerpt showing it */
        struct hits h;
        char *t = fmt("# key\n-----BEGIN RSA PRIVATE KEY-----\n%s\n-----END RSA PRIVATE KEY-----\n", body);
        scan(t, &h);
        CHECK(h.n == 1 && h.h[0].line == 2 && streq(h.h[0].excerpt, "-----BEGIN RSA PRIVATE KEY-----"));
        CHECK(h.n == 1 && h.h[0].offset == (uint64_t) (strstr(t, body) - t));
        free(t);
}

TEST(private_key_false_positives) {
        _cleanup_free_ char *body = pem_body(12, "\n");
        /* certificates, public keys and requests are not secrets */
        NONE("-----BEGIN CERTIFICATE-----\n%s\n-----END CERTIFICATE-----\n", body);
        NONE("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", body);
        NONE("-----BEGIN RSA PUBLIC KEY-----\n%s\n-----END RSA PUBLIC KEY-----\n", body);
        NONE("-----BEGIN CERTIFICATE REQUEST-----\n%s\n-----END CERTIFICATE REQUEST-----\n", body);
        NONE("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n%s\n-----END PGP PUBLIC KEY BLOCK-----\n", body);
        NONE("ssh-rsa %s user@host\n", body);
        /* code that handles keys, and placeholders */
        NONE("PEM_HEADER = \"-----BEGIN RSA PRIVATE KEY-----\"\n");
        NONE("pem = '-----BEGIN PRIVATE KEY-----\\n' + base64(der) + '\\n-----END PRIVATE KEY-----'\n");
        NONE("-----BEGIN RSA PRIVATE KEY-----\n...\n-----END RSA PRIVATE KEY-----\n");
        NONE("-----BEGIN RSA PRIVATE "
             "KEY-----\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
}

TEST(etc_ssl_certs_do_not_match) {
        /* The real CA bundle of this machine: hundreds of certificate PEM blocks, no private key. */
        const char *path = "/etc/ssl/certs/ca-certificates.crt";
        if (access(path, R_OK) < 0) {
                printf("skip: %s not present\n", path);
                return;
        }
        size_t n;
        char *data = test_read_file(path, &n);
        struct hits h;
        CHECK(secrets_engine_wants(engine(), "etc/ssl/certs/ca-certificates.crt", n));
        CHECK_INT(scan_with(engine(), data, n, &h), 0);
        CHECK_INT(h.n, 0);
        free(data);
}

/* ---- source hosting, chat, payments, registries ---- */

TEST(github) {
        const char *k = gen(ALNUM, 36);
        ONE("github-pat", k, "GITHUB_TOKEN=ghp_%s\n", k);
        ONE("github-oauth-token", k, "token: gho_%s\n", k);
        ONE("github-app-token", k, "Authorization: token ghu_%s\n", k);
        ONE("github-app-token", k, "ghs_%s", k);
        ONE("github-refresh-token", k, "refresh=ghr_%s\n", k);
        const char *a = gen(ALNUM, 22), *b = gen(ALNUM, 59);
        ONE("github-fine-grained-pat", b, "https://x:github_pat_%s_%s@github.com/o/r.git\n", a, b);
        struct hits h;
        char *t = fmt("GITHUB_TOKEN=ghp_%s", k);
        scan(t, &h);
        CHECK(h.n == 1 && strstr(h.h[0].excerpt, "ghp_********"));
        free(t);

        NONE("ghp_%.35s\n", k);
        NONE("xghp_%s\n", k);
        NONE("ghp_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n");
        NONE("ghx_%s\n", k);
}

TEST(gitlab) {
        const char *k = gen(ALNUM "_-", 20);
        ONE("gitlab-pat", k, "GITLAB_TOKEN=glpat-%s\n", k);
        ONE("gitlab-runner-token", k, "token = \"glrt-%s\"\n", k);
        NONE("glpat-%.12s\n", k);
        NONE("glpat-xxxxxxxxxxxxxxxxxxxx\n");
}

TEST(slack) {
        const char *a = gen("0123456789", 11), *b = gen("0123456789", 12), *c = gen(ALNUM, 24);
        char *tok = fmt("%s-%s-%s", a, b, c);
        ONE("slack-token", tok, "SLACK_BOT_TOKEN=xoxb-%s\n", tok);
        ONE("slack-token", tok, "client = WebClient(token=\"xoxp-%s\")\n", tok);
        free(tok);
        NONE("SLACK_BOT_TOKEN=xoxb-your-token\n");
        NONE("xoxb-\n");

        char *hook = fmt("T%s/B%s/%s", gen("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10),
                         gen("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 10), gen(ALNUM, 24));
        ONE("slack-webhook", hook, "SLACK_WEBHOOK=https://hooks.slack.com/services/%s\n", hook);
        free(hook);
        /* Slack's own documentation example */
        NONE("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX\n");
}

TEST(stripe) {
        const char *k = gen(ALNUM, 24);
        ONE("stripe-secret-key", k, "STRIPE_SECRET_KEY=sk_live_%s\n", k);
        ONE("stripe-secret-key", k, "stripe.api_key = 'rk_live_%s'\n", k);
        NONE("STRIPE_KEY=sk_test_%s\n", k); /* test mode keys move no money */
        NONE("sk_live_%.20s\n", k);
}

TEST(npm) {
        const char *k = gen(ALNUM, 36);
        ONE("npm-token", k, "//registry.npmjs.org/:_authToken=npm_%s\n", k);
        ONE("npm-token", k, "NPM_TOKEN=npm_%s", k);
        const char *u = gen("0123456789abcdef", 32);
        ONE("npmrc-auth", u, "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=%s\n",
            u);
        const char *b = gen(B64, 28);
        ONE("npmrc-auth", b, "//npm.example.org/repo/:_auth=\"%s\"\nalways-auth=true\n", b);
        ONE("npmrc-auth", b, "_auth=%s\n", b);
        NONE("//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n");
        NONE("    _password = _messages.StringField(3)\n");
        NONE("npm_%.30s\n", k);
}

TEST(jwt) {
        const char *h = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9";
        const char *p = gen(URL64, 60), *s = gen(URL64, 43);
        char *secret = fmt("%s.eyJ%s.%s", h + 3, p, s);
        ONE("jwt", secret, "Authorization: Bearer eyJ%s\n", secret);
        free(secret);
        /* the jwt.io sample token */
        NONE("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
             "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2"
             "MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c\n");
        NONE("%s.eyJzdWIiOiIx.\n", h); /* unsigned */
}

/* ---- generic assignments ---- */

TEST(generic_true_positives) {
        const char *pw = "S3cr3t-Pa55w0rd!x";
        ONE("generic-password", pw, "DB_PASSWORD=%s\n", pw);
        ONE("generic-password", pw, "export MYSQL_ROOT_PASSWORD=%s\n", pw);
        ONE("generic-password", pw, "database:\n  host: db\n  password: %s\n", pw);
        ONE("generic-password", pw, "  password: \"%s\"\n", pw);
        ONE("generic-password", pw, "{\"user\": \"app\", \"password\": \"%s\"}\n", pw);
        ONE("generic-password", pw, "spring.datasource.password=%s\r\n", pw);
        ONE("generic-password", pw, "$db_pass = '%s';\n", pw);
        ONE("generic-password", pw, "'password' => '%s',\n", pw);
        ONE("generic-password", pw, "environment:\n  - POSTGRES_PASSWORD=%s\n", pw);
        ONE("generic-password", pw, "ENV APP_DB_PASSWORD=%s APP_ENV=staging\n", pw);
        ONE("generic-password", pw, "/bin/sh -c #(nop)  ENV DB_PASSWORD=%s\n", pw);
        ONE("generic-password", pw, "docker run -e DB_PASSWORD=%s -e X=1 app\n", pw);
        ONE("generic-password", pw, "password = %s # set by ops\n", pw);
        ONE("generic-password", "Xq7#mP2vL9sKw", "DB_PASSWORD=Xq7#mP2vL9sKw\n"); /* '#' inside a value */

        const char *k = gen(ALNUM, 32);
        ONE("generic-secret", k, "export API_KEY=%s\n", k);
        ONE("generic-secret", k, "client_secret = '%s'\n", k);
        ONE("generic-secret", k, "SECRET_KEY = \"%s\"\n", k);
        ONE("generic-secret", k, "auth_token: %s\n", k);
        ONE("generic-secret", k, "\"apiKey\": \"%s\",\n", k);
        ONE("generic-secret", k, "ACCESS_KEY := \"%s\"\n", k);
        ONE("generic-secret", k, "  :auth_token => '%s',\n", k); /* Ruby symbol keys */
        ONE("generic-secret", k, "\"SessionToken\": \"%s\"\n", k);
}

TEST(generic_false_positives) {
        /* empty and placeholder values */
        NONE("password=\n");
        NONE("password = \"\"\n");
        NONE("DB_PASSWORD=${DB_PASSWORD}\n");
        NONE("DB_PASSWORD=$DB_PASSWORD\n");
        NONE("password: \"{{ .Values.db.password }}\"\n");
        NONE("password: changeme\n");
        NONE("password: changeme123\n");
        NONE("password = \"<password>\"\n");
        NONE("password: \"xxxxxxxx\"\n");
        NONE("password: '********'\n");
        NONE("api_key: YOUR_API_KEY_HERE\n");
        NONE("token: <your-token>\n");
        NONE("password: %%(db_password)s\n");
        NONE("password = @DB_PASSWORD@\n");
        NONE("secret: true\n");
        NONE("password: null\n");
        NONE("password=example-value\n");
        NONE("token = \"dummy-token-123\"\n");
        /* references to where the secret is, not the secret */
        NONE("password_file = /run/secrets/db_password\n");
        NONE("token: /var/run/secrets/kubernetes.io/serviceaccount/token\n");
        NONE("DB_PASSWORD_FILE=/run/secrets/db\n");
        NONE("token_url = \"https://oauth2.example.com/token\"\n");
        /* names that only contain the keyword */
        NONE("token_type = \"bearer_x9q\"\n");
        NONE("secretName: db-credentials-v2\n");
        NONE("    \"AWS::MSK::BatchScramSecret\": \"ff2b807a577495b0\",\n");
        NONE("  \"nextPageToken\": \"CiAKGjBpNDd2Nmp2Zml2cXRwYjBpOXA\",\n");
        NONE("\"ClientRequestToken\": \"a8ca07e4-61ec-4399-99f4-19853801bcd5\",\n");
        NONE("      \"output_token\": \"StreamDescription.Shards[-1].ShardId\",\n");
        NONE("    ACCESS_KEY = 'AWSAccessKeyId'\n");
        NONE("password_hash = \"9f86d081884c7d659a2feaa0c55ad015\"\n");
        NONE("PWD=/root/build/src\n");
        NONE("OLDPWD=/home/user/xyz123\n");
        NONE("passwd:         files systemd\n"); /* nsswitch.conf */
        NONE("password [success=1 default=ignore] pam_unix.so obscure yescrypt\n");
        NONE("PasswordAuthentication no\n");
        /* code */
        NONE("password = getpass.getpass(prompt)\n");
        NONE("        self.password = credentials\n");
        NONE("    self.username, self.password = credentials\n");
        NONE("token = self._tokenizer.next_token()\n");
        NONE("password = os.environ[\"DB_PASSWORD\"]\n");
        NONE("password: config.database.pass,\n");
        NONE("const token = req.headers.authorization;\n");
        NONE("    Password: PWideChar;\n");
        NONE("  proxy_user=proxy_user, proxy_pass=proxy_pass,\n");
        NONE("this.scopeAuthKey = scopeAuthKey\n");
        NONE("token = whileBodyStart\n");
        NONE("SIOCGLIFTOKEN = 0xc0786971\n");
        NONE("if password == \"hunter2xyz\":\n");
        NONE("PRIVATEKEY=\"--private-key=$2\"\n");
        /* prose */
        NONE("    pageToken: Optional. A page token, received from a previous call\n");
        NONE("Password: the one you chose at installation time\n");
        NONE("__mvncomp \"username= message= passphrase= password= scmVersion= $(x)\"\n");
        /* low entropy */
        NONE("password=aaaaaaaaaaaa\n");
        NONE("password=abababababab\n");
}

TEST(specific_rule_wins_over_generic) {
        const char *k = gen(ALNUM, 36);
        /* One finding per secret: the GitHub rule, not also "token=". */
        ONE("github-pat", k, "GITHUB_TOKEN=ghp_%s\n", k);
        ONE("github-pat", k, "token: \"ghp_%s\"\n", k);
        const char *s = gen(B64, 40);
        ONE("aws-secret-access-key", s, "AWS_SECRET_ACCESS_KEY=%s\n", s);
}

/* ---- reports ---- */

TEST(lines_offsets_and_order) {
        const char *a = gen(ALNUM, 36), *b = gen(B32, 16), *c = gen(ALNUM, 36);
        char *t = fmt("first line\n\nx = ghp_%s\n# comment\r\n\nid: AKIA%s\nnpm_%s", a, b, c);
        struct hits h;
        CHECK_INT(scan(t, &h), 0);
        REQUIRE(h.n == 3);
        CHECK_STR(h.h[0].rule, "github-pat");
        CHECK_INT(h.h[0].line, 3);
        CHECK_INT(h.h[0].offset, strstr(t, a) - t);
        CHECK_STR(h.h[1].rule, "aws-access-key-id");
        CHECK_INT(h.h[1].line, 6);
        CHECK_INT(h.h[1].offset, strstr(t, b) - t);
        CHECK_STR(h.h[2].rule, "npm-token");
        CHECK_INT(h.h[2].line, 7); /* last line, no newline at the end */
        CHECK_INT(h.h[2].offset, strstr(t, c) - t);
        CHECK_STR(h.h[2].excerpt, "npm_********");
        free(t);
}

TEST(masking) {
        const char *id = gen(B32, 16), *key = gen(B64, 40), *gh = gen(ALNUM, 36);
        struct hits h;

        /* two secrets on one line: each excerpt masks both */
        char *t = fmt("AWS_ACCESS_KEY_ID=AKIA%s AWS_SECRET_ACCESS_KEY=%s\n", id, key);
        CHECK_INT(scan(t, &h), 0);
        CHECK_INT(h.n, 2);
        for (size_t i = 0; i < h.n; i++) {
                CHECK(!excerpt_leaks(h.h[i].excerpt, id));
                CHECK(!excerpt_leaks(h.h[i].excerpt, key));
        }
        free(t);

        /* the same secret repeated on the line */
        t = fmt("GH=ghp_%s; curl -H \"token %s\" x\n", gh, gh);
        CHECK_INT(scan(t, &h), 0);
        CHECK_INT(h.n, 1);
        CHECK(h.n == 1 && !excerpt_leaks(h.h[0].excerpt, gh));
        free(t);

        /* an excerpt is bounded and keeps the text around the secret */
        char pad[400];
        memset(pad, 'a', sizeof pad - 1);
        pad[sizeof pad - 1] = 0;
        t = fmt("%s const k = \"ghp_%s\"; %s\n", pad, gh, pad);
        CHECK_INT(scan(t, &h), 0);
        REQUIRE(h.n == 1);
        CHECK(strlen(h.h[0].excerpt) <= 130);
        CHECK(strstr(h.h[0].excerpt, "const k = \"ghp_********\"; aaa") != NULL);
        free(t);

        /* control characters and broken UTF-8 do not reach the excerpt */
        t = fmt("t\x01\t\xc3(\xe2\x82\xac ghp_%s \xff\n", gh);
        CHECK_INT(scan(t, &h), 0);
        REQUIRE(h.n == 1);
        CHECK_STR(h.h[0].excerpt, "t? ?(\xe2\x82\xac ghp_******** ?");
        free(t);
}

TEST(binary_content_is_skipped) {
        const char *gh = gen(ALNUM, 36);
        char *t = fmt("GITHUB_TOKEN=ghp_%s\n", gh);
        size_t n = strlen(t);
        struct hits h;

        char *bin = calloc(1, n + 100);
        memcpy(bin + 100, t, n);
        CHECK_INT(scan_with(engine(), bin, n + 100, &h), 1);
        CHECK_INT(h.n, 0);

        /* a NUL beyond the first 8 KiB does not make a text file binary */
        size_t big = 9000 + n;
        char *late = malloc(big);
        memset(late, 'x', 9000);
        late[8999] = '\n';
        late[8500] = 0;
        memcpy(late + 9000, t, n);
        CHECK_INT(scan_with(engine(), late, big, &h), 0);
        CHECK_INT(h.n, 1);
        free(late);
        free(bin);
        free(t);

        CHECK_INT(scan_with(engine(), "", 0, &h), 0);
        CHECK_INT(h.n, 0);
}

TEST(callback_error_aborts_scan) {
        const char *gh = gen(ALNUM, 36);
        char *t = fmt("ghp_%s\n", gh);
        struct secrets_scratch *s = NULL;
        struct hits h = {.abort_with = -ECANCELED};
        REQUIRE(secrets_scratch_new(engine(), &s) == 0);
        CHECK_INT(secrets_scan(engine(), s, t, strlen(t), collect, &h), -ECANCELED);
        /* the scratch is reusable after an aborted scan */
        h.abort_with = 0;
        CHECK_INT(secrets_scan(engine(), s, t, strlen(t), collect, &h), 0);
        CHECK_INT(h.n, 1);
        secrets_scratch_free(s);
        free(t);
}

TEST(scratch_belongs_to_its_engine) {
        struct secrets_engine *other = NULL;
        struct secrets_scratch *s = NULL;
        struct diag d;
        diag_init(&d);
        const char *rules =
                "rules:\n  - id: x\n    title: X\n    category: T\n    severity: LOW\n    regex: 'abc'\n";
        REQUIRE(secrets_engine_load_data("x.yaml", rules, strlen(rules), &d, &other) == 0);
        REQUIRE(secrets_scratch_new(other, &s) == 0);
        CHECK_INT(secrets_scan(engine(), s, "abc", 3, collect, NULL), -EINVAL);
        secrets_scratch_free(s);
        secrets_engine_free(other);
        diag_done(&d);
}

struct counter {
        size_t n;
        uint64_t last_offset;
        bool ordered;
};

static int count_cb(void *userdata, const struct secret_match *m) {
        struct counter *c = userdata;
        if (c->n && m->offset < c->last_offset)
                c->ordered = false;
        c->last_offset = m->offset;
        c->n++;
        return 0;
}

TEST(big_input) {
        /* 8 MiB of realistic text (config-ish lines) with a secret every 64 KiB, and one minified line of
         * 1 MiB with a token in its middle. */
        struct buf b = BUF_INIT(0);
        size_t planted = 0;
        while (b.len < 8 * MiB - 2 * MiB) {
                buf_printf(&b, "key_%zu = value %zu; some text, a=b, c: d # note\n", b.len, b.len * 7);
                if (b.len / (64 * KiB) > planted) {
                        buf_printf(&b, "GITHUB_TOKEN=ghp_%s\n", gen(ALNUM, 36));
                        planted++;
                }
        }
        for (size_t i = 0; i < 512 * KiB / 16; i++)
                buf_append_str(&b, "var a=b+c;f(x);");
        buf_printf(&b, "var t=\"ghp_%s\";", gen(ALNUM, 36));
        planted++;
        for (size_t i = 0; i < 512 * KiB / 16; i++)
                buf_append_str(&b, "var a=b+c;f(x);");
        buf_append_str(&b, "\n");

        struct secrets_scratch *s = NULL;
        struct counter c = {.ordered = true};
        REQUIRE(secrets_scratch_new(engine(), &s) == 0);
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK_INT(secrets_scan(engine(), s, b.data, b.len, count_cb, &c), 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECK_INT(c.n, planted);
        CHECK(c.ordered);
        double secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("big_input: %zu bytes in %.3f s\n", b.len, secs);
        /* generous: a sanitizer build on a busy machine still scans 8 MiB well within this */
        CHECK(secs < 30);

        /* a file of nothing but secrets stops at the cap and says so */
        buf_reset(&b);
        for (size_t i = 0; i < SECRETS_SCAN_MAX_MATCHES + 50; i++)
                buf_printf(&b, "ghp_%s\n", gen(ALNUM, 36));
        c = (struct counter){.ordered = true};
        CHECK_INT(secrets_scan(engine(), s, b.data, b.len, count_cb, &c), 2);
        CHECK_INT(c.n, SECRETS_SCAN_MAX_MATCHES);

        /* pathological input for the generic rules: one huge "password=" line */
        buf_reset(&b);
        for (size_t i = 0; i < 200000; i++)
                buf_append_str(&b, "password=");
        c = (struct counter){.ordered = true};
        clock_gettime(CLOCK_MONOTONIC, &t0);
        CHECK(secrets_scan(engine(), s, b.data, b.len, count_cb, &c) >= 0);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs = (double) (t1.tv_sec - t0.tv_sec) + (double) (t1.tv_nsec - t0.tv_nsec) / 1e9;
        printf("password= x 200000: %.3f s, %zu findings\n", secs, c.n);
        CHECK(secs < 30);

        secrets_scratch_free(s);
        buf_free(&b);
}

struct thread_job {
        const char *text;
        size_t found;
        int r;
};

static void *scan_thread(void *arg) {
        struct thread_job *j = arg;
        struct secrets_scratch *s = NULL;
        struct counter c = {.ordered = true};
        j->r = secrets_scratch_new(engine(), &s);
        for (int i = 0; i < 50 && j->r >= 0; i++) {
                c.n = 0;
                j->r = secrets_scan(engine(), s, j->text, strlen(j->text), count_cb, &c);
        }
        j->found = c.n;
        secrets_scratch_free(s);
        return NULL;
}

TEST(engine_shared_by_threads) {
        /* One engine, one scratch per thread (the documented contract), scanning at the same time. */
        char *t = fmt("a=ghp_%s\nb: AKIA%s\npassword = \"%s\"\n", gen(ALNUM, 36), gen(B32, 16),
                      "Xq7#mP2vL9sK");
        struct thread_job jobs[4];
        pthread_t th[4];
        (void) engine();
        for (int i = 0; i < 4; i++) {
                jobs[i] = (struct thread_job){.text = t};
                REQUIRE(pthread_create(&th[i], NULL, scan_thread, &jobs[i]) == 0);
        }
        for (int i = 0; i < 4; i++) {
                pthread_join(th[i], NULL);
                CHECK_INT(jobs[i].r, 0);
                CHECK_INT(jobs[i].found, 3);
        }
        free(t);
}

TEST(buffer_ending_at_a_page_boundary) {
        /* Hyperscan 5.4's AVX-512 VBMI literal matcher reads past the end of its buffer (found by
         * fuzz-secret-scan): a buffer that ends right before an unmapped page must not crash the scan. */
        static const char crash[] =
                "r69YZM\n\x9f\x9e\x8a\x87\x97\xc2\xb5\x99\xb6\x92\xaf\xb9\xcd\x89\xb6rW\n"
                "slauthToken=48thToken\n";
        const char *inputs[] = {
                crash,
                "password",
                "x token",
                "AKIA",
                "-----BEGIN RSA PRIVATE KEY-----",
                "ghp_",
                "SECRET=abc",
                "passphrase: Xq7#mP2vL9sKw\n_auth=",
                "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.",
        };
        long page = sysconf(_SC_PAGESIZE);
        uint8_t *map =
                mmap(NULL, (size_t) page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        REQUIRE(map != MAP_FAILED);
        REQUIRE(mprotect(map + page, (size_t) page, PROT_NONE) == 0);
        for (size_t i = 0; i < ELEMENTSOF(inputs); i++)
                for (size_t cut = 0; cut < strlen(inputs[i]); cut++) {
                        size_t n = strlen(inputs[i]) - cut;
                        uint8_t *p = map + page - n;
                        memcpy(p, inputs[i] + cut, n);
                        struct hits h;
                        CHECK(scan_with(engine(), (const char *) p, n, &h) >= 0);
                }
        munmap(map, (size_t) page * 2);
}

/* ---- the file policy ---- */

TEST(file_policy) {
        const struct secrets_engine *e = engine();
        static const char *const searched[] = {
                "root/.aws/credentials",
                "/root/.ssh/id_rsa",
                "home/app/.git-credentials",
                "home/app/.docker/config.json",
                "etc/ssl/private/server.key",
                "etc/ssl/certs/ca-certificates.crt",
                "etc/mysql/my.cnf",
                "app/.env",
                "app/config/settings.py",
                "app/node_modules/some-lib/index.js",
                "srv/app/.npmrc",
                "opt/service/application.properties",
                "usr/src/app/config.yaml",
                "usr/local/lib/python3.11/site-packages/app/settings.py",
                "usr/local/lib/node_modules/mytool/lib/config.js",
                "var/lib/jenkins/credentials.xml",
                "var/cache/debconf/passwords.dat",
                "./app/id_ed25519",
                "app/keys/server.pem",
                "app/docs/setup.md", /* the application's own docs are searched */
        };
        for (size_t i = 0; i < ELEMENTSOF(searched); i++)
                if (!secrets_engine_wants(e, searched[i], 1000)) {
                        fprintf(stderr, "policy skips '%s'\n", searched[i]);
                        tests_failed_checks++;
                }

        static const char *const skipped[] = {
                "usr/share/doc/openssl/README",
                "usr/share/man/man1/ls.1.gz",
                "usr/share/locale/de/LC_MESSAGES/apt.mo",
                "usr/share/i18n/locales/en_US",
                "usr/share/zoneinfo/Europe/Paris",
                "usr/share/terminfo/x/xterm",
                "lib/terminfo/x/xterm",
                "usr/include/openssl/pem.h",
                "var/lib/dpkg/status",
                "var/lib/apt/lists/deb.debian.org_debian_dists_bookworm_main_binary-amd64_Packages",
                "usr/lib/python3.11/urllib/request.py",
                "usr/lib/python3/dist-packages/oauthlib/oauth2/rfc6749/tokens.py",
                "usr/local/lib/python3.11/logging/handlers.py",
                "usr/lib/node_modules/npm/docs/content/configuring-npm/npmrc.md",
                "usr/share/nodejs/jsonwebtoken/README.md",
                "usr/local/go/src/crypto/tls/example_test.go",
                "usr/share/go-1.19/src/crypto/tls/testdata/example-key.pem",
                "app/node_modules/jsonwebtoken/README.md",
                "app/node_modules/ssh2/test/fixtures/id_rsa",
                "usr/local/lib/python3.11/site-packages/requests/tests/certs/server.key",
                "app/node_modules/x/lib/auth.test.js",
                "app/logo.png",
                "app/static/fonts/Inter.woff2",
                "app/dist/bundle.tar.gz",
                "app/__pycache__/settings.cpython-311.pyc",
                "app/settings.pyc",
                "usr/lib/x86_64-linux-gnu/libssl.so.3",
                "app/.git/objects/ab/cdef",
                "app/types/index.d.ts",
        };
        for (size_t i = 0; i < ELEMENTSOF(skipped); i++)
                if (secrets_engine_wants(e, skipped[i], 1000)) {
                        fprintf(stderr, "policy searches '%s'\n", skipped[i]);
                        tests_failed_checks++;
                }

        CHECK(secrets_engine_wants(e, "app/.env", SECRETS_MAX_FILE_SIZE));
        CHECK(!secrets_engine_wants(e, "app/.env", SECRETS_MAX_FILE_SIZE + 1));
        CHECK(!secrets_engine_wants(e, "app/.env", 0));
        CHECK(!secrets_engine_wants(e, NULL, 10));
}

/* ---- rules files ---- */

static int load_text(const char *text, char *err, size_t errsz, struct secrets_engine **ret) {
        struct diag d;
        struct secrets_engine *e = NULL;
        diag_init(&d);
        int r = secrets_engine_load_data("rules.yaml", text, strlen(text), &d, &e);
        snprintf(err, errsz, "%s", d.error);
        diag_done(&d);
        if (ret)
                *ret = e;
        else
                secrets_engine_free(e);
        return r;
}

#define RULE_HEAD "version: 1\nrules:\n  - id: r1\n    title: R\n    category: Test\n"

TEST(rules_file_errors) {
        static const struct {
                const char *text;
                const char *want; /* substring of the error */
        } cases[] = {
                {"rules: [\n", "rules.yaml:2:1: invalid YAML"},
                {"", "rules.yaml:1:1: the rules file is empty"},
                {"- a\n", "rules.yaml:1:1: expected a mapping with 'rules', found a list"},
                {"version: 2\nrules: []\n", "rules.yaml:1:10: unsupported rules format version '2'"},
                {"rules: []\n", "rules.yaml:1:1: no rules defined"},
                {"ruels: []\n", "rules.yaml:1:1: unknown top-level field 'ruels'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    colour: red\n",
                 "rules.yaml:8:5: rule 'r1': unknown field 'colour'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'ab(c'\n",
                 "rules.yaml:7:12: rule 'r1': invalid regex: missing closing parenthesis"},
                {RULE_HEAD "    severity: SEVERE\n    regex: 'abc'\n",
                 "rules.yaml:6:15: rule 'r1': invalid severity 'SEVERE' (expected LOW, MEDIUM, HIGH or "
                 "CRITICAL)"},
                {RULE_HEAD "    severity: UNKNOWN\n    regex: 'abc'\n",
                 "rules.yaml:6:15: rule 'r1': invalid severity"},
                {RULE_HEAD "    severity: HIGH\n", "rules.yaml:3:5: rule 'r1': missing 'regex'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'a*'\n",
                 "rules.yaml:7:12: rule 'r1': regex can match the empty string"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    severity: LOW\n",
                 "rules.yaml:8:5: rule 'r1': duplicate field 'severity'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n  - id: r1\n    title: R\n",
                 "rules.yaml:8:9: duplicate rule id 'r1' (first defined at line 3)"},
                {"rules:\n  - id: Bad_Id\n", "rules.yaml:2:9: rule #1: invalid id 'Bad_Id'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    min-entropy: lots\n",
                 "rules.yaml:8:18: rule 'r1': min-entropy 'lots' is not a number from 0 to 8"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    min-entropy: 9\n", "min-entropy '9'"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    allow: ['(']\n",
                 "rules.yaml:8:13: rule 'r1': invalid allow regex"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    allow: {a: b}\n",
                 "rules.yaml:8:12: rule 'r1': 'allow' must be a list of regexes, found a mapping"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    secret-group: 3\n",
                 "rules.yaml:8:19: rule 'r1': secret-group 3 does not exist (the regex has 0 groups)"},
                {RULE_HEAD "    severity: HIGH\n    regex: '(?<k>a)bc'\n    secret-group: s\n",
                 "rules.yaml:8:19: rule 'r1': secret-group 's' is not a group of the regex"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    keywords: [ab]\n",
                 "rules.yaml:8:16: rule 'r1': keyword 'ab' is shorter than 3 bytes"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    context-window: 0\n",
                 "rules.yaml:8:21: rule 'r1': context-window '0' is not a byte count"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n    title: Again\n",
                 "duplicate field 'title'"},
                {RULE_HEAD "    severity: &s HIGH\n    regex: *s\n",
                 "rules.yaml:7:12: YAML aliases are not supported in rules files"},
                {RULE_HEAD "    severity: [HIGH]\n    regex: 'abc'\n",
                 "rules.yaml:6:15: expected severity, found a list"},
                {RULE_HEAD "    severity: HIGH\n    regex: \"a\\0b\"\n",
                 "rules.yaml:7:12: regex contains a NUL byte"},
                {RULE_HEAD "    severity: HIGH\n    regex: 'abc'\n---\nrules: []\n",
                 "rules.yaml:8:1: a rules file holds one YAML document"},
                {RULE_HEAD "    severity: HIGH\n    regex: '(?|a|b)c'\n",
                 "rules.yaml:7:12: rule 'r1': regex cannot be used by the multi-pattern matcher"},
                {"rules:\n  - id: r1\n    title: \"a\\nb\"\n",
                 "rules.yaml:3:12: rule 'r1': 'title' must be one line"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char err[1024];
                int r = load_text(cases[i].text, err, sizeof err, NULL);
                CHECK(r < 0);
                if (!strstr(err, cases[i].want)) {
                        fprintf(stderr, "case %zu: error '%s' lacks '%s'\n", i, err, cases[i].want);
                        tests_failed_checks++;
                }
        }
}

TEST(rules_file_from_disk) {
        char err[1024] = "";
        struct diag d;
        struct secrets_engine *e = NULL;
        diag_init(&d);
        CHECK(secrets_engine_load("/nonexistent/rules.yaml", &d, &e) == -ENOENT);
        CHECK(strstr(d.error, "cannot open rules file '/nonexistent/rules.yaml'") != NULL);
        diag_done(&d);
        diag_init(&d);
        CHECK(secrets_engine_load("/", &d, &e) < 0);
        CHECK(strstr(d.error, "is not a regular file") != NULL);
        diag_done(&d);

        /* too large */
        size_t n = RULES_FILE_MAX + 10;
        char *big = malloc(n + 1);
        memset(big, '#', n);
        big[n] = 0;
        CHECK(load_text(big, err, sizeof err, NULL) == -E2BIG);
        free(big);
}

/* ---- rule features, on custom rules ---- */

static struct secrets_engine *load_ok(const char *text) {
        char err[1024];
        struct secrets_engine *e = NULL;
        if (load_text(text, err, sizeof err, &e) < 0) {
                fprintf(stderr, "cannot load test rules: %s\n", err);
                tests_failed_checks++;
        }
        return e;
}

TEST(custom_rule_modes_and_features) {
        struct secrets_engine *e = load_ok(
                "version: 1\n"
                "allow: ['^IGNORED']\n"
                "rules:\n"
                "  - id: fixed\n    title: F\n    category: T\n    severity: LOW\n    regex: 'FX-[0-9]{6}'\n"
                "  - id: som\n    title: S\n    category: T\n    severity: MEDIUM\n"
                "    regex: 'key=(?<secret>[a-z]+)'\n    multiline: true\n"
                "  - id: lookahead\n    title: L\n    category: T\n    severity: HIGH\n"
                "    regex: 'pin:(?<secret>[0-9]{4})(?![0-9])'\n"
                "  - id: keyword\n    title: K\n    category: T\n    severity: CRITICAL\n"
                "    keywords: [magic]\n    regex: '(?i)magic\\s+(\\w+)'\n    secret-group: 1\n"
                "  - id: context\n    title: C\n    category: T\n    severity: LOW\n"
                "    regex: 'code=(?<secret>[A-Z]{5})'\n    context: 'vault'\n    context-window: 20\n"
                "  - id: entropy\n    title: E\n    category: T\n    severity: LOW\n"
                "    regex: 'ent=(?<secret>\\w+)'\n    min-entropy: 2.5\n    allow: ['^skip']\n");
        REQUIRE(e);
        CHECK_INT(e->rules.items[0].mode, MODE_FIXED);
        CHECK_INT(e->rules.items[0].width, 9);
        CHECK_INT(e->rules.items[1].mode, MODE_SOM);
        CHECK_INT(e->rules.items[2].mode, MODE_WINDOW);
        CHECK(e->rules.items[2].prefilter);
        CHECK_INT(e->rules.items[3].mode, MODE_WINDOW);
        CHECK_INT(e->patterns.n, 6);

        struct hits h;
        const char *t = "a FX-123456 b\nkey=abcdef\npin:1234 pin:12345\nthe MAGIC word\n"
                        "code=ABCDE in the vault\n..............................\ncode=FGHIJ far from "
                        "anything ...........\n"
                        "ent=aaaaaaaa ent=abcdefgh ent=skipthisone ent=IGNOREDxyz\n";
        CHECK_INT(scan_with(e, t, strlen(t), &h), 0);
        REQUIRE(h.n == 6);
        CHECK_STR(h.h[0].rule, "fixed");
        CHECK_STR(h.h[0].excerpt, "a ******** b");
        CHECK_STR(h.h[1].rule, "som");
        CHECK_STR(h.h[1].excerpt, "key=********");
        CHECK_STR(h.h[2].rule, "lookahead");
        CHECK_INT(h.h[2].offset, strstr(t, "pin:1234") + 4 - t);
        CHECK_STR(h.h[3].rule, "keyword");
        CHECK_STR(h.h[3].excerpt, "the MAGIC ********");
        CHECK_INT(h.h[3].severity, SEV_CRITICAL);
        CHECK_STR(h.h[4].rule, "context");
        CHECK_INT(h.h[4].line, 5);
        CHECK_STR(h.h[5].rule, "entropy");
        CHECK_INT(h.h[5].offset, strstr(t, "abcdefgh") - t);
        secrets_engine_free(e);
}

TEST(oversized_expression_falls_back) {
        /* Large bounded repeats are too big for start-of-match tracking: matched by end, verified by line.
         */
        struct secrets_engine *e =
                load_ok(RULE_HEAD
                        "    severity: LOW\n"
                        "    regex: '(?i)(?:pw|pass)[:=](?<secret>[^\\s\"]{8,128})(?:x{1,40}|y{1,40}|$)'\n");
        REQUIRE(e);
        CHECK(e->rules.items[0].mode == MODE_WINDOW);
        struct hits h;
        const char *t = "a\npass=abcdefghij\n";
        CHECK_INT(scan_with(e, t, strlen(t), &h), 0);
        CHECK_INT(h.n, 1);
        CHECK(h.n == 1 && h.h[0].line == 2);
        secrets_engine_free(e);
}

TEST(regex_names_stripped_for_hyperscan) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                {"(?<secret>a)", "(a)"},
                {"(?P<s>a)|(?'t'b)", "(a)|(b)"},
                {"(?<=a)b(?<!c)", "(?<=a)b(?<!c)"},
                {"[(?<x>]", "[(?<x>]"},
                {"[]](?<x>y)", "[]](y)"},
                {"[^]a](?<x>y)", "[^]a](y)"},
                {"\\(?<x>", "\\(?<x>"},
                {"\\Q(?<x>\\E(?<y>z)", "\\Q(?<x>\\E(z)"},
                {"[[:alpha:]](?<x>z)", "[[:alpha:]](z)"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                char *s = secrets_regex_for_hyperscan(cases[i].in);
                CHECK_STR(s, cases[i].out);
                free(s);
        }
}

TEST(entropy) {
        CHECK(secrets_entropy((const uint8_t *) "aaaa", 4) == 0);
        CHECK(secrets_entropy((const uint8_t *) "abcd", 4) == 2);
        CHECK(secrets_entropy((const uint8_t *) "", 0) == 0);
}

/* The shared engine lives for the whole run; freed at exit so leak checkers stay quiet. */
__attribute__((destructor)) static void free_engine(void) {
        secrets_engine_free(shared_engine);
}
