/* dap: the ADIv5 debug access port seen from above.
 *
 * This is the seam between "how bits move" and "what the chip does": the
 * bit-bang SWD link (dap_swd.c) and the ST-Link driver both implement
 * struct dap_ops, and the nRF52 engine uses nothing else. */
#ifndef SWD_DAP_H
#define SWD_DAP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "adiv5.h"

struct dap_stats {
	uint64_t transfers, waits, faults, protocol_errors, line_resets;
};

struct dap_ops {
	/* Line reset / JTAG-to-SWD, read DPIDR, clear sticky flags, power up
	 * the debug domain. dpidr may be NULL. */
	int (*connect)(void *ctx, uint32_t *dpidr, struct sf_err *err);
	int (*dp_read)(void *ctx, unsigned reg, uint32_t *val, struct sf_err *err);
	int (*dp_write)(void *ctx, unsigned reg, uint32_t val, struct sf_err *err);
	/* AP register access; reads are completed (posting handled inside). */
	int (*ap_read)(void *ctx, unsigned ap, unsigned reg, uint32_t *val, struct sf_err *err);
	int (*ap_write)(void *ctx, unsigned ap, unsigned reg, uint32_t val, struct sf_err *err);
	/* MEM-AP (AP 0) memory access. size is 1, 2 or 4; addr and len must be
	 * multiples of size. Blocks use TAR auto-increment and never cross a
	 * 1 KiB boundary without rewriting TAR. */
	int (*mem_read)(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
			struct sf_err *err);
	int (*mem_write)(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
			 struct sf_err *err);
	/* nRESET pin (0 = assert); returns SF_E_UNSUPPORTED when not wired. */
	int (*reset_pin)(void *ctx, int level, struct sf_err *err);
	void (*delay_us)(void *ctx, uint32_t us);
	uint64_t (*now_us)(void *ctx);
	void (*get_stats)(void *ctx, struct dap_stats *st);
	/* Forget cached SELECT/CSW/TAR (after a reset that may change them). */
	void (*invalidate)(void *ctx);
	void (*free)(void *ctx);
};

struct dap {
	const struct dap_ops *ops;
	void *ctx;
};

/* Convenience wrappers over the ops. */
static inline int dap_read32(struct dap *d, uint32_t addr, uint32_t *v, struct sf_err *err)
{
	return d->ops->mem_read(d->ctx, addr, v, 4, 4, err);
}

static inline int dap_write32(struct dap *d, uint32_t addr, uint32_t v, struct sf_err *err)
{
	return d->ops->mem_write(d->ctx, addr, &v, 4, 4, err);
}

#endif
