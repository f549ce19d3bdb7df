// SPDX-License-Identifier: GPL-2.0-or-later
#include "http.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <malloc.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "../common/clock.h"
#include "../common/dlog.h"
#include "../common/errmap.h"
#include "../common/utf8.h"

#define WEB_MAX_ROUTES 64
#define WEB_MAX_PARAMS 4
#define WEB_SMALL_MAX (64 * 1024)
#define WEB_MAX_FIELDS 16
#define WEB_FIELD_MAX 256
#define WEB_MAX_HEADERS 6
#define WEB_MAX_ARGS 32

struct web_route {
	char method[8];
	char pattern[128];
	enum web_access access;
	enum web_body body;
	web_handler_fn fn;
	void *user;
};

struct web_server {
	struct web_config cfg;
	struct auth *auth;
	struct web_route routes[WEB_MAX_ROUTES];
	size_t nroutes;
	struct MHD_Daemon *mhd;
	pthread_mutex_t lock;   /* max_body, log_* */
	uint64_t max_body;
	int listen_fd;          /* socket activation: already listening, or -1 */
	int64_t log_window_ms;  /* libmicrohttpd's messages: the current 10 s */
	unsigned log_count;     /* lines in it */
	unsigned log_dropped;
	uint64_t held;          /* bytes of replies not yet sent (lock) */
	int64_t held_log_ms;    /* the last "refused: held" line (lock) */
	unsigned held_refused;  /* refusals since then */
};

/* Replies up to this size are not counted against max_client_bytes: each
 * connection holds at most one, and the connections are bounded. */
#define WEB_HOLD_MIN (64 * 1024)

/* A client can make libmicrohttpd talk (one line per connection over a
 * limit): at most this many of its lines per 10 s reach the log. */
#define WEB_MHD_LOG_BURST 20

struct web_field {
	char key[32];
	char val[WEB_FIELD_MAX];
	size_t len;
};

struct web_request {
	struct web_server *srv;
	struct MHD_Connection *conn;
	const struct web_route *route;
	char method[8];
	char *path;
	char params[WEB_MAX_PARAMS][128];
	unsigned nparams;
	uint64_t limit;
	uint64_t received;
	int too_large;
	int io_error;
	int io_errno;       /* errno of the failed write (ENOSPC: 507) */
	int discard;
	/* in-memory body */
	char *body;
	size_t body_len;
	/* upload */
	enum web_upload_kind kind;
	int fd;
	char tmp_path[700];
	int have_file;
	uint64_t file_size;
	char filename[128];
	int got_firmware;
	int fw_last;            /* the last form value seen was firmware's */
	uint64_t fw_end;        /* offset past the last firmware bytes seen */
	char mp_error[256];     /* why the form is refused ("" = fine) */
	/* the raw multipart body, read beside libmicrohttpd's parser */
	char delim[80];         /* "\r\n--BOUNDARY", before every part and the end */
	size_t delim_len;
	size_t delim_match;     /* bytes of delim matched so far */
	int mp_state;           /* MP_SEEK, MP_AFTER, MP_HEADERS */
	char mp_hdr[1024];      /* the part headers being read */
	size_t mp_hdr_len;
	unsigned fw_parts;      /* parts named firmware, empty ones too */
	int mp_closed;          /* the closing delimiter arrived */
	struct MHD_PostProcessor *pp;
	struct web_field fields[WEB_MAX_FIELDS];
	unsigned nfields;
	/* reply */
	char hdr_name[WEB_MAX_HEADERS][32];
	char hdr_val[WEB_MAX_HEADERS][128];
	unsigned nhdr;
	uint64_t held;          /* bytes reserved for this request's reply */
	int64_t t0_ms;          /* when the request head was in */
};

/* ---- server setup ---- */

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct web_server *s = cls;
	char buf[512];
	unsigned dropped = 0;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&s->lock);
	if (now - s->log_window_ms >= 10000) {
		dropped = s->log_dropped;
		s->log_window_ms = now;
		s->log_count = 0;
		s->log_dropped = 0;
	}
	if (s->log_count >= WEB_MHD_LOG_BURST) {
		s->log_dropped++;
		pthread_mutex_unlock(&s->lock);
		return;
	}
	s->log_count++;
	pthread_mutex_unlock(&s->lock);
	if (dropped)
		dlog(DLOG_WARNING, "http: %u more libmicrohttpd messages in the last 10 s not logged",
		     dropped);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	dlog(DLOG_WARNING, "http: %s", buf);
}

struct web_server *web_server_new(const struct web_config *cfg, struct auth *auth,
				  struct sf_err *err)
{
	struct web_server *s = calloc(1, sizeof(*s));

	if (!s) {
		sf_err_set(err, SF_E_NOMEM, "out of memory");
		return NULL;
	}
	s->cfg = *cfg;
	s->auth = auth;
	s->max_body = cfg->max_body_bytes;
	s->listen_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void web_server_set_listen_fd(struct web_server *s, int fd)
{
	s->listen_fd = fd;
}

int web_route_add(struct web_server *s, const char *method, const char *pattern,
		  enum web_access access, enum web_body body, web_handler_fn fn, void *user)
{
	struct web_route *r;

	if (s->nroutes >= WEB_MAX_ROUTES || strlen(method) >= sizeof(r->method) ||
	    strlen(pattern) >= sizeof(r->pattern))
		return SF_E_ARG;
	r = &s->routes[s->nroutes++];
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->pattern, sizeof(r->pattern), "%s", pattern);
	r->access = access;
	r->body = body;
	r->fn = fn;
	r->user = user;
	return 0;
}

int web_routes_add(struct web_server *s, const struct web_route_spec *spec, size_t n,
		   void *user)
{
	for (size_t i = 0; i < n; i++) {
		int rc = web_route_add(s, spec[i].method, spec[i].pattern, spec[i].access,
				       spec[i].body, spec[i].fn, user);
		if (rc)
			return rc;
	}
	return 0;
}

void web_server_set_max_body(struct web_server *s, uint64_t max_body_bytes)
{
	pthread_mutex_lock(&s->lock);
	s->max_body = max_body_bytes;
	pthread_mutex_unlock(&s->lock);
}

