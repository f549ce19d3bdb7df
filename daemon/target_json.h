// SPDX-License-Identifier: GPL-2.0-or-later
/* target_json: what the engine identified, as the JSON object that both
 * `swdflash --json` and the HTTP API print, so the two never drift. */
#ifndef DAEMON_TARGET_JSON_H
#define DAEMON_TARGET_JSON_H

#include <jansson.h>

#include "../nrf52/nrf52.h"

/* dpidr, ahb_ap_idr, ctrl_ap_idr, locked, part, variant, package,
 * flash_size, ram_size, page_size, device_id, device_addr,
 * hardened_approtect; FICR fields are null when the chip could not be
 * identified (locked). */
json_t *target_json_info(const struct nrf52_info *in);

#endif
