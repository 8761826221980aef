/* SPDX-License-Identifier: Apache-2.0 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "diag.h"

void diag_init(struct diag *d) {
        memset(d, 0, sizeof *d);
        pthread_mutex_init(&d->lock, NULL);
}

void diag_done(struct diag *d) {
        for (size_t i = 0; i < d->n_warnings; i++)
                free(d->warnings[i]);
        free(d->warnings);
        pthread_mutex_destroy(&d->lock);
        d->warnings = NULL;
        d->n_warnings = 0;
}

/* Messages come from hostile data (paths, names): keep them on one printable line. */
static void sanitize(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < 0x20 || *s == 0x7f)
                        *s = '?';
}

int diag_error(struct diag *d, int err, const char *fmt, ...) {
        if (!d)
                return err;
        pthread_mutex_lock(&d->lock);
        if (!d->error[0]) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(d->error, sizeof d->error, fmt, ap);
                va_end(ap);
                sanitize(d->error);
        }
        pthread_mutex_unlock(&d->lock);
        return err;
}

bool diag_has_error(struct diag *d) {
        pthread_mutex_lock(&d->lock);
        bool r = d->error[0] != 0;
        pthread_mutex_unlock(&d->lock);
        return r;
}

void diag_warn(struct diag *d, const char *fmt, ...) {
        char *m = NULL;
        va_list ap;

        if (!d)
                return;
        va_start(ap, fmt);
        int n = vasprintf(&m, fmt, ap);
        va_end(ap);
        if (n < 0)
                return;
        sanitize(m);

        pthread_mutex_lock(&d->lock);
        if (d->n_warnings >= DIAG_MAX_WARNINGS) {
                d->n_dropped++;
                free(m);
        } else {
                char **w = realloc(d->warnings, (d->n_warnings + 1) * sizeof *w);
                if (w) {
                        d->warnings = w;
                        d->warnings[d->n_warnings++] = m;
                } else {
                        free(m);
                        d->n_dropped++;
                }
        }
        pthread_mutex_unlock(&d->lock);
}
