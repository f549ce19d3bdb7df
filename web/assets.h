// SPDX-License-Identifier: GPL-2.0-or-later
/* web_assets: the status page files (web/static/), embedded into the binary
 * at build time by web/embed.sh as static const data (build/web_assets.c).
 * Each file is /static/NAME (web/page.c maps "/" to /static/index.html). */
#ifndef WEB_ASSETS_H
#define WEB_ASSETS_H

#include <stddef.h>

struct web_asset {
	const char *path;          /* "/static/app.js" */
	const char *content_type;  /* "text/javascript; charset=utf-8" */
	const unsigned char *data; /* len bytes, followed by a NUL */
	size_t len;
};

/* NULL when no embedded file has that path. */
const struct web_asset *web_asset_find(const char *path);

#endif
