// SPDX-License-Identifier: GPL-2.0-or-later
/* web_http: the libmicrohttpd server, the route table and request limits.
 *
 * Routes are a table that any module extends with web_route_add() before
 * web_server_start(): a method, a path pattern ("/api/v1/jobs/{}" where {}
 * matches one path segment, a trailing "*" matches the rest), who may call
 * it (open, read, write), and how its body is received. An unknown path is
 * 404 JSON; a known path with another method is 405 JSON.
 *
 * Bodies: WEB_BODY_SMALL is kept in memory (up to 64 KiB);
 * WEB_BODY_UPLOAD streams to a temporary file (raw body, or the multipart
 * field `firmware`) and keeps a small JSON body (Content-Type
 * application/json) in memory. A body larger than max_body_bytes is 413:
 * at once when Content-Length says so, otherwise the excess is discarded
 * and never stored.
 *
 * Every request first passes the head checks: an HTTP/1.1 request needs
 * exactly one Host header (400), two different Content-Length headers or
 * Content-Length with Transfer-Encoding are 400 (a proxy in front could
 * frame the body otherwise), a Host the station does not answer to is 421
 * (DNS rebinding), and a POST or DELETE whose Origin is not the station's
 * own is 403 (a cross-site form). The station answers to: localhost, any
 * loopback address, the listen address, the address the client connected
 * to, the machine's other interface addresses, its host name (and
 * NAME.local), and cfg->allowed_hosts. Wrong tokens are rate limited per
 * client address (daemon/auth.h): 429 with Retry-After.
 *
 * Threads: one per connection (bounded by max_connections), so a handler
 * may block (e.g. wait for a job) without delaying other clients. Handlers
 * must never touch SWD. */
#ifndef WEB_HTTP_H
#define WEB_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stddef.h>
#include <stdint.h>

#include "../daemon/auth.h"
#include "../common/err.h"

enum web_access {
	WEB_OPEN,   /* never needs the token (/healthz) */
	WEB_READ,   /* needs it only when reads are protected */
	WEB_MEMORY, /* reads chip memory: needs it unless [auth] protect_memory=no */
	WEB_WRITE,  /* always needs it when a token is configured */
};

enum web_body { WEB_BODY_NONE, WEB_BODY_SMALL, WEB_BODY_UPLOAD };

enum web_upload_kind { WEB_UPLOAD_NONE, WEB_UPLOAD_RAW, WEB_UPLOAD_MULTIPART, WEB_UPLOAD_JSON };

struct web_request;
struct web_server;

/* Handlers answer with one of the web_reply_* functions and return its
 * result. */
typedef enum MHD_Result (*web_handler_fn)(void *user, struct web_request *req);

struct web_config {
	char listen[128];          /* "ADDR:PORT", "[v6]:PORT"; port 0 = any */
	unsigned max_connections;
	unsigned max_connections_per_address;
	char allowed_hosts[256];   /* more names/addresses for Host; "*": any */
	unsigned max_header_bytes;
	uint64_t max_body_bytes;
	unsigned connection_timeout;
	uint64_t max_client_bytes; /* replies held for clients, in all (503 past it) */
	unsigned request_timeout;  /* seconds to receive a body after the head (408 past it) */
	char tmp_dir[600];         /* uploads are streamed here */
};

struct web_server *web_server_new(const struct web_config *cfg, struct auth *auth,
				  struct sf_err *err);
int web_route_add(struct web_server *s, const char *method, const char *pattern,
		  enum web_access access, enum web_body body, web_handler_fn fn, void *user);
/* A module's route table, added in order with one user pointer. */
struct web_route_spec {
	const char *method, *pattern;
	enum web_access access;
	enum web_body body;
	web_handler_fn fn;
};
int web_routes_add(struct web_server *s, const struct web_route_spec *spec, size_t n,
		   void *user);
/* added: serve on fd, a socket that already listens (systemd socket
 * activation), instead of binding cfg->listen; the address in cfg->listen
 * should then describe fd. */