static uint64_t get_max_body(struct web_server *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->max_body;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* ---- the memory held for clients ---- */

/* Reserve n bytes: 0, or -1 when that would pass max_client_bytes; then
 * *log_refused says how many refusals to log now (one line per 10 s). */
static int hold(struct web_server *s, uint64_t n, uint64_t *now_held, unsigned *log_refused)
{
	int64_t now = clock_mono_ms();
	int ok;

	*log_refused = 0;
	pthread_mutex_lock(&s->lock);
	ok = s->held + n <= s->cfg.max_client_bytes;
	if (ok) {
		s->held += n;
	} else {
		s->held_refused++;
		if (!s->held_log_ms || now - s->held_log_ms >= 10000) {
			*log_refused = s->held_refused;
			s->held_refused = 0;
			s->held_log_ms = now;
		}
	}
	*now_held = s->held;
	pthread_mutex_unlock(&s->lock);
	return ok ? 0 : -1;
}

static void release(struct web_server *s, uint64_t n)
{
	int idle;

	if (!n)
		return;
	pthread_mutex_lock(&s->lock);
	s->held -= n;
	idle = s->held == 0;
	pthread_mutex_unlock(&s->lock);
#ifdef __GLIBC__
	/* glibc keeps freed memory in its per-thread arenas, and every client
	 * thread has one: when no reply is held any more, give it back, so the
	 * daemon returns to its size after a burst of large replies */
	if (idle)
		malloc_trim(0);
#else
	(void)idle;
#endif
}

/* Reserve n bytes for r's reply; 1 with a 503 queued (ret) when that would
 * pass max_client_bytes. */
static int hold_or_refuse(struct web_request *r, uint64_t n, enum MHD_Result *ret)
{
	uint64_t now;
	unsigned nlog;

	if (!hold(r->srv, n, &now, &nlog)) {
		r->held += n;
		return 0;
	}
	web_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "2");
	if (nlog)
		dlog(DLOG_WARNING, "http: refused %u repl%s (this one %" PRIu64 " bytes): replies not "
		     "yet read by their clients hold %" PRIu64 " bytes of max_client_memory (%" PRIu64
		     "); at most one such line per 10 s", nlog, nlog == 1 ? "y" : "ies", n, now,
		     r->srv->cfg.max_client_bytes);
	*ret = web_reply_code(r, SF_E_UNAVAILABLE, "the station holds %" PRIu64 " bytes of replies "
			      "that clients have not read yet, and this one (%" PRIu64 " bytes) would "
			      "pass [server] max_client_memory (%" PRIu64 "): try again shortly",
			      now, n, r->srv->cfg.max_client_bytes);
	return 1;
}

int web_req_hold(struct web_request *r, uint64_t bytes, enum MHD_Result *ret)
{
	return hold_or_refuse(r, bytes, ret);
}

uint64_t web_server_held(struct web_server *s)
{
	uint64_t v;

	pthread_mutex_lock(&s->lock);
	v = s->held;
	pthread_mutex_unlock(&s->lock);
	return v;
}

