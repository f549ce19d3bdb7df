/* swd_probe: turn a probe spec into a DAP.
 *
 *   sim[:part=nrf52840,rev=legacy|hardened,locked=0|1,state=PATH,period_ns=N]
 *   gpiod[:chip=auto,swclk=25,swdio=24,nreset=18,max_hz=N]
 *   stlink[:serial=...]
 *
 * A bit-bang probe is pins driver -> SWD link -> DAP; an ST-Link implements
 * the DAP directly. */
#ifndef SWD_PROBE_H
#define SWD_PROBE_H

#include "dap.h"
#include "swd_err.h"

struct sim_chip;

struct swd_probe {
	char kind[16];          /* "sim", "gpiod", "stlink" */
	char desc[192];         /* human-readable: what and where */
	struct dap dap;
	struct sim_chip *sim;   /* the simulated chip for "sim" probes, else NULL */
	struct swd_pins *pins;  /* bit-bang probes only */
	struct swd_link *link;  /* bit-bang probes only */
};

int swd_probe_open(const char *spec, struct swd_probe **out, struct swd_err *err);
void swd_probe_close(struct swd_probe *probe);

#endif
