// SPDX-License-Identifier: GPL-2.0-or-later
/* dap: the ADIv5 debug access port seen from above, and the probe's clock.
 *
 * This is the seam between "how bits move" and "what the chip does": the
 * bit-bang SWD link (dap_swd.c) and an ST-Link driver both implement
 * struct dap_ops, and the nRF52 engine uses nothing else. A probe says what
 * it can do in dap.caps, so the engine refuses (or takes another path)
 * before it tries, instead of finding out by failing. */
#ifndef SWD_DAP_H
#define SWD_DAP_H

#include <stddef.h>
#include <stdint.h>

#include "../common/err.h"
#include "adiv5.h"

/* What a DAP can do (bits of struct dap.caps). */
enum dap_cap {
	/* ap_read/ap_write reach every AP number. Without it only memory
	 * access through the MEM-AP (AP 0, mem_read/mem_write) is sure to
	 * work and ap_read/ap_write may answer SF_E_UNSUPPORTED; an ST-Link
	 * needs firmware support (J24+ READ_DAP_REG) to reach the nRF52
	 * CTRL-AP (AP 1). */
	DAP_CAP_ANY_AP = 1U << 0,
	/* reset_pin drives an nRESET line. */
	DAP_CAP_RESET_PIN = 1U << 1,
	/* mem_read/mem_write take size 1 / size 2. */
	DAP_CAP_MEM8 = 1U << 2,
	DAP_CAP_MEM16 = 1U << 3,
	/* Writes are paced by WAIT and resumable: a block write into memory
	 * that stalls the bus (nRF52 flash while the NVMC works) completes
	 * word by word, and a failed block reports (in the error) how far it
	 * got; the bit-bang link resumes at the last good word. A USB probe
	 * fails a whole command with unknown progress: without this bit the
	 * engine writes flash one word at a time and waits for NVMC READY. */
	DAP_CAP_WAIT_PACED = 1U << 4,
};
#define DAP_CAP_ALL 0x1FU

/* What a single capability bit is called, for messages. */
static inline const char *dap_cap_name(unsigned cap)
{
	switch (cap) {
	case DAP_CAP_ANY_AP: return "access to any AP";
	case DAP_CAP_RESET_PIN: return "an nRESET line";
	case DAP_CAP_MEM8: return "8-bit memory access";
	case DAP_CAP_MEM16: return "16-bit memory access";
	case DAP_CAP_WAIT_PACED: return "WAIT-paced writes";
	}
	return "an unknown capability";
}

/* Counters of a DAP. A counter means something only when its bit is set
 * in valid: a USB probe cannot count wire WAITs or line resets, a bit-bang
 * probe sends no USB commands. */
enum dap_stat {
	DAP_STAT_TRANSFERS = 1U << 0,       /* SWD transfers on the wire */
	DAP_STAT_WAITS = 1U << 1,           /* WAIT acknowledges */
	DAP_STAT_FAULTS = 1U << 2,          /* FAULT acknowledges */
	DAP_STAT_PROTOCOL_ERRORS = 1U << 3, /* no/bad ACK, parity */
	DAP_STAT_LINE_RESETS = 1U << 4,
	DAP_STAT_COMMANDS = 1U << 5,        /* transport commands (USB) */
	DAP_STAT_RETRIES = 1U << 6,         /* transport commands repeated */
};
#define DAP_STAT_WIRE (DAP_STAT_TRANSFERS | DAP_STAT_WAITS | DAP_STAT_FAULTS | \
		       DAP_STAT_PROTOCOL_ERRORS | DAP_STAT_LINE_RESETS)
#define DAP_STAT_TRANSPORT (DAP_STAT_COMMANDS | DAP_STAT_RETRIES)

struct dap_stats {
	unsigned valid; /* enum dap_stat bits */
	/* wire */
	uint64_t transfers, waits, faults, protocol_errors, line_resets;
	/* transport */
	uint64_t commands, retries;
};