void web_server_set_listen_fd(struct web_server *s, int fd);
/* Bind and start serving. *port receives the bound port. */
int web_server_start(struct web_server *s, unsigned *port, struct sf_err *err);
void web_server_stop(struct web_server *s);
void web_server_free(struct web_server *s);
/* SIGHUP: the body limit may change at run time. */
void web_server_set_max_body(struct web_server *s, uint64_t max_body_bytes);
/* 1 when ADDR in "ADDR:PORT" is a loopback address. */
int web_listen_is_loopback(const char *listen);

/* ---- request accessors ---- */
const char *web_req_path(struct web_request *r);
/* The n-th {} of the route pattern (0-based), or NULL. */
const char *web_req_param(struct web_request *r, unsigned n);
/* Query argument, or a small multipart form field of that name. */
const char *web_req_query(struct web_request *r, const char *key);
const char *web_req_header(struct web_request *r, const char *name);
/* Every query argument and small form field is one of allowed (a NULL-
 * terminated list) and none is given twice: 0, or -1 with why (naming the
 * option and what the endpoint takes). */
int web_req_check_args(struct web_request *r, const char *const *allowed, char *why, size_t n);
/* The same, with the 400 naming the option queued (*ret): 1 when refused.
 * Every handler calls it (or web_req_check_args) before it answers. */
int web_req_args_refused(struct web_request *r, const char *const *allowed,
			 enum MHD_Result *ret);
struct MHD_Connection *web_req_connection(struct web_request *r);
/* In-memory body (SMALL, or UPLOAD with JSON): data NUL-terminated. */
const char *web_req_body(struct web_request *r, size_t *len);
enum web_upload_kind web_req_upload_kind(struct web_request *r);
/* The uploaded file (UPLOAD). The handler may take it over: it then owns
 * fd and the file at path (web_req_upload_release()). */
int web_req_upload(struct web_request *r, int *fd, const char **path, uint64_t *size,
		   const char **filename);
void web_req_upload_release(struct web_request *r);
/* Extra response header for the next reply (Location, Retry-After). */
void web_req_add_header(struct web_request *r, const char *name, const char *value);

/* ---- replies ---- */
/* body is stolen (json_decref'ed). */
enum MHD_Result web_reply_json(struct web_request *r, unsigned status, json_t *body);
/* {"error": {"code": code, "message": ...}}; code must be a name from
 * common/errmap.c's table and status its status (tests/check_errmap reads
 * the sources to make sure). Prefer web_reply_code. */
enum MHD_Result web_reply_error(struct web_request *r, unsigned status, const char *code,
				const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* The same for an enum sf_errcode: name and HTTP status from the table. */
enum MHD_Result web_reply_code(struct web_request *r, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* buf is taken over (free()d) when must_free. */
enum MHD_Result web_reply_buffer(struct web_request *r, unsigned status, const char *ctype,
				 void *buf, size_t len, int must_free);
/* Any response (e.g. a streaming one from MHD_create_response_from_callback);
 * the extra headers are added, the response is queued and destroyed. */
enum MHD_Result web_reply_mhd(struct web_request *r, unsigned status, struct MHD_Response *resp);

/* The memory held for clients: a reply waits in the daemon until its client
 * reads it, and a client that does not read keeps it until the connection
 * times out. Every reply larger than 64 KiB counts against
 * cfg->max_client_bytes until it has been sent or dropped; one that would
 * pass it is a 503 with Retry-After instead.
 *
 * web_req_hold reserves bytes for r's reply before the handler builds it
 * (e.g. before reading chip memory): 0, or 1 with the 503 queued (*ret).
 * The reservation passes to the reply (web_reply_*), or is released with
 * the request. */
int web_req_hold(struct web_request *r, uint64_t bytes, enum MHD_Result *ret);
/* Bytes held now (tests, metrics). */
uint64_t web_server_held(struct web_server *s);

/* A reply produced a piece at a time: read(cls, out, max) gives the next
 * bytes (0: the end; size, if not MHD_SIZE_UNKNOWN, is the total); free(cls)
 * once the reply is done or dropped (also when web_reply_stream fails). */
typedef size_t (*web_stream_read_fn)(void *cls, char *out, size_t max);
typedef void (*web_stream_free_fn)(void *cls);
enum MHD_Result web_reply_stream(struct web_request *r, unsigned status, const char *ctype,
				 uint64_t size, web_stream_read_fn read, web_stream_free_fn free,
				 void *cls);

#endif