/* Split "ADDR:PORT" / "[ADDR]:PORT". */
static int split_listen(const char *listen, char *addr, size_t alen, unsigned *port)
{
	const char *colon;
	char *end;
	unsigned long p;

	if (listen[0] == '[') {
		const char *close = strchr(listen, ']');
		if (!close || close[1] != ':' || (size_t)(close - listen - 1) >= alen)
			return -1;
		memcpy(addr, listen + 1, (size_t)(close - listen - 1));
		addr[close - listen - 1] = '\0';
		colon = close + 1;
	} else {
		colon = strrchr(listen, ':');
		if (!colon || (size_t)(colon - listen) >= alen)
			return -1;
		memcpy(addr, listen, (size_t)(colon - listen));
		addr[colon - listen] = '\0';
	}
	errno = 0;
	p = strtoul(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

int web_listen_is_loopback(const char *listen)
{
	char addr[128];
	unsigned port;
	struct in_addr a4;
	struct in6_addr a6;

	if (split_listen(listen, addr, sizeof(addr), &port))
		return 0;
	if (!strcmp(addr, "localhost"))
		return 1;
	if (inet_pton(AF_INET, addr, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, addr, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return 0;
}

/* ---- routing ---- */

static int match(const char *pattern, const char *path, struct web_request *r)
{
	const char *p = pattern, *u = path;
	unsigned np = 0;

	while (*p && *u) {
		if (p[0] == '*' && p[1] == '\0')
			return 1;
		if (p[0] == '{' && p[1] == '}') {
			size_t len = strcspn(u, "/");
			if (len == 0 || np >= WEB_MAX_PARAMS || len >= sizeof(r->params[0]))
				return 0;
			if (r) {
				memcpy(r->params[np], u, len);
				r->params[np][len] = '\0';
			}
			np++;
			p += 2;
			u += len;
			continue;
		}
		if (*p != *u)
			return 0;
		p++;
		u++;
	}
	if (p[0] == '*' && p[1] == '\0')
		return 1;
	if (*p || *u)
		return 0;
	if (r)
		r->nparams = np;
	return 1;
}

/* ---- replies ---- */

static enum MHD_Result queue(struct web_request *r, unsigned status, struct MHD_Response *resp)
{
	enum MHD_Result ret;

	if (!resp)
		return MHD_NO;
	for (unsigned i = 0; i < r->nhdr; i++)
		MHD_add_response_header(resp, r->hdr_name[i], r->hdr_val[i]);
	/* one Cache-Control: a response that set its own keeps it */
	if (!MHD_get_response_header(resp, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ret;
}

enum MHD_Result web_reply_mhd(struct web_request *r, unsigned status, struct MHD_Response *resp)
{
	return queue(r, status, resp);
}

/* A reply being sent, with the bytes it holds against max_client_bytes. */
struct held_reply {
	struct web_server *srv;
	uint64_t held;
	void *buf;                       /* web_reply_buffer's, or NULL */
	web_stream_read_fn read;         /* web_reply_stream's */
	web_stream_free_fn free_fn;
	void *cls;
};

static void held_free(void *cls)
{
	struct held_reply *h = cls;

	free(h->buf);
	if (h->free_fn)
		h->free_fn(h->cls);
	release(h->srv, h->held);
	free(h);
}

static ssize_t held_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct held_reply *h = cls;
	size_t n;

	(void)pos;
	n = h->read(h->cls, buf, max);
	return n ? (ssize_t)n : MHD_CONTENT_READER_END_OF_STREAM;
}

static struct held_reply *held_new(struct web_request *r)
{
	struct held_reply *h = calloc(1, sizeof(*h));

	if (h) {
		h->srv = r->srv;
		/* the request's reservation goes with the reply */
		h->held = r->held;
		r->held = 0;
	}
	return h;
}

enum MHD_Result web_reply_buffer(struct web_request *r, unsigned status, const char *ctype,
				 void *buf, size_t len, int must_free)
{
	struct MHD_Response *resp;
	struct held_reply *h;
	enum MHD_Result ret;

	if (!must_free) {
		resp = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_COPY);
	} else {
		if (len > WEB_HOLD_MIN && r->held < len && hold_or_refuse(r, len - r->held, &ret)) {
			free(buf);
			return ret;
		}
		h = held_new(r);
		if (!h) {
			free(buf);
			return MHD_NO;
		}
		h->buf = buf;
		resp = MHD_create_response_from_buffer_with_free_callback_cls(len, buf, held_free, h);
		if (!resp)
			held_free(h);
	}
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", ctype);
	return queue(r, status, resp);
}

enum MHD_Result web_reply_stream(struct web_request *r, unsigned status, const char *ctype,
				 uint64_t size, web_stream_read_fn rd, web_stream_free_fn fr,
				 void *cls)
{
	struct MHD_Response *resp;
	struct held_reply *h = held_new(r);

	if (!h) {
		fr(cls);
		return MHD_NO;
	}
	h->read = rd;
	h->free_fn = fr;
	h->cls = cls;
	resp = MHD_create_response_from_callback(size, 16 * 1024, held_read, h, held_free);
	if (!resp) {
		held_free(h);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	return queue(r, status, resp);
}

enum MHD_Result web_reply_json(struct web_request *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	size_t len;

	json_decref(body);
	if (!text) {
		/* a body jansson could not build (never a string that is not
		 * UTF-8: those are cleaned first); still a JSON reply */
		static const char fallback[] = "{\"error\":{\"code\":\"io_error\",\"message\":"
					      "\"the reply could not be encoded as JSON\"}}\n";
		dlog(DLOG_ERR, "http: a JSON reply could not be encoded (status %u)", status);
		return web_reply_buffer(r, 500, "application/json", (void *)fallback,
					sizeof(fallback) - 1, 0);
	}
	len = strlen(text);
	/* a trailing newline keeps curl output readable */
	char *t2 = realloc(text, len + 2);
	if (t2) {
		text = t2;
		text[len++] = '\n';
		text[len] = '\0';
	}
	return web_reply_buffer(r, status, "application/json", text, len, 1);
}

static enum MHD_Result reply_error_v(struct web_request *r, unsigned status, const char *code,
				     const char *fmt, va_list ap)
{
	char raw[512], msg[640];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	/* messages quote what the client sent: never let that break the JSON */
	utf8_clean(msg, sizeof(msg), raw, UTF8_ESCAPE, 0);
	return web_reply_json(r, status, json_pack("{s:{s:s, s:s}}", "error", "code", code,
						   "message", msg));
}

enum MHD_Result web_reply_error(struct web_request *r, unsigned status, const char *code,
				const char *fmt, ...)
{
	enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = reply_error_v(r, status, code, fmt, ap);
	va_end(ap);
	return ret;
}

enum MHD_Result web_reply_code(struct web_request *r, int code, const char *fmt, ...)
			       {
			       enum MHD_Result ret;
	va_list ap;

	va_start(ap, fmt);
	ret = reply_error_v(r, (unsigned)errmap_http_status(code), sf_err_name(code), fmt, ap);
	va_end(ap);
	return ret;
}

void web_req_add_header(struct web_request *r, const char *name, const char *value)
{
	if (r->nhdr >= WEB_MAX_HEADERS)
		return;
	snprintf(r->hdr_name[r->nhdr], sizeof(r->hdr_name[0]), "%s", name);
	snprintf(r->hdr_val[r->nhdr], sizeof(r->hdr_val[0]), "%s", value);
	r->nhdr++;
}

/* ---- accessors ---- */

const char *web_req_path(struct web_request *r) { return r->path; }
struct MHD_Connection *web_req_connection(struct web_request *r) { return r->conn; }
enum web_upload_kind web_req_upload_kind(struct web_request *r) { return r->kind; }

const char *web_req_param(struct web_request *r, unsigned n)
{
	return n < r->nparams ? r->params[n] : NULL;
}

const char *web_req_query(struct web_request *r, const char *key)
{
	const char *v = MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);

	if (v)
		return v;
	for (unsigned i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].key, key))
			return r->fields[i].val;
	return NULL;
}

struct arg_scan {
	const char *key[WEB_MAX_ARGS];
	unsigned n;
	int too_many;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	struct arg_scan *a = cls;

	(void)kind;
	(void)value;
	if (a->n >= WEB_MAX_ARGS) {
		a->too_many = 1;
		return MHD_NO;
	}
	a->key[a->n++] = key ? key : "";
	return MHD_YES;
}

int web_req_check_args(struct web_request *r, const char *const *allowed, char *why, size_t n)
{
	struct arg_scan a = { .n = 0 };
	char list[200] = "";
	size_t w = 0;

	MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
	for (unsigned i = 0; i < r->nfields && !a.too_many; i++)
		collect_arg(&a, MHD_POSTDATA_KIND, r->fields[i].key, NULL);
	if (a.too_many) {
		snprintf(why, n, "more than %u options", WEB_MAX_ARGS);
		return -1;
	}
	for (unsigned i = 0; allowed[i] && w < sizeof(list); i++)
		w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? ", " : "", allowed[i]);
	for (unsigned i = 0; i < a.n; i++) {
		unsigned k;
		for (k = 0; allowed[k] && strcmp(allowed[k], a.key[i]); k++)
			;
		if (!allowed[k]) {
			if (list[0])
				snprintf(why, n, "unknown option '%.60s' (this endpoint takes %s)",
					 a.key[i], list);
			else
				snprintf(why, n, "unknown option '%.60s' (this endpoint takes none)",
					 a.key[i]);
			return -1;
		}
		for (k = 0; k < i; k++)
			if (!strcmp(a.key[k], a.key[i])) {
				snprintf(why, n, "option '%.60s' given twice", a.key[i]);
				return -1;
			}
	}
	return 0;
}

int web_req_args_refused(struct web_request *r, const char *const *allowed,
			 enum MHD_Result *ret)
{
	char why[320];

	if (!web_req_check_args(r, allowed, why, sizeof(why)))
		return 0;
	*ret = web_reply_code(r, SF_E_ARG, "%s", why);
	return 1;
}

const char *web_req_header(struct web_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *web_req_body(struct web_request *r, size_t *len)
{
	if (len)
		*len = r->body_len;
	return r->body ? r->body : "";
}

int web_req_upload(struct web_request *r, int *fd, const char **path, uint64_t *size,
		   const char **filename)
{
	if (!r->have_file)
		return -1;
	*fd = r->fd;
	*path = r->tmp_path;
	*size = r->file_size;
	if (filename)
		*filename = r->filename;
	return 0;
}

void web_req_upload_release(struct web_request *r)
{
	r->have_file = 0;
	r->fd = -1;
}

/* ---- bodies ---- */

static int body_append(struct web_request *r, const char *data, size_t len)
{
	if (r->body_len + len > WEB_SMALL_MAX) {
		r->too_large = 1;
		return -1;
	}
	char *nb = realloc(r->body, r->body_len + len + 1);
	if (!nb) {
		r->io_error = 1;
		r->io_errno = ENOMEM;
		return -1;
	}
	r->body = nb;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return 0;
}

static int file_write(struct web_request *r, const char *data, size_t len)
{
	while (len) {
		ssize_t w = write(r->fd, data, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r->io_error = 1;
			r->io_errno = w < 0 ? errno : EIO;
			return -1;
		}
		data += w;
		len -= (size_t)w;
		r->file_size += (uint64_t)w;
	}
	return 0;
}

static void set_filename(struct web_request *r, const char *name)
{
	const char *base = strrchr(name, '/');
	size_t w = 0;

	base = base ? base + 1 : name;
	if (strrchr(base, '\\'))
		base = strrchr(base, '\\') + 1;
	for (; *base && w < sizeof(r->filename) - 1; base++)
		if ((unsigned char)*base >= 0x20 && *base != 0x7f)
			r->filename[w++] = *base;
	r->filename[w] = '\0';
}

static enum MHD_Result post_iter(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *filename, const char *content_type,
				 const char *transfer_encoding, const char *data, uint64_t off,
				 size_t size)
{
	struct web_request *r = cls;

	(void)kind;
	(void)content_type;
	if (!key)
		return MHD_YES;
	if (transfer_encoding && *transfer_encoding && strcasecmp(transfer_encoding, "binary") &&
	    strcasecmp(transfer_encoding, "8bit") && strcasecmp(transfer_encoding, "7bit")) {
		snprintf(r->mp_error, sizeof(r->mp_error),
			 "form part '%.40s' has Content-Transfer-Encoding '%.40s': send it as "
			 "binary (curl -F name=@file)", key, transfer_encoding);
		return MHD_NO;
	}
	if (!strcmp(key, "firmware")) {
		/* a second firmware part starts again at offset 0 after data,
		 * or comes after another field */
		if (r->got_firmware && ((off == 0 && r->fw_end > 0) || !r->fw_last)) {
			snprintf(r->mp_error, sizeof(r->mp_error),
				 "the form has more than one 'firmware' part (send exactly one)");
			return MHD_NO;
		}
		if (!r->got_firmware) {
			r->got_firmware = 1;
			if (filename)
				set_filename(r, filename);
		}
		r->fw_last = 1;
		r->fw_end = off + size;
		if (size && file_write(r, data, size))
			return MHD_NO;
		return MHD_YES;
	}
	r->fw_last = 0;
	/* small form fields (options) */
	struct web_field *f = NULL;
	for (unsigned i = 0; i < r->nfields; i++)
		if (!strcmp(r->fields[i].key, key))
			f = &r->fields[i];
	if (f && off == 0 && f->len) {
		snprintf(r->mp_error, sizeof(r->mp_error), "form field '%.40s' given twice", key);
		return MHD_NO;
	}
	if (!f) {
		if (r->nfields >= WEB_MAX_FIELDS || strlen(key) >= sizeof(f->key)) {
			snprintf(r->mp_error, sizeof(r->mp_error),
				 r->nfields >= WEB_MAX_FIELDS
				 ? "the form has more than %u fields besides 'firmware'"
				 : "a form field name is longer than %u characters",
				 r->nfields >= WEB_MAX_FIELDS ? WEB_MAX_FIELDS
							      : (unsigned)sizeof(f->key) - 1);
			return MHD_NO;
		}
		f = &r->fields[r->nfields++];
		snprintf(f->key, sizeof(f->key), "%s", key);
	}
	if (off != f->len || f->len + size >= sizeof(f->val)) {
		snprintf(r->mp_error, sizeof(r->mp_error),
			 "form field '%.40s' is longer than %u bytes", key,
			 (unsigned)sizeof(f->val) - 1);
		return MHD_NO;
	}
	memcpy(f->val + f->len, data, size);
	f->len += size;
	f->val[f->len] = '\0';
	return MHD_YES;
}

/* Read the raw multipart body beside libmicrohttpd's parser (RFC 2046
 * section 5.1.1): every part follows a delimiter CRLF "--" boundary, the
 * body ends with the delimiter and "--". The delimiter cannot occur inside
 * a part, so a plain running match is exact. This counts the parts named
 * firmware whatever their size (the parser reports an empty part the same
 * way as the start of a part whose data is still to come), and notices a
 * body cut before its end. */
enum { MP_SEEK, MP_AFTER, MP_HEADERS };

/* The part headers (up to the blank line) name the form field firmware:
 * Content-Disposition's name parameter, quoted or not (RFC 7578 section
 * 4.2). */
static int headers_name_firmware(const char *h)
{
	const char *p = h;

	while ((p = strcasestr(p, "name=")) != NULL) {
		/* name=, not filename= */
		int own = p == h || p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t';
		p += 5;
		if (!own)
			continue;
		if (*p == '"')
			return !strncmp(p + 1, "firmware\"", 9);
		return !strncmp(p, "firmware", 8) && strchr(";\r\n \t", p[8]);
	}
	return 0;
}

static void watch_parts(struct web_request *r, const char *data, size_t len)
{
	for (size_t i = 0; i < len && !r->mp_closed; i++) {
		char c = data[i];

		switch (r->mp_state) {
		case MP_SEEK:
			/* the delimiter holds one CR, at its start (boundary
			 * characters exclude it), so a mismatch resumes only at
			 * a CR */
			if (r->delim[r->delim_match] == c)
				r->delim_match++;
			else
				r->delim_match = c == '\r';
			if (r->delim_match == r->delim_len) {
				r->mp_state = MP_AFTER;
				r->mp_hdr_len = 0;
			}
			break;
		case MP_AFTER:
		case MP_HEADERS:
			if (r->mp_hdr_len >= sizeof(r->mp_hdr) - 1) {
				if (!r->mp_error[0])
					snprintf(r->mp_error, sizeof(r->mp_error),
						 "a form part's headers are longer than %zu bytes",
						 sizeof(r->mp_hdr) - 1);
				return;
			}
			r->mp_hdr[r->mp_hdr_len++] = c;
			r->mp_hdr[r->mp_hdr_len] = '\0';
			if (r->mp_state == MP_AFTER && r->mp_hdr_len == 2) {
				if (!strcmp(r->mp_hdr, "--")) {
					r->mp_closed = 1;
					break;
				}
				r->mp_state = MP_HEADERS;
			}
			if (r->mp_state == MP_HEADERS && r->mp_hdr_len >= 4 &&
			    !strcmp(r->mp_hdr + r->mp_hdr_len - 4, "\r\n\r\n")) {
				if (headers_name_firmware(r->mp_hdr))
					r->fw_parts++;
				r->mp_state = MP_SEEK;
				r->delim_match = 0;
			}
			break;
		}
	}
}

static void feed(struct web_request *r, const char *data, size_t len)
{
	r->received += len;
	if (r->discard || r->too_large || r->io_error)
		return;
	if (r->received > r->limit) {
		/* stop storing; the rest is read and dropped */
		r->too_large = 1;
		return;
	}
	switch (r->route->body) {
	case WEB_BODY_NONE:
		return;
	case WEB_BODY_SMALL:
		body_append(r, data, len);
		return;
	case WEB_BODY_UPLOAD:
		break;
	}
	switch (r->kind) {
	case WEB_UPLOAD_JSON:
		body_append(r, data, len);
		break;
	case WEB_UPLOAD_RAW:
		file_write(r, data, len);
		break;
	case WEB_UPLOAD_MULTIPART:
		watch_parts(r, data, len);
		if (MHD_post_process(r->pp, data, len) != MHD_YES && !r->io_error && !r->mp_error[0])
			r->io_error = 2; /* malformed form */
		break;
	case WEB_UPLOAD_NONE:
		break;
	}
}

/* ---- the access handler ---- */

static void request_free(struct web_request *r)
{
	if (!r)
		return;
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	if (r->fd >= 0)
		close(r->fd);
	if (r->tmp_path[0] && r->have_file)
		unlink(r->tmp_path);
	free(r->body);
	free(r->path);
	release(r->srv, r->held);
	free(r);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)c;
	(void)toe;
	request_free(*con_cls);
	*con_cls = NULL;
}

static int ctype_is(const char *ct, const char *what)
{
	return ct && !strncasecmp(ct, what, strlen(what));
}

/* "\r\n--BOUNDARY" from Content-Type's boundary parameter (RFC 2046
 * section 5.1.1: 1 to 70 characters, possibly quoted). */
static int set_delim(struct web_request *r, const char *ct)
{
	const char *b = ct ? strcasestr(ct, "boundary=") : NULL;
	size_t n;

	if (!b)
		return -1;
	b += 9;
	if (*b == '"') {
		b++;
		n = strcspn(b, "\"");
		if (b[n] != '"')
			return -1;
	} else {
		n = strcspn(b, "; \t");
	}
	if (n == 0 || n > 70)
		return -1;
	r->delim_len = (size_t)snprintf(r->delim, sizeof(r->delim), "\r\n--%.*s", (int)n, b);
	/* the first delimiter may open the body: as if a CRLF came before it */
	r->delim_match = 2;
	return 0;
}

/* ---- who may ask: the head checks ---- */

struct head_scan {
	unsigned nhost, ncl, nte;
	const char *host, *cl;
	int cl_differ;
};

static enum MHD_Result scan_head(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	struct head_scan *h = cls;

	(void)kind;
	if (!key)
		return MHD_YES;
	if (!value)
		value = "";
	if (!strcasecmp(key, MHD_HTTP_HEADER_HOST)) {
		h->nhost++;
		h->host = value;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH)) {
		if (!h->ncl++)
			h->cl = value;
		else if (strcmp(h->cl, value))
			h->cl_differ = 1;
	} else if (!strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
		h->nte++;
	}
	return MHD_YES;
}

