/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A tiny unit-test harness: TEST(name) { … } functions registered at load time, run by tests_main().
 * Every check prints file:line and the values on failure; a test fails if any check failed. */

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*test_fn)(void);
void tests_register(const char *name, test_fn fn);
int tests_main(int argc, char **argv);
extern int tests_failed_checks;
/* Path of a file under the source tree (tests/data/...), from $STOCKADE_SRCDIR. */
const char *test_srcpath(const char *rel);
/* Reads a whole file (test data) into a malloc'd, NUL-terminated buffer; aborts on error. */
char *test_read_file(const char *path, size_t *ret_len);

#define TEST(name)                                                                                            \
        static void test_##name(void);                                                                        \
        __attribute__((constructor)) static void register_##name(void) {                                      \
                tests_register(#name, test_##name);                                                           \
        }                                                                                                     \
        static void test_##name(void)

#define CHECK(cond)                                                                                           \
        do {                                                                                                  \
                if (!(cond)) {                                                                                \
                        fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);              \
                        tests_failed_checks++;                                                                \
                }                                                                                             \
        } while (0)

#define CHECK_INT(a, b)                                                                                       \
        do {                                                                                                  \
                long long _a = (long long) (a), _b = (long long) (b);                                         \
                if (_a != _b) {                                                                               \
                        fprintf(stderr, "%s:%d: %s == %s failed: %lld != %lld\n", __FILE__, __LINE__, #a, #b, \
                                _a, _b);                                                                      \
                        tests_failed_checks++;                                                                \
                }                                                                                             \
        } while (0)

#define CHECK_STR(a, b)                                                                                       \
        do {                                                                                                  \
                const char *_a = (a), *_b = (b);                                                              \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                                      \
                        fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a, \
                                #b, _a ? _a : "(null)", _b ? _b : "(null)");                                  \
                        tests_failed_checks++;                                                                \
                }                                                                                             \
        } while (0)

/* Stops the current test when a precondition for the rest fails. */
#define REQUIRE(cond)                                                                                         \
        do {                                                                                                  \
                if (!(cond)) {                                                                                \
                        fprintf(stderr, "%s:%d: requirement failed: %s\n", __FILE__, __LINE__, #cond);        \
                        tests_failed_checks++;                                                                \
                        return;                                                                               \
                }                                                                                             \
        } while (0)
