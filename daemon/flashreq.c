// SPDX-License-Identifier: GPL-2.0-or-later
/* flashreq: see flashreq.h. */
#include "flashreq.h"

#include <stdio.h>
#include <string.h>

enum img_format flashreq_format(const struct flashreq *rq)
{
	int f;

	if (rq->format != IMG_AUTO || !rq->stored_format)
		return rq->format;
	f = img_format_from_name(rq->stored_format);
	return f < 0 ? IMG_AUTO : (enum img_format)f;
}

int flashreq_parse(const uint8_t *buf, size_t len, const struct flashreq *rq, struct img *out,
		   struct sf_err *err)
{
	return img_parse(buf, len, flashreq_format(rq), rq->base, out, err);
}

int flashreq_parse_file(const char *path, const struct flashreq *rq, struct img *out,
			struct sf_err *err)
{
	return img_load_file(path, flashreq_format(rq), rq->base, out, err);
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
