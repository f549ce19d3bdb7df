// SPDX-License-Identifier: GPL-2.0-or-later
/* web_page: the status page at / and its files at /static/NAME.
 *
 * Served from the copy embedded at build time (web/assets.h), or, with
 * --web-root DIR, from DIR/NAME on disk while editing the page. Only
 * plain file names ([A-Za-z0-9._-], no leading dot) are looked up, so a
 * request can never name a path outside DIR. */
#ifndef WEB_PAGE_H
#define WEB_PAGE_H

#include "http.h"

struct web_page;

/* web_root NULL or "" = the embedded copy. */
struct web_page *web_page_new(const char *web_root);
int web_page_register(struct web_page *p, struct web_server *s);
void web_page_free(struct web_page *p);

#endif
