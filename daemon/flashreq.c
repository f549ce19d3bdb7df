// SPDX-License-Identifier: GPL-2.0-or-later
/* flashreq: see flashreq.h. */
#include "flashreq.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static int name_is_bin(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	return n > 4 && !strcasecmp(name + n - 4, ".bin");
}

static enum img_format stored_format(const struct flashreq *rq)
{
	int f = rq->stored_format ? img_format_from_name(rq->stored_format) : -1;

	return f < 0 ? IMG_AUTO : (enum img_format)f;
}

enum img_format flashreq_format(const struct flashreq *rq)
{
	if (rq->format != IMG_AUTO)
		return rq->format;
	if (stored_format(rq) != IMG_AUTO)
		return stored_format(rq);
	if (rq->base_set && name_is_bin(rq->name))
		return IMG_BIN;
	return IMG_AUTO;
}

uint32_t flashreq_base(const struct flashreq *rq)
{
	if (rq->stored_format && stored_format(rq) == IMG_BIN && rq->stored_has_base)
		return rq->stored_base;
	return rq->base;
}

/* The request's options against each other and against what the store
 * recorded, before parsing. */
static int flashreq_check_options(const struct flashreq *rq, struct sf_err *err)
{
	enum img_format sf = stored_format(rq);

	if (!rq->stored_format)
		return 0;
	if (rq->format != IMG_AUTO && rq->format != sf)
		return sf_err_set(err, SF_E_ARG,
				  "the stored image is %s; format %s differs (upload it again to "
				  "flash it as %s)", img_format_name(sf), img_format_name(rq->format),
				  img_format_name(rq->format));
	if (rq->base_set && sf == IMG_BIN && rq->stored_has_base && rq->base != rq->stored_base)
		return sf_err_set(err, SF_E_ARG,
				  "the stored raw binary was uploaded for base 0x%08X; base 0x%08X "
				  "differs (upload it again with the new base)",
				  (unsigned)rq->stored_base, (unsigned)rq->base);
	return 0;
}

/* After parsing: an explicit base means a raw binary. */
static int flashreq_check_base(const struct flashreq *rq, struct img *img, struct sf_err *err)
{
	enum img_format f = img->format;

	if (!rq->base_set || f == IMG_BIN)
		return 0;
	img_free(img);
	memset(img, 0, sizeof(*img));
	return sf_err_set(err, SF_E_ARG,
			  "base applies to raw binary images only: this image is %s and carries "
			  "its own addresses", img_format_name(f));
}

int flashreq_parse(const uint8_t *buf, size_t len, const struct flashreq *rq, struct img *out,
		   struct sf_err *err)
{
	int rc = flashreq_check_options(rq, err);

	memset(out, 0, sizeof(*out));
	if (!rc)
		rc = img_parse(buf, len, flashreq_format(rq), flashreq_base(rq), out, err);
	return rc ? rc : flashreq_check_base(rq, out, err);
}

int flashreq_parse_file(const char *path, const struct flashreq *rq, struct img *out,
			struct sf_err *err)
{
	int rc = flashreq_check_options(rq, err);

	memset(out, 0, sizeof(*out));
	if (!rc)
		/* memory bounded by the largest part, not by the file */
		rc = img_load_file_max(path, flashreq_format(rq), flashreq_base(rq),
				       (uint64_t)nrf52_max_flash_size() + NRF52_UICR_SIZE, out, err);
	return rc ? rc : flashreq_check_base(rq, out, err);
}

int flashreq_check_target(const struct flashreq *rq, const struct flashreq_target *t,
			  const struct img *img, struct sf_err *err)
{
	if (!t->connected)
		return sf_err_set(err, SF_E_NOTARGET, "no target: %s",
				  t->error && t->error[0] ? t->error : "probe not ready");
	if (t->info && t->info->locked && !rq->recover)
		return sf_err_set(err, SF_E_LOCKED,
				  "target is locked (APPROTECT): %s to erase and unlock it first "
				  "(destroys its contents)",
				  rq->recover_hint ? rq->recover_hint : "recover it");
	/* a locked chip being recovered has no FICR yet: the engine checks
	 * the image against the part once recover has opened it */
	if (img && t->info && t->info->identified)
		return nrf52_check_image(t->info, img, err);
	return 0;
}

int flashreq_check(const uint8_t *buf, size_t len, const struct flashreq *rq,
		   const struct flashreq_target *t, struct img *out, struct sf_err *err)
{
	int rc = flashreq_parse(buf, len, rq, out, err);

	if (rc)
		return rc;
	rc = flashreq_check_target(rq, t, out, err);
	if (rc)
		img_free(out);
	return rc;
}

void flashreq_image_free(struct img *img)
{
	img_free(img);
}

/* ---- option names ---- */

/* "a, b or c" from name(0), name(1), ... until NULL */
static void flashreq_list(char *buf, size_t n, const char *(*name)(int i))
{
	size_t w = 0;
	int count = 0;

	while (name(count))
		count++;
	if (n)
		buf[0] = '\0';
	for (int i = 0; i < count && w < n; i++) {
		int k = snprintf(buf + w, n - w, "%s%s", i == 0 ? "" : i == count - 1 ? " or " : ", ",
				 name(i));
		if (k < 0)
			break;
		w += (size_t)k;
	}
}

int flashreq_format_from_name(const char *name)
{
	return img_format_from_name(name);
}

const char *flashreq_format_name(enum img_format f)
{
	return img_format_name(f);
}

static const char *flashreq_format_at(int i)
{
	/* enum img_format runs from IMG_AUTO to IMG_BIN */
	return i >= IMG_AUTO && i <= IMG_BIN ? img_format_name((enum img_format)i) : NULL;
}

void flashreq_format_list(char *buf, size_t n)
{
	flashreq_list(buf, n, flashreq_format_at);
}

int flashreq_erase_from_name(const char *name)
{
	return nrf52_erase_mode_from_name(name);
}

const char *flashreq_erase_name(enum nrf52_erase_mode m)
{
	return nrf52_erase_mode_name(m);
}

static const char *flashreq_erase_at(int i)
{
	return i < 0 ? NULL : nrf52_erase_mode_name((enum nrf52_erase_mode)i);
}

void flashreq_erase_list(char *buf, size_t n)
{
	flashreq_list(buf, n, flashreq_erase_at);
}