/* "name[:port]" or "[v6][:port]" into name (lower case, no brackets, no
 * trailing dot) and *port (0: none). -1 when it is not a host (RFC 3986
 * section 3.2.2: reg-name characters, or an IP literal). */
static int split_host(const char *h, char *name, size_t n, unsigned *port)
{
	const char *end, *p;
	size_t len;

	*port = 0;
	if (h[0] == '[') {
		end = strchr(h, ']');
		if (!end)
			return -1;
		p = h + 1;
		len = (size_t)(end - p);
		end++;
		for (size_t i = 0; i < len; i++)
			if (!isxdigit((unsigned char)p[i]) && p[i] != ':' && p[i] != '.' && p[i] != '%')
				return -1;
	} else {
		p = h;
		len = strcspn(h, ":");
		end = h + len;
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)p[i]) && p[i] != '-' && p[i] != '.' && p[i] != '_')
				return -1;
	}
	if (*end == ':') {
		char *e;
		unsigned long v;

		errno = 0;
		v = strtoul(end + 1, &e, 10);
		if (errno || *e || e == end + 1 || !isdigit((unsigned char)end[1]) || v == 0 ||
		    v > 65535)
			return -1;
		*port = (unsigned)v;
	} else if (*end) {
		return -1;
	}
	if (len && p[len - 1] == '.')
		len--;
	if (len == 0 || len >= n)
		return -1;
	for (size_t i = 0; i < len; i++)
		name[i] = (char)tolower((unsigned char)p[i]);
	name[len] = '\0';
	return 0;
}

