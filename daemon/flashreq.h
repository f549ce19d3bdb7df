// SPDX-License-Identifier: GPL-2.0-or-later
/* flashreq: the check every flash request passes before it may touch the
 * chip, shared by the HTTP API (web/api.c, target as the worker last saw
 * it) and swdflash (cli/, target as it identified it itself), so that both
 * refuse the same requests with the same codes and messages.
 *
 * In order: the image parses (the parser's SF_E_IMAGE / SF_E_FORMAT / I/O
 * error), the target answered (SF_E_NOTARGET), it is not locked unless the
 * request recovers it first (SF_E_LOCKED, with the advice how), and every
 * segment lies in the part's flash or UICR (SF_E_RANGE, from
 * nrf52_check_image; skipped when the part could not be identified, i.e.
 * locked with recover requested: the engine checks again after recover).
 *
 * The option names a front end parses (image formats, erase modes) come
 * through here as well, so web/ needs nothing from nrf52/ directly. */
#ifndef DAEMON_FLASHREQ_H
#define DAEMON_FLASHREQ_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "../nrf52/image.h"
#include "../nrf52/nrf52.h"

/* Raw binary is flashed only when the caller asked for it: format IMG_BIN,
 * or a file name ending in ".bin" (any case) together with an explicit
 * base. Content that is not HEX, UF2 or ELF is otherwise refused
 * (SF_E_FORMAT, nrf52/image.h). An explicit base with an image that is
 * not a raw binary is refused (SF_E_ARG): its addresses are in the file.
 * A stored image (re-flash by SHA-256) is parsed as it was stored, at the
 * base it was stored with; a request that names another format or base
 * for it is refused (SF_E_ARG): upload it again instead. */
struct flashreq {
	enum img_format format;     /* as requested; IMG_AUTO detects */
	const char *stored_format;  /* NULL, or the format the image store recorded:
				     * used instead of IMG_AUTO */
	int stored_has_base;        /* the store recorded the base (raw binary) */
	uint32_t stored_base;
	uint32_t base;              /* load address, IMG_BIN only */
	int base_set;               /* base was given by the caller */
	const char *name;           /* the file's name as given (NULL: none) */
	int recover;                /* recover a locked chip first */
	/* How this front end asks for a recover, completing "target is locked
	 * (APPROTECT): <recover_hint> to erase and unlock it first ...";
	 * NULL: "recover it". */
	const char *recover_hint;
};

/* The target as the caller last saw it. */
struct flashreq_target {
	int connected;                  /* the chip answered */
	const char *error;              /* !connected: why not (NULL or "": probe not ready) */
	const struct nrf52_info *info;  /* connected: what identify read (NULL = nothing) */
};

/* The whole check: parse buf (len bytes) as the request says, then
 * flashreq_check_target. On success *out holds the image (free it with
 * flashreq_image_free); on error *out is empty and err says why. */
int flashreq_check(const uint8_t *buf, size_t len, const struct flashreq *rq,
		   const struct flashreq_target *t, struct img *out, struct sf_err *err);

/* The format the parser is told: rq->format, or the stored format when
 * that is IMG_AUTO (what a job records as its requested format). */
enum img_format flashreq_format(const struct flashreq *rq);
/* The base the parser is told: the stored one for a stored raw binary. */
uint32_t flashreq_base(const struct flashreq *rq);

/* The two halves, for a caller that must refuse a bad image before it
 * connects (swdflash parses first, then identifies). */
int flashreq_parse(const uint8_t *buf, size_t len, const struct flashreq *rq, struct img *out,
		   struct sf_err *err);
/* flashreq_parse of a file (messages start with the path; a missing or
 * unreadable file is SF_E_IO). */
int flashreq_parse_file(const char *path, const struct flashreq *rq, struct img *out,
			struct sf_err *err);
/* The target policy and, when img is not NULL, the part's limits. With img
 * NULL it is the policy alone (a locked chip refuses reads and erases as it
 * refuses flashing). */
int flashreq_check_target(const struct flashreq *rq, const struct flashreq_target *t,
			  const struct img *img, struct sf_err *err);

void flashreq_image_free(struct img *img);

/* Option names. Unknown names are -1; *_list writes the accepted names
 * for a message ("auto, hex, uf2, elf or bin"). */
int flashreq_format_from_name(const char *name);
const char *flashreq_format_name(enum img_format f);   /* "auto", "hex", ... */
void flashreq_format_list(char *buf, size_t n);
int flashreq_erase_from_name(const char *name);
const char *flashreq_erase_name(enum nrf52_erase_mode m);
void flashreq_erase_list(char *buf, size_t n);

#endif
