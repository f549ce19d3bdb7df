/* dap: the ADIv5 debug access port seen from above.
 *
 * This is the seam between "how bits move" and "what the chip does": the
 * bit-bang SWD link (dap_swd.c) and the ST-Link driver both implement
 * struct dap_ops, and the nRF52 engine uses nothing else. */
#ifndef SWD_DAP_H
#define SWD_DAP_H

#include <stddef.h>
#include <stdint.h>

#include "swd_err.h"

/* DP register addresses (A[3:2] << 2) */
#define DAP_DP_DPIDR 0x0U   /* read */
#define DAP_DP_ABORT 0x0U   /* write */
#define DAP_DP_CTRLSTAT 0x4U
#define DAP_DP_SELECT 0x8U  /* write */
#define DAP_DP_RESEND 0x8U  /* read */
#define DAP_DP_RDBUFF 0xCU

#define DAP_ABORT_DAPABORT (1U << 0)
#define DAP_ABORT_STKCMPCLR (1U << 1)
#define DAP_ABORT_STKERRCLR (1U << 2)
#define DAP_ABORT_WDERRCLR (1U << 3)
#define DAP_ABORT_ORUNERRCLR (1U << 4)
#define DAP_ABORT_CLEAR_ALL 0x1EU

#define DAP_CTRL_STICKYORUN (1U << 1)
#define DAP_CTRL_STICKYCMP (1U << 4)
#define DAP_CTRL_STICKYERR (1U << 5)
#define DAP_CTRL_READOK (1U << 6)
#define DAP_CTRL_WDATAERR (1U << 7)
#define DAP_CTRL_CDBGPWRUPREQ (1U << 28)
#define DAP_CTRL_CDBGPWRUPACK (1U << 29)
#define DAP_CTRL_CSYSPWRUPREQ (1U << 30)
#define DAP_CTRL_CSYSPWRUPACK (1U << 31)

/* MEM-AP registers */
#define DAP_AP_CSW 0x00U
#define DAP_AP_TAR 0x04U
#define DAP_AP_DRW 0x0CU
#define DAP_AP_BD0 0x10U
#define DAP_AP_CFG 0xF4U
#define DAP_AP_BASE 0xF8U
#define DAP_AP_IDR 0xFCU

#define DAP_CSW_SIZE8 0x0U
#define DAP_CSW_SIZE16 0x1U
#define DAP_CSW_SIZE32 0x2U
#define DAP_CSW_ADDRINC_SINGLE (1U << 4)
#define DAP_CSW_DEVICEEN (1U << 6)
#define DAP_CSW_TRINPROG (1U << 7)
#define DAP_CSW_HPROT1 (1U << 25)
#define DAP_CSW_MASTER_DEBUG (1U << 29)
#define DAP_CSW_DBGSWENABLE (1U << 31)

struct dap_stats {
	uint64_t transfers, waits, faults, protocol_errors, line_resets;
};

struct dap_ops {
	/* Line reset / JTAG-to-SWD, read DPIDR, clear sticky flags, power up
	 * the debug domain. dpidr may be NULL. */
	int (*connect)(void *ctx, uint32_t *dpidr, struct swd_err *err);
	int (*dp_read)(void *ctx, unsigned reg, uint32_t *val, struct swd_err *err);
	int (*dp_write)(void *ctx, unsigned reg, uint32_t val, struct swd_err *err);
	/* AP register access; reads are completed (posting handled inside). */
	int (*ap_read)(void *ctx, unsigned ap, unsigned reg, uint32_t *val, struct swd_err *err);
	int (*ap_write)(void *ctx, unsigned ap, unsigned reg, uint32_t val, struct swd_err *err);
	/* MEM-AP (AP 0) memory access. size is 1, 2 or 4; addr and len must be
	 * multiples of size. Blocks use TAR auto-increment and never cross a
	 * 1 KiB boundary without rewriting TAR. */
	int (*mem_read)(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
			struct swd_err *err);
	int (*mem_write)(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
			 struct swd_err *err);
	/* nRESET pin (0 = assert); returns SWD_E_UNSUPPORTED when not wired. */
	int (*reset_pin)(void *ctx, int level, struct swd_err *err);
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
static inline int dap_read32(struct dap *d, uint32_t addr, uint32_t *v, struct swd_err *err)
{
	return d->ops->mem_read(d->ctx, addr, v, 4, 4, err);
}

static inline int dap_write32(struct dap *d, uint32_t addr, uint32_t v, struct swd_err *err)
{
	return d->ops->mem_write(d->ctx, addr, &v, 4, 4, err);
}

#endif