/* An IP literal (a zone after % ignored) as IPv6, IPv4 mapped into it. */
static int ip_parse(const char *name, struct in6_addr *out)
{
	char buf[64];
	struct in_addr a4;

	snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(name, "%"), name);
	if (inet_pton(AF_INET, buf, &a4) == 1) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &a4, 4);
		return 0;
	}
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static int sockaddr_ip(const struct sockaddr *sa, struct in6_addr *out)
{
	if (sa->sa_family == AF_INET) {
		memset(out, 0, sizeof(*out));
		out->s6_addr[10] = 0xff;
		out->s6_addr[11] = 0xff;
		memcpy(&out->s6_addr[12], &((const struct sockaddr_in *)(const void *)sa)->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		*out = ((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		return 0;
	}
	return -1;
}

static int ip_is_loopback(const struct in6_addr *a)
{
	return IN6_IS_ADDR_LOOPBACK(a) || (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
}

/* One of this machine's interface addresses. */
static int ip_is_ours(const struct in6_addr *a)
{
	struct ifaddrs *ifs, *i;
	int found = 0;

	if (getifaddrs(&ifs))
		return 0;
	for (i = ifs; i && !found; i = i->ifa_next) {
		struct in6_addr b;
		if (i->ifa_addr && !sockaddr_ip(i->ifa_addr, &b) && !memcmp(&b, a, sizeof(b)))
			found = 1;
	}
	freeifaddrs(ifs);
	return found;
}

/* name is a word of list (separated by blanks or commas; "*" matches all). */
static int host_in_list(const char *list, const char *name)
{
	char w[128], wn[128];
	unsigned port;

	while (*list) {
		size_t n = strcspn(list, " \t,");
		if (n == 1 && list[0] == '*')
			return 1;
		if (n && n < sizeof(w)) {
			memcpy(w, list, n);
			w[n] = '\0';
			if (!split_host(w, wn, sizeof(wn), &port) && !strcmp(wn, name))
				return 1;
		}
		list += n;
		list += strspn(list, " \t,");
	}
	return 0;
}

/* Whether the station answers to the Host name (see http.h). */
static int host_allowed(struct web_server *s, struct web_request *r, const char *name)
{
	struct in6_addr a, b;
	char listen_addr[128], me[256];
	unsigned lport;

	if (host_in_list(s->cfg.allowed_hosts, name) || !strcmp(name, "localhost"))
		return 1;
	if (!split_listen(s->cfg.listen, listen_addr, sizeof(listen_addr), &lport) &&
	    !strcasecmp(listen_addr, name))
		return 1;
	if (!ip_parse(name, &a)) {
		const union MHD_ConnectionInfo *ci =
			MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (ip_is_loopback(&a))
			return 1;
		if (!ip_parse(listen_addr, &b) && !memcmp(&a, &b, sizeof(a)))
			return 1;
		if (ci && !getsockname(ci->connect_fd, (struct sockaddr *)&ss, &sl) &&
		    !sockaddr_ip((struct sockaddr *)&ss, &b) && !memcmp(&a, &b, sizeof(a)))
			return 1;
		return ip_is_ours(&a);
	}
	if (gethostname(me, sizeof(me) - 8))
		return 0;
	me[sizeof(me) - 9] = '\0';
	for (char *p = me; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	size_t ml = strlen(me), nl = strlen(name);
	if (!strcmp(name, me))
		return 1;
	/* the short name, and NAME.local (mDNS, as a Raspberry Pi announces itself) */
	if (nl == strcspn(me, ".") && !strncmp(name, me, nl))
		return 1;
	return nl == ml + 6 && !strncmp(name, me, ml) && !strcmp(name + ml, ".local");
}

/* The Origin of a POST or DELETE is the station's own: the same host and
 * port as the Host the request was sent to (RFC 6454 section 4). "null"
 * and any other scheme are foreign. */
static int origin_is_own(const char *origin, const char *host_name, unsigned host_port)
{
	char name[256];
	unsigned port, dflt;

	if (!strncasecmp(origin, "http://", 7)) {
		dflt = 80;
		origin += 7;
	} else if (!strncasecmp(origin, "https://", 8)) {
		dflt = 443;
		origin += 8;
	} else {
		return 0;
	}
	if (split_host(origin, name, sizeof(name), &port))
		return 0;
	return !strcmp(name, host_name) && (port ? port : dflt) == (host_port ? host_port : dflt);
}

/* The client's address for logs, and the key its wrong tokens count
 * against (an IPv6 client by its /64: one host usually owns one). */
static void client_name(struct web_request *r, char *key, size_t n)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct in6_addr a;
	char buf[INET6_ADDRSTRLEN];

	snprintf(key, n, "unknown");
	if (!ci || !ci->client_addr || sockaddr_ip(ci->client_addr, &a))
		return;
	if (IN6_IS_ADDR_V4MAPPED(&a)) {
		if (inet_ntop(AF_INET, &a.s6_addr[12], buf, sizeof(buf)))
			snprintf(key, n, "%s", buf);
		return;
	}
	if (!IN6_IS_ADDR_LOOPBACK(&a))
		memset(&a.s6_addr[8], 0, 8);
	if (inet_ntop(AF_INET6, &a, buf, sizeof(buf)))
		snprintf(key, n, "%s%s", buf, IN6_IS_ADDR_LOOPBACK(&a) ? "" : "/64");
}

/* A refusal of the request head: the body that may follow cannot be
 * trusted to be framed as announced, so the connection closes. */
static int refuse_head(struct web_request *r, enum MHD_Result *ret, int code, const char *msg)
{
	r->discard = 1;
	web_req_add_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	*ret = web_reply_code(r, code, "%s", msg);
	return 1;
}

/* Returns 1 when a refusal was queued (ret set). */
static int check_head(struct web_server *s, struct web_request *r, const char *version,
		      enum MHD_Result *ret)
{
	struct head_scan h = { 0 };
	char name[256], msg[400];
	unsigned port = 0;
	const char *origin;
	int mutation = strcmp(r->method, "GET") && strcmp(r->method, "HEAD");

	MHD_get_connection_values(r->conn, MHD_HEADER_KIND, scan_head, &h);
	if (h.nhost > 1)
		return refuse_head(r, ret, SF_E_ARG, "more than one Host header");
	if (!h.nhost && version && strcmp(version, MHD_HTTP_VERSION_1_0) &&
	    strcmp(version, "HTTP/0.9"))
		return refuse_head(r, ret, SF_E_ARG, "an HTTP/1.1 request needs a Host header "
				   "(RFC 9112 section 3.2)");
	if (h.cl_differ)
		return refuse_head(r, ret, SF_E_ARG, "two different Content-Length headers");
	if (h.ncl && h.nte)
		return refuse_head(r, ret, SF_E_ARG, "both Content-Length and Transfer-Encoding "
				   "(RFC 9112 section 6.3): send one");
	if (h.nhost) {
		if (split_host(h.host, name, sizeof(name), &port))
			return refuse_head(r, ret, SF_E_ARG, "the Host header is not a host name or "
					   "address");
		if (!host_allowed(s, r, name)) {
			char who[64];
			client_name(r, who, sizeof(who));
			dlog(DLOG_WARNING, "http: refused a request from %s for Host '%.100s' "
			     "(not one of this station's names: DNS rebinding?)", who, h.host);
			snprintf(msg, sizeof(msg), "this station does not answer to the host name "
				 "'%.100s' (add it to [server] allowed_hosts)", name);
			r->discard = 1;
			*ret = web_reply_code(r, SF_E_MISDIRECTED, "%s", msg);
			return 1;
		}
	}
	origin = web_req_header(r, "Origin");
	if (mutation && origin && (!h.nhost || !origin_is_own(origin, name, port))) {
		char who[64];
		client_name(r, who, sizeof(who));
		dlog(DLOG_WARNING, "http: refused %s %s from %s with the foreign Origin '%.100s' "
		     "(a cross-site request)", r->method, r->path, who, origin);
		snprintf(msg, sizeof(msg), "%s from the foreign origin '%.100s' refused: a page "
			 "on another site may not change this station", r->method, origin);
		r->discard = 1;
		*ret = web_reply_code(r, SF_E_FORBIDDEN, "%s", msg);
		return 1;
	}
	return 0;
}

/* First call: route, authorise, check the announced size, prepare the
 * body sink. Returns 1 when a response was queued (ret set). */
static int begin(struct web_server *s, struct web_request *r, const char *version,
		 enum MHD_Result *ret)
{
	const struct web_route *found = NULL;
	int path_known = 0;
	char allow[64] = "";

	if (check_head(s, r, version, ret))
		return 1;
	for (size_t i = 0; i < s->nroutes; i++) {
		if (!match(s->routes[i].pattern, r->path, NULL))
			continue;
		path_known = 1;
		if (strlen(allow) + strlen(s->routes[i].method) + 3 < sizeof(allow)) {
			if (allow[0])
				strcat(allow, ", ");
			strcat(allow, s->routes[i].method);
		}
		if (!strcmp(s->routes[i].method, r->method) ||
		    (!strcmp(r->method, "HEAD") && !strcmp(s->routes[i].method, "GET"))) {
			found = &s->routes[i];
			match(found->pattern, r->path, r);
			break;
		}
	}
	if (!found) {
		r->discard = 1;
		if (path_known) {
			web_req_add_header(r, "Allow", allow);
			*ret = web_reply_code(r, SF_E_METHOD,
					      "%s is not allowed on %s (allowed: %s)", r->method,
					      r->path, allow);
		} else {
			*ret = web_reply_code(r, SF_E_NOTFOUND,
					      "no such endpoint: %s %s", r->method, r->path);
		}
		return 1;
	}
	r->route = found;
	if (found->access != WEB_OPEN) {
		enum auth_level lvl = found->access == WEB_WRITE ? AUTH_LEVEL_WRITE
				      : found->access == WEB_MEMORY ? AUTH_LEVEL_MEMORY
				      : AUTH_LEVEL_READ;
		char who[64], ra[16];
		unsigned retry = 0;
		enum auth_result ar;

		client_name(r, who, sizeof(who));
		ar = auth_check(s->auth, web_req_header(r, MHD_HTTP_HEADER_AUTHORIZATION), lvl, who,
				&retry);
		if (ar == AUTH_LIMITED) {
			r->discard = 1;
			snprintf(ra, sizeof(ra), "%u", retry);
			web_req_add_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
			*ret = web_reply_code(r, SF_E_RATELIMITED, "too many wrong tokens from %s: "
					      "try again in %u s", who, retry);
			return 1;
		}
		if (ar != AUTH_OK) {
			r->discard = 1;
			web_req_add_header(r, "WWW-Authenticate", "Bearer realm=\"swdflashd\"");
			*ret = web_reply_code(r, SF_E_AUTH, ar == AUTH_WRONG ? "wrong token"
					      : lvl == AUTH_LEVEL_MEMORY
					      ? "reading chip memory needs 'Authorization: Bearer TOKEN' "
						"([auth] protect_memory)"
					      : "this request needs 'Authorization: Bearer TOKEN'");
			return 1;
		}
	}

	const char *ct = web_req_header(r, MHD_HTTP_HEADER_CONTENT_TYPE);
	r->limit = found->body == WEB_BODY_UPLOAD ? get_max_body(s) : WEB_SMALL_MAX;
	if (found->body == WEB_BODY_UPLOAD) {
		if (ctype_is(ct, "multipart/form-data"))
			r->kind = WEB_UPLOAD_MULTIPART;
		else if (ctype_is(ct, "application/json"))
			r->kind = WEB_UPLOAD_JSON;
		else
			r->kind = WEB_UPLOAD_RAW;
		if (r->kind == WEB_UPLOAD_JSON && r->limit > WEB_SMALL_MAX)
			r->limit = WEB_SMALL_MAX;
	}
	const char *cl = web_req_header(r, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && found->body != WEB_BODY_NONE) {
		unsigned long long n = strtoull(cl, NULL, 10);
		if (n > r->limit) {
			r->discard = 1;
			*ret = web_reply_code(r, SF_E_TOOLARGE,
					      "request body of %llu bytes exceeds the limit of %llu bytes",
					      n, (unsigned long long)r->limit);
			return 1;
		}
	}
	if (found->body == WEB_BODY_UPLOAD &&
	    (r->kind == WEB_UPLOAD_RAW || r->kind == WEB_UPLOAD_MULTIPART)) {
		struct sf_err err = { 0 };
		snprintf(r->tmp_path, sizeof(r->tmp_path), "%s/upload-XXXXXX", s->cfg.tmp_dir);
		r->fd = mkostemp(r->tmp_path, O_CLOEXEC);
		if (r->fd < 0) {
			sf_err_set(&err, sf_err_io_code(errno), "temporary file in %s: %s",
				   s->cfg.tmp_dir, strerror(errno));
			r->tmp_path[0] = '\0';
			r->discard = 1;
			dlog(DLOG_ERR, "http: %s", err.msg);
			*ret = web_reply_code(r, err.code, "%s", err.msg);
			return 1;
		}
		r->have_file = 1;
		if (r->kind == WEB_UPLOAD_MULTIPART) {
			if (set_delim(r, ct)) {
				r->discard = 1;
				*ret = web_reply_code(r, SF_E_ARG,
						      "multipart/form-data without a usable boundary "
						      "parameter in Content-Type");
				return 1;
			}
			r->pp = MHD_create_post_processor(r->conn, 64 * 1024, post_iter, r);
			if (!r->pp) {
				r->discard = 1;
				*ret = web_reply_code(r, SF_E_ARG,
						      "malformed multipart/form-data request (no boundary?)");
				return 1;
			}
		}
	}
	return 0;
}

/* Clients must not take the CPU the flash worker needs (bit-banged and
 * simulated SWD are CPU-bound, and 50 pollers of the job list can keep
 * every core busy): each thread that serves HTTP drops this many nice
 * steps below the daemon's own (at most to 19, the lowest) the first time
 * it serves (Linux: the priority of a thread, by its id), so the gap holds
 * also when the daemon itself is started under nice. */
#define WEB_THREAD_NICE 10
#define WEB_NICE_MAX 19 /* setpriority(2): nice values run from -20 to 19 */

static void lower_thread_priority(void)
{
	static _Thread_local int done;
	id_t tid = (id_t)syscall(SYS_gettid);
	int cur;

	if (done)
		return;
	done = 1;
	errno = 0;
	cur = getpriority(PRIO_PROCESS, tid); /* -1 is a valid value: errno says */
	if (cur == -1 && errno) {
		dlog(DLOG_DEBUG, "http: cannot read the priority of a client thread: %s",
		     strerror(errno));
		return;
	}
	cur = cur + WEB_THREAD_NICE > WEB_NICE_MAX ? WEB_NICE_MAX : cur + WEB_THREAD_NICE;
	if (setpriority(PRIO_PROCESS, tid, cur))
		dlog(DLOG_DEBUG, "http: cannot lower the priority of a client thread: %s",
		     strerror(errno));
}

/* An error reply written to the socket directly, for a request whose body
 * is still arriving: libmicrohttpd 0.9.75 queues a reply only before the
 * body or after all of it, and a trickled body may never end. The caller
 * then returns MHD_NO, which closes the connection; what the client still
 * sends is drained first so the close is a FIN, not a reset that could
 * destroy the reply before the client reads it. */
static void raw_reply_close(struct web_request *r, int code, const char *fmt, ...)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	char raw[400], msg[480], head[256], sink[4096];
	json_t *j;
	char *body;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	utf8_clean(msg, sizeof(msg), raw, UTF8_ESCAPE, 0);
	if (!ci)
		return;
	j = json_pack("{s:{s:s, s:s}}", "error", "code", sf_err_name(code), "message", msg);
	body = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (!body)
		return;
	int hl = snprintf(head, sizeof(head), "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			  "Cache-Control: no-store\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n",
			  errmap_http_status(code), code == SF_E_REQTIMEOUT ? "Request Timeout" : "Error",
			  strlen(body) + 1);
	struct iovec iov[3] = { { head, (size_t)hl }, { body, strlen(body) }, { (void *)"\n", 1 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 3 };
	/* a few hundred bytes into an empty send buffer: never blocks */
	if (sendmsg(ci->connect_fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		dlog(DLOG_DEBUG, "http: the %d reply could not be sent: %s", errmap_http_status(code),
		     strerror(errno));
	free(body);
	shutdown(ci->connect_fd, SHUT_WR);
	for (int i = 0; i < 64 && recv(ci->connect_fd, sink, sizeof(sink), MSG_DONTWAIT) > 0; i++)
		;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct web_server *s = cls;
	struct web_request *r = *con_cls;
	enum MHD_Result ret;

	lower_thread_priority();
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->srv = s;
		r->conn = c;
		r->fd = -1;
		r->t0_ms = clock_mono_ms();
		snprintf(r->method, sizeof(r->method), "%s", method);
		r->path = strdup(url);
		*con_cls = r;
		if (!r->path)
			return MHD_NO;
		if (begin(s, r, version, &ret)) {
			r->route = NULL;
			return ret;
		}
		return MHD_YES;
	}
	if (!r->route) {
		/* a response was queued at the start; drop whatever comes */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* connection_timeout only closes a connection that sends nothing;
		 * one that trickles its body is stopped here, at the latest one
		 * connection_timeout after request_timeout */
		if (s->cfg.request_timeout &&
		    clock_mono_ms() - r->t0_ms > (int64_t)s->cfg.request_timeout * 1000) {
			char who[64];
			client_name(r, who, sizeof(who));
			dlog(DLOG_WARNING, "http: %s %s from %s: the body took longer than "
			     "request_timeout (%u s) after %llu bytes: closed", r->method, r->path, who,
			     s->cfg.request_timeout, (unsigned long long)r->received);
			raw_reply_close(r, SF_E_REQTIMEOUT, "the request was not received within "
					"[server] request_timeout (%u s): %llu bytes of the body "
					"arrived; nothing was stored", s->cfg.request_timeout,
					(unsigned long long)r->received);
			return MHD_NO;
		}
		feed(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	/* the whole request is in */
	if (r->too_large)
		return web_reply_code(r, SF_E_TOOLARGE,
				      "request body exceeds the limit of %llu bytes",
				      (unsigned long long)r->limit);
	if (r->mp_error[0])
		return web_reply_code(r, SF_E_ARG, "%s", r->mp_error);
	if (r->io_error == 2)
		return web_reply_code(r, SF_E_ARG,
				      "malformed multipart/form-data body");
	if (r->io_error) {
		/* ENOSPC: 507, the station's disk is full; the partial file goes */
		dlog(DLOG_ERR, "http: could not store an upload after %llu bytes: %s",
		     (unsigned long long)r->file_size, strerror(r->io_errno));
		return web_reply_code(r, sf_err_io_code(r->io_errno),
				      "could not store the request body in the state directory "
				      "after %llu bytes: %s", (unsigned long long)r->file_size,
				      strerror(r->io_errno));
	}
	if (r->pp) {
		MHD_destroy_post_processor(r->pp);
		r->pp = NULL;
		if (!r->mp_closed)
			return web_reply_code(r, SF_E_ARG,
					      "multipart body ends before its closing boundary "
					      "(truncated upload?): nothing stored");
		if (!r->got_firmware || !r->fw_parts)
			return web_reply_code(r, SF_E_ARG,
					      "multipart form has no field named 'firmware'");
		if (r->fw_parts > 1)
			return web_reply_code(r, SF_E_ARG, "the form has %u 'firmware' parts (send "
					      "exactly one)", r->fw_parts);
	}
	if (r->fd >= 0 && lseek(r->fd, 0, SEEK_SET) < 0)
		return MHD_NO;
	return r->route->fn(r->route->user, r);
}

int web_server_start(struct web_server *s, unsigned *port, struct sf_err *err)
{
	char addr[128];
	unsigned p;
	struct sockaddr_storage ss;
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;

	memset(&ss, 0, sizeof(ss));
	if (split_listen(s->cfg.listen, addr, sizeof(addr), &p))
		return sf_err_set(err, SF_E_ARG, "listen address '%s': expected ADDR:PORT",
				   s->cfg.listen);
	if (!strcmp(addr, "localhost"))
		snprintf(addr, sizeof(addr), "127.0.0.1");
	struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	if (!strcmp(addr, "*") || !addr[0]) {
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_any;
		in6->sin6_port = htons((uint16_t)p);
		flags |= MHD_USE_DUAL_STACK;
	} else if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
	} else if (inet_pton(AF_INET6, addr, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		flags |= MHD_USE_IPv6;
	} else {
		return sf_err_set(err, SF_E_ARG, "listen address '%s': not a numeric IPv4 or IPv6 "
				   "address", addr);
	}
	/* where to listen: the address, or the socket systemd passed */
	struct MHD_OptionItem where[2] = {
		{ MHD_OPTION_SOCK_ADDR, 0, &ss },
		{ MHD_OPTION_END, 0, NULL },
	};
	if (s->listen_fd >= 0) {
		flags &= ~(unsigned)(MHD_USE_DUAL_STACK | MHD_USE_IPv6);
		where[0].option = MHD_OPTION_LISTEN_SOCKET;
		where[0].value = s->listen_fd;
		where[0].ptr_value = NULL;
	}
	/* 0: no limit of its own (the total one is lower) */
	unsigned per_ip = s->cfg.max_connections_per_address < s->cfg.max_connections
			  ? s->cfg.max_connections_per_address : 0;
	s->mhd = MHD_start_daemon(flags, (uint16_t)p, NULL, NULL, on_request, s,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, (void *)s,
		MHD_OPTION_ARRAY, where,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)s->cfg.max_connections,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_ip,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)s->cfg.max_header_bytes,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)s->cfg.connection_timeout,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, (void *)s,
		/* no LISTENING_ADDRESS_REUSE: 1 would set SO_REUSEPORT, and a
		 * second daemon on the same port would start and take half of
		 * the connections; the default (SO_REUSEADDR only) refuses it */
		MHD_OPTION_END);
	if (!s->mhd)
		return sf_err_set(err, SF_E_IO, "cannot listen on %s: %s", s->cfg.listen,
				   strerror(errno ? errno : EADDRINUSE));
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	if (port)
		*port = di ? di->port : p;
	return 0;
}

void web_server_stop(struct web_server *s)
{
	if (s->mhd) {
		MHD_stop_daemon(s->mhd);
		s->mhd = NULL;
	}
}

void web_server_free(struct web_server *s)
{
	if (!s)
		return;
	web_server_stop(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
