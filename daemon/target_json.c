// SPDX-License-Identifier: GPL-2.0-or-later
#include "target_json.h"

#include <inttypes.h>
#include <stdio.h>

static json_t *hex(const char *fmt, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), fmt, v);
	return json_string(buf);
}

json_t *target_json_info(const struct nrf52_info *in)
{
	json_t *o = json_object();
	int id = in->identified;

	json_object_set_new(o, "dpidr", hex("0x%08" PRIX64, in->dpidr));
	json_object_set_new(o, "ahb_ap_idr", hex("0x%08" PRIX64, in->ahb_ap_idr));
	json_object_set_new(o, "ctrl_ap_idr", hex("0x%08" PRIX64, in->ctrl_ap_idr));
	json_object_set_new(o, "locked", json_boolean(in->locked));
	json_object_set_new(o, "part", id ? json_string(in->name) : json_null());
	json_object_set_new(o, "variant", id ? json_string(in->variant) : json_null());
	json_object_set_new(o, "package", id ? json_string(in->package_name) : json_null());
	json_object_set_new(o, "flash_size", id ? json_integer(in->flash_size) : json_null());
	json_object_set_new(o, "ram_size", id ? json_integer(in->ram_size) : json_null());
	json_object_set_new(o, "page_size", id ? json_integer(in->page_size) : json_null());
	json_object_set_new(o, "device_id", id ? hex("%016" PRIX64, in->device_id) : json_null());
	json_object_set_new(o, "device_addr",
			    id ? hex("%012" PRIX64, in->device_addr) : json_null());
	json_object_set_new(o, "hardened_approtect", id ? json_boolean(in->hardened) : json_null());
	return o;
}
