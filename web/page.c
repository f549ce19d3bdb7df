// SPDX-License-Identifier: GPL-2.0-or-later
/* web_page: the page at / and its files under /static/ (see page.h). */
#include "page.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assets.h"

#define PAGE_MAX_FILE (4U << 20)

struct web_page {
	char root[512];
};

struct web_page *web_page_new(const char *web_root)
{
	struct web_page *p = calloc(1, sizeof(*p));

	if (p && web_root)
		snprintf(p->root, sizeof(p->root), "%s", web_root);
	return p;
}

void web_page_free(struct web_page *p)
{
	free(p);
}

/* Content type for a file name by its extension (files from disk). */
static const char *content_type(const char *name)
{
	static const struct { const char *ext, *type; } types[] = {
		{ ".html", "text/html; charset=utf-8" },
		{ ".css", "text/css; charset=utf-8" },
		{ ".js", "text/javascript; charset=utf-8" },
		{ ".svg", "image/svg+xml" },
		{ ".png", "image/png" },
		{ ".ico", "image/x-icon" },
		{ ".json", "application/json" },
		{ ".txt", "text/plain; charset=utf-8" },
	};
	const char *dot = strrchr(name, '.');

	for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static int plain_name(const char *s)
{
	if (!*s || *s == '.' || strlen(s) > 128)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '.' || *s == '_' || *s == '-'))
			return 0;
	return 1;
}

static enum MHD_Result from_disk(struct web_page *p, struct web_request *req, const char *name)
{
	char path[700];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", p->root, name);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		if (errno == ENOENT)
			return web_reply_code(req, SF_E_NOTFOUND, "no file %s in the web root", name);
		return web_reply_code(req, SF_E_IO, "%s in the web root: %s", name, strerror(errno));
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > (off_t)PAGE_MAX_FILE) {
		close(fd);
		return web_reply_code(req, SF_E_NOTFOUND, "%s is not a servable file", name);
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf || got != (size_t)st.st_size) {
		free(buf);
		return web_reply_code(req, SF_E_IO, "cannot read %s from the web root", name);
	}
	return web_reply_buffer(req, MHD_HTTP_OK, content_type(name), buf, got, 1);
}

static enum MHD_Result on_page(void *user, struct web_request *req)
{
	static const char *const allowed[] = { NULL };
	struct web_page *p = user;
	const char *path = web_req_path(req);
	const char *name;
	enum MHD_Result ret;

	/* the page and its files take no options (a cache-busting ?v= is not
	 * used, so anything there is a mistake) */
	if (web_req_args_refused(req, allowed, &ret))
		return ret;

	if (!strcmp(path, "/") || !strcmp(path, "/index.html"))
		name = "index.html";
	else if (!strncmp(path, "/static/", 8))
		name = path + 8;
	else
		name = "";
	if (!plain_name(name))
		return web_reply_code(req, SF_E_NOTFOUND, "no such page");
	web_req_add_header(req, "Cache-Control", "no-cache");
	web_req_add_header(req, "X-Content-Type-Options", "nosniff");
	web_req_add_header(req, "Content-Security-Policy",
			   "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'");
	if (p->root[0])
		return from_disk(p, req, name);

	char key[160];
	snprintf(key, sizeof(key), "/static/%s", name);
	const struct web_asset *a = web_asset_find(key);
	if (!a)
		return web_reply_code(req, SF_E_NOTFOUND, "no such page");
	return web_reply_buffer(req, MHD_HTTP_OK, a->content_type, (void *)a->data, a->len, 0);
}

int web_page_register(struct web_page *p, struct web_server *s)
{
	if (web_route_add(s, "GET", "/", WEB_OPEN, WEB_BODY_NONE, on_page, p) ||
	    web_route_add(s, "GET", "/index.html", WEB_OPEN, WEB_BODY_NONE, on_page, p) ||
	    web_route_add(s, "GET", "/static/*", WEB_OPEN, WEB_BODY_NONE, on_page, p))
		return -1;
	return 0;
}
