/* SPDX-License-Identifier: Apache-2.0 */
#include <openssl/evp.h>
#include <string.h>

#include "digest.h"

int sha256_init(struct sha256 *h) {
        EVP_MD_CTX *c = EVP_MD_CTX_new();
        if (!c)
                return -ENOMEM;
        if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
                EVP_MD_CTX_free(c);
                return -EIO;
        }
        h->ctx = c;
        return 0;
}

void sha256_update(struct sha256 *h, const void *p, size_t n) {
        if (n)
                EVP_DigestUpdate(h->ctx, p, n);
}

void sha256_final_str(struct sha256 *h, char out[static DIGEST_STR_MAX]) {
        unsigned char md[32];
        unsigned len = 0;
        static const char hex[] = "0123456789abcdef";

        EVP_DigestFinal_ex(h->ctx, md, &len);
        memcpy(out, "sha256:", 7);
        for (unsigned i = 0; i < 32; i++) {
                out[7 + 2 * i] = hex[md[i] >> 4];
                out[8 + 2 * i] = hex[md[i] & 15];
        }
        out[71] = 0;
        sha256_done(h);
}

void sha256_done(struct sha256 *h) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
}

int sha256_str(const void *p, size_t n, char out[static DIGEST_STR_MAX]) {
        struct sha256 h;
        int r = sha256_init(&h);
        if (r < 0)
                return r;
        sha256_update(&h, p, n);
        sha256_final_str(&h, out);
        return 0;
}

bool digest_is_valid_sha256(const char *s) {
        if (!s || strncmp(s, "sha256:", 7) != 0 || strlen(s) != 71)
                return false;
        for (const char *p = s + 7; *p; p++)
                if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
                        return false;
        return true;
}

bool digest_looks_like_digest(const char *s) {
        const char *c = s ? strchr(s, ':') : NULL;
        if (!c || c == s || strlen(c + 1) < 32)
                return false;
        for (const char *p = s; p < c; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '+' || *p == '.' ||
                      *p == '_' || *p == '-'))
                        return false;
        return true;
}

const char *digest_hex(const char *s) {
        const char *c = strchr(s, ':');
        return c ? c + 1 : s;
}

const char *digest_short(const char *s, char out[static 20]) {
        snprintf(out, 20, "%.19s", s ? s : "");
        return out;
}
