/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Paths inside an image. Image paths are kept relative to the image root, without a leading '/', with
 * no '.', '..', empty or trailing components: "usr/lib/os-release". The root itself is "". */

#include "arena.h"
#include "macro.h"

#define PATH_MAX_IMAGE   4096 /* longest image path we accept */
#define PATH_MAX_DEPTH   256  /* most components we accept */

/* Normalizes an archive member name into image-path form, into out (size PATH_MAX_IMAGE + 1).
 * '..' that would climb above the root is not clamped: it returns -EXDEV, because a member that tries it
 * is an attack, not a path. Returns -ENAMETOOLONG / -E2BIG (too deep) / -EINVAL (empty or NUL) too. */
int path_normalize_member(const char *raw, char *out);

/* Resolves a symlink's target the way the kernel would inside a chroot at the image root: absolute
 * targets restart at the root, '..' at the root stays at the root. link_path is the (normalized) path of
 * the symlink itself. Writes the normalized result into out (PATH_MAX_IMAGE + 1). */
int path_resolve_link_target(const char *link_path, const char *target, char *out);

/* Joins a normalized directory and a relative path with chroot semantics (as above). */
int path_join_chroot(const char *dir, const char *rel, char *out);

/* Pointer to the last component (the whole string if there is no '/'). */
const char *path_basename(const char *p);
/* Length of the directory part ("a/b/c" -> 3 for "a/b", "c" -> 0). */
size_t path_dirname_len(const char *p);
/* True if p equals prefix or lies below it ("usr/lib" is under "usr"; "usrx" is not). "" is above all. */
bool path_is_under(const char *p, const char *prefix);
/* True if the path contains the component c anywhere ("a/node_modules/b" contains "node_modules"). */
bool path_has_component(const char *p, const char *c);
bool str_has_suffix(const char *s, const char *suffix);
bool str_has_prefix(const char *s, const char *prefix);
