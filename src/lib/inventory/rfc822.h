/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A reader for "Key: value" stanza formats: deb822 (dpkg status, status.d, DEP-5 copyright files) and the
 * e-mail header style of Python's METADATA / PKG-INFO. A field may continue on following lines that start
 * with a space or a tab; stanzas are separated by empty lines.
 *
 * The reader never allocates and never copies: fields are spans into the caller's buffer, which need not
 * be NUL-terminated. It accepts CRLF line ends, a missing final newline and NUL bytes (which the caller's
 * text checks reject). Not thread-safe per reader; readers are independent.
 *
 * Also here: small checks for text that comes from an image before it becomes a package field. */

#include "macro.h"

enum rfc822_flags {
        /* deb822: a line of only blanks ends a stanza (Debian policy lets parsers accept this). Without
         * it (e-mail style), such a line continues the previous field, as in old PKG-INFO descriptions. */
        RFC822_BLANK_LINE_BREAKS = 1u << 0,
        /* deb822 files that allow comments (DEP-5): lines starting with '#' are ignored. */
        RFC822_COMMENTS = 1u << 1,
};

struct rfc822 {
        const char *p, *end;
        unsigned flags;
        unsigned line;  /* 1-based number of the next line to read */
        bool in_stanza; /* a field of the current stanza has been returned */
};

enum rfc822_event {
        RFC822_EOF = 0,  /* no more input (a stanza still open was closed by an RFC822_END before) */
        RFC822_FIELD,    /* a field: see struct rfc822_field */
        RFC822_END,      /* the end of a stanza that had at least one field or bad line */
        RFC822_BAD_LINE, /* a line that is neither a field, a continuation nor a separator; skipped */
};

struct rfc822_field {
        const char *name;
        size_t name_len;
        const char *value; /* the first line's value, blanks trimmed on both sides (may be empty) */
        size_t value_len;
        const char *raw; /* everything after the colon up to the end of the last continuation line */
        size_t raw_len;
        unsigned n_cont; /* continuation lines */
        unsigned line;   /* line of the field name */
};

void rfc822_init(struct rfc822 *r, const char *data, size_t n, unsigned flags);
/* Reads the next event; *ret is filled for RFC822_FIELD, and its .line for RFC822_BAD_LINE. */
enum rfc822_event rfc822_next(struct rfc822 *r, struct rfc822_field *ret);

/* Case-insensitive field name comparison (deb822 and e-mail names are both case-insensitive). */
bool rfc822_name_is(const struct rfc822_field *f, const char *name);

/* Iterates over the continuation lines of a field: set *pos = NULL first; returns true with the next line
 * (leading blanks and the trailing CR stripped) until there are none. */
bool rfc822_next_cont(const struct rfc822_field *f, const char **pos, const char **ret_line,
                      size_t *ret_len);

/* Blank = space or tab; trims both ends of [*s, *s + *n). */
void text_trim(const char **s, size_t *n);
/* Valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
bool text_utf8_valid(const char *s, size_t n);
/* Text fit for an identifier field (package name, version, arch, license): non-empty, at most max bytes,
 * valid UTF-8, no control characters (so also no NUL, CR or LF). */
bool text_field_ok(const char *s, size_t n, size_t max);
/* Same, but spaces are refused too. */
bool text_token_ok(const char *s, size_t n, size_t max);
/* Case-insensitive comparison of a span with a NUL-terminated string. */
bool span_eq_nocase(const char *s, size_t n, const char *lit);
