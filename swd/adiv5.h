// SPDX-License-Identifier: GPL-2.0-or-later
/* adiv5: ARM Debug Interface v5 register numbers and bits, shared by the
 * SWD link, the bit-bang DAP and every other probe driver.
 * Source: ARM IHI 0031 (ADIv5.2): B2.2 DP registers, C2.6 MEM-AP registers. */
#ifndef SWD_ADIV5_H
#define SWD_ADIV5_H

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

#endif
