/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Diagnostics of one operation (a scan, a database build): the first error, as one line naming the cause
 * and the subject, and the warnings met along the way (an entry skipped, a record that did not parse).
 * Library code records here and returns a negative errno; only the front end prints.
 *
 * Thread-safe: several layer workers report into one diag. */

#include <pthread.h>

#include "macro.h"

#define DIAG_MAX_WARNINGS 500 /* beyond this, warnings are only counted */

struct diag {
        pthread_mutex_t lock;
        char error[1024]; /* empty when no error was recorded */
        char **warnings;
        size_t n_warnings, n_dropped;
};

void diag_init(struct diag *d);
void diag_done(struct diag *d);

/* Records the error (the first one wins: later ones are usually consequences) and returns err, which
 * must be a negative errno, so callers can write: return diag_error(d, -EBADMSG, "…"). */
int diag_error(struct diag *d, int err, const char *fmt, ...) _printf_(3, 4);
void diag_warn(struct diag *d, const char *fmt, ...) _printf_(2, 3);
bool diag_has_error(struct diag *d);
