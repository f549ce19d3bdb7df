// SPDX-License-Identifier: GPL-2.0-or-later
/* utf8: UTF-8 checks for text that crosses a boundary (HTTP query values,
 * file names, paths, messages that quote them). jansson refuses strings
 * that are not valid UTF-8 (json_string returns NULL), so every string
 * that came from outside is checked or cleaned before it goes into JSON.
 * Valid means RFC 3629: no overlong forms, no surrogates, nothing past
 * U+10FFFF. */
#ifndef COMMON_UTF8_H
#define COMMON_UTF8_H

#include <stddef.h>

/* Length (1-4) of the valid UTF-8 sequence at p (n bytes available), 0
 * when the bytes there are not one. */
size_t utf8_seq_len(const unsigned char *p, size_t n);
/* 1 when the NUL-terminated s is valid UTF-8. */
int utf8_valid(const char *s);

enum utf8_mode {
	UTF8_ESCAPE,   /* an invalid byte becomes the four characters \xNN */
	UTF8_REPLACE,  /* ... becomes U+FFFD */
};

/* Copy the NUL-terminated src into dst (dn bytes, always NUL-terminated)
 * as valid UTF-8: invalid bytes as mode says, control characters (below
 * 0x20, and 0x7F) dropped when drop_controls, and the copy cut only
 * between characters, never inside one. Returns 1 when something had to
 * be changed (invalid bytes or dropped controls; not the cut), else 0. */
int utf8_clean(char *dst, size_t dn, const char *src, enum utf8_mode mode, int drop_controls);

#endif
