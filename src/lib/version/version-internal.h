/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Shared by the scheme files of src/lib/version/; not part of the module's API. */

#include "version.h"

/* ASCII-only character classes: the tools we reproduce use the C locale (or their language's ASCII
 * classes), never the process locale. */
static inline bool v_isdigit(char c) {
        return c >= '0' && c <= '9';
}
static inline bool v_islower(char c) {
        return c >= 'a' && c <= 'z';
}
static inline bool v_isupper(char c) {
        return c >= 'A' && c <= 'Z';
}
static inline bool v_isalpha(char c) {
        return v_islower(c) || v_isupper(c);
}
static inline bool v_isalnum(char c) {
        return v_isdigit(c) || v_isalpha(c);
}
static inline char v_tolower(char c) {
        return v_isupper(c) ? (char) (c - 'A' + 'a') : c;
}
static inline int v_sign(long long x) {
        return (x > 0) - (x < 0);
}

/* Compares two runs of ASCII digits as the numbers they spell, whatever their length (leading zeros do
 * not count; an empty run is 0). Returns -1, 0 or 1. */
int v_digits_cmp(const char *a, size_t an, const char *b, size_t bn);
/* Length of the run of ASCII digits at s. */
size_t v_digits_span(const char *s);
/* Whether a run of digits is all zeros (or empty). */
bool v_digits_zero(const char *s, size_t n);
/* memcmp-like ordering of two byte strings, shorter prefix first; -1, 0 or 1. */
int v_bytes_cmp(const char *a, size_t an, const char *b, size_t bn);

/* One comparator and validator per scheme; compare returns 0 or -EINVAL (either version invalid) and
 * sets *ret to -1, 0 or 1 on success. */
int version_dpkg_compare(const char *a, const char *b, int *ret);
bool version_dpkg_valid(const char *v);
int version_apk_compare(const char *a, const char *b, int *ret);
bool version_apk_valid(const char *v);
int version_rpm_compare(const char *a, const char *b, int *ret);
bool version_rpm_valid(const char *v);
int version_semver_compare(const char *a, const char *b, int *ret);
bool version_semver_valid(const char *v);
int version_go_compare(const char *a, const char *b, int *ret);
bool version_go_valid(const char *v);
int version_pep440_compare(const char *a, const char *b, int *ret);
bool version_pep440_valid(const char *v);
int version_maven_compare(const char *a, const char *b, int *ret);
bool version_maven_valid(const char *v);
int version_gem_compare(const char *a, const char *b, int *ret);
bool version_gem_valid(const char *v);
int version_nuget_compare(const char *a, const char *b, int *ret);
bool version_nuget_valid(const char *v);
int version_generic_compare(const char *a, const char *b, int *ret);
bool version_generic_valid(const char *v);

/* apk_version_compare(), which orders invalid versions too (by their valid prefix); -1, 0 or 1. */
int version_apk_compare_any(const char *a, const char *b);
/* rpmvercmp() on two byte ranges (not NUL-terminated); -1, 0 or 1. */
int v_rpmvercmp(const char *a, size_t an, const char *b, size_t bn);
