/* web_assets: the status page files (web/static/), embedded into the binary
 * at build time by web/embed.sh as static const data (build/web_assets.c).
 * Each file is /static/NAME; "/" and "/index.html" find index.html. */
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
size_t web_asset_count(void);
const struct web_asset *web_asset_at(size_t i);

#endif
