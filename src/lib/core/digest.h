/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SHA-256 for content addresses ("sha256:<64 hex>"), over OpenSSL's EVP (which uses SHA-NI/AVX where the
 * CPU has them). Each struct sha256 is used by one thread at a time. */

#include "macro.h"

#define DIGEST_STR_MAX 72 /* "sha256:" + 64 hex + NUL, rounded */

struct sha256 {
        void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h);
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Writes "sha256:<hex>" into out and releases the context. */
void sha256_final_str(struct sha256 *h, char out[static DIGEST_STR_MAX]);
void sha256_done(struct sha256 *h);
int sha256_str(const void *p, size_t n, char out[static DIGEST_STR_MAX]);

/* True if s is "sha256:" followed by exactly 64 lowercase hex digits. Other algorithms (sha512) are
 * recognized by digest_algorithm_supported() so callers can say "unsupported" rather than "malformed". */
bool digest_is_valid_sha256(const char *s);
bool digest_looks_like_digest(const char *s);
/* The hex part of a digest ("sha256:ab.." -> "ab.."); s itself when there is no ':'. */
const char *digest_hex(const char *s);
/* A short form for humans: "sha256:0123456789ab". */
const char *digest_short(const char *s, char out[static 20]);
