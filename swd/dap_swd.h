// SPDX-License-Identifier: GPL-2.0-or-later
/* dap_swd: the DAP interface over a bit-bang SWD link.
 * Caches SELECT, CSW and TAR so block transfers cost one DRW access per
 * word plus a TAR write per 1 KiB. */
#ifndef SWD_DAP_SWD_H
#define SWD_DAP_SWD_H

#include "dap.h"
#include "link.h"

/* The DAP borrows the link; dap->ops->free frees only the DAP state.
 * out->caps: every capability, DAP_CAP_RESET_PIN only when the pins
 * driver has an nRESET line. */
int dap_swd_new(struct swd_link *link, struct dap *out, struct sf_err *err);

#endif