struct dap_ops {
	/* Line reset / JTAG-to-SWD, read DPIDR, clear sticky flags, power up
	 * the debug domain. dpidr may be NULL. */
	int (*connect)(void *ctx, uint32_t *dpidr, struct sf_err *err);
	int (*dp_read)(void *ctx, unsigned reg, uint32_t *val, struct sf_err *err);
	int (*dp_write)(void *ctx, unsigned reg, uint32_t val, struct sf_err *err);
	/* AP register access; reads are completed (posting handled inside).
	 * Needs DAP_CAP_ANY_AP (else it may answer SF_E_UNSUPPORTED). */
	int (*ap_read)(void *ctx, unsigned ap, unsigned reg, uint32_t *val, struct sf_err *err);
	int (*ap_write)(void *ctx, unsigned ap, unsigned reg, uint32_t val, struct sf_err *err);
	/* MEM-AP (AP 0) memory access, the contract every DAP keeps:
	 * - size is 4, or 2 / 1 with DAP_CAP_MEM16 / DAP_CAP_MEM8; addr and len
	 *   must be multiples of size and the range must not wrap past 4 GiB
	 *   (else SF_E_ARG before anything moves); len 0 does nothing.
	 * - len has no maximum: the DAP splits the transfer as it needs (USB
	 *   packet sizes, TAR blocks). ADIv5 guarantees TAR auto-increment only
	 *   across TAR[9:0], so a DAP re-arms TAR at every 1 KiB boundary; a
	 *   caller never has to care where 1 KiB or 4 KiB blocks begin.
	 * - bytes go to and from memory in address order; sub-word sizes use
	 *   the byte lanes of the address.
	 * - 0 means every byte was transferred. On failure (a negative SF_E_*)
	 *   the message names the range and an address at or before which the
	 *   transfer certainly got (bit-bang: "at or before 0x..."; a DAP that
	 *   cannot tell names the whole range). The contents of a read buffer
	 *   are then unspecified, all of it; for a write, any byte of the range
	 *   may or may not have been written, and memory that takes a write
	 *   only once (flash) must be treated as written. */
	int (*mem_read)(void *ctx, uint32_t addr, void *buf, size_t len, unsigned size,
			struct sf_err *err);
	int (*mem_write)(void *ctx, uint32_t addr, const void *buf, size_t len, unsigned size,
			 struct sf_err *err);
	/* nRESET pin (0 = assert); SF_E_UNSUPPORTED without DAP_CAP_RESET_PIN. */
	int (*reset_pin)(void *ctx, int level, struct sf_err *err);
	/* Let the last access complete before the probe goes quiet (a sleep):
	 * ADIv5 wants at least 8 idle SWCLK cycles before the clock stops.
	 * May be NULL (a USB probe keeps its own clock running). */
	void (*flush)(void *ctx);
	void (*get_stats)(void *ctx, struct dap_stats *st);
	/* The target was reset (or may have been): forget what the DAP cached
	 * about it (SELECT/CSW/TAR on the bit-bang link; an ST-Link re-opens
	 * its APs). */
	void (*target_reset)(void *ctx);
	void (*free)(void *ctx);
};

struct dap {
	const struct dap_ops *ops;
	void *ctx;
	unsigned caps; /* enum dap_cap bits */
	/* Why capabilities are missing, in the probe's words (" (ST-Link
	 * firmware V2J22S7 ... V2J28 adds it)"), appended to a refusal; NULL
	 * when there is nothing to add. May change when the probe learns
	 * more (an ST-Link that answers BAD_AP drops DAP_CAP_ANY_AP). */
	const char *note;
	/* What one call costs before any data moves, in microseconds: a USB
	 * probe's command round trip (stlink.c), 0 for a wire-level link. The
	 * engine moves work onto the target where that cost would otherwise
	 * stand between NVMC operations. */
	unsigned call_us;
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

/* Time belongs to the probe, not to the DAP: simulated time for the
 * simulator, the monotonic clock for real probes. Every deadline above
 * the probe is measured with now_us and every pause is sleep_us, so a job
 * against the simulator runs in simulated time. A caller that sleeps
 * while a DAP is in use calls dap flush first. */
struct swd_clock_ops {
	uint64_t (*now_us)(void *ctx);
	void (*sleep_us)(void *ctx, uint32_t us);
};

struct swd_clock {
	const struct swd_clock_ops *ops;
	void *ctx;
};

#endif
