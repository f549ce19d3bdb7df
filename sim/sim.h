// SPDX-License-Identifier: GPL-2.0-or-later
/* sim: a wire-level nRF52 (52832, 52833, 52840).
 *
 * The chip sees only pin levels: SWCLK, SWDIO (and whether the host drives
 * it) and nRESET. Framing follows what OpenOCD and sigrok agree on: the host
 * changes SWDIO while SWCLK is low, both sides sample host bits on the
 * rising edge, the target changes SWDIO just after a rising edge and the
 * host samples target bits after the next falling edge.
 *
 * Simulated time advances by cfg.swclk_period_ns per SWCLK cycle, by
 * sim_delay_ns(), and (with cfg.wallclock) by the wall clock, so a program
 * that sleeps while the NVMC works (OpenOCD) sees the work finish. With
 * cfg.realtime the chip sleeps whenever simulated time gets ahead of the
 * wall clock, so a job lasts as long as it would on silicon.
 *
 * Everything above the pins layer must talk to the chip only through the
 * wire. sim_peek(), the counters and the fault knobs are back doors for
 * tests and benchmarks.
 *
 * sim/ includes nothing of the project's (tools/check_layers.py enforces
 * it), because it is also compiled alone into the LD_PRELOAD emulators
 * loaded into unmodified programs (OpenOCD, libgpiod's tools). So it keeps
 * its own tiny error convention on purpose instead of common/err.h:
 * functions return 0 or -1 (NULL for constructors) and write a message
 * into a buffer the caller passes (char *err, size_t errlen). */
#ifndef SIM_H
#define SIM_H

#include <stddef.h>
#include <stdint.h>

enum sim_part { SIM_NRF52832, SIM_NRF52833, SIM_NRF52840 };
enum sim_rev { SIM_REV_LEGACY, SIM_REV_HARDENED };

struct sim_config {
	enum sim_part part;
	enum sim_rev rev;
	int locked;                /* a new chip starts with UICR.APPROTECT = 0x00 (else 0xFF);
	                              a chip loaded from state_path keeps its UICR */
	uint32_t swclk_period_ns;  /* simulated time per SWCLK cycle; 0 = 1000 (1 MHz) */
	const char *state_path;    /* load/save flash+UICR here; NULL = volatile */
	uint64_t device_id;        /* FICR DEVICEID; 0 = derived from state_path/part */
	int wallclock;             /* also advance simulated time with the wall clock */
	int absent;                /* no target on the wire (as sim_fault_absent) */
	int realtime;              /* wallclock, and never run ahead of the wall clock:
	                              sleep instead (demos: a job takes as long as on
	                              silicon) */
	const char *bench_dir;     /* a bench of boards that come and go (below) */
	uint64_t power_loss_at_write; /* power fails during this NVMC word write
	                              (1-based, counted from power-on); 0 = never */
	int core_hang;             /* fault knob: the core never retires an instruction */
	int core_fault;            /* fault knob: every instruction bus-faults */
};

/* A bench (bench=DIR): boards are plugged in and pulled out while the
 * chip's holder runs. DIR/slot names the board on the wire (one line; a
 * missing or empty file: none); DIR/NAME.board holds that board's spec
 * (part, rev, locked, device_id, power_loss_at_write; one
 * line) and DIR/NAME.chip its state file (created blank on first
 * insertion). The slot is read at every line reset and every 4096
 * transfers: a board that appears is powered on from its state file, one
 * that is pulled out stops answering at once (mid-job too) and its state
 * file is synced and released. A test writes the slot file (rename over
 * it) to plug and pull boards. */

/* Parses "part=nrf52840,rev=hardened,locked=1,state=PATH,period_ns=250"
 * (also device_id, wallclock, realtime, absent, bench,
 * power_loss_at_write, core=hang|fault)
 * (every key optional, empty string = defaults) into cfg, which it fills
 * with defaults first. state= points into a copy kept in strbuf.
 * Returns 0 or -1 with a message in err. */
int sim_config_parse(struct sim_config *cfg, const char *spec,
		     char *strbuf, size_t strbuf_len, char *err, size_t errlen);

struct sim_chip;

struct sim_chip *sim_chip_new(const struct sim_config *cfg, char *err, size_t errlen);
/* With cfg.state_path, flash and UICR live in that file (mapped shared,
 * created as a blank chip when missing, flock(2)ed: a second chip on the
 * same file is refused, naming the process that holds it, with errno
 * EBUSY). Every NVMC
 * write is in the file as it happens, so a kill -9 loses none. */
/* Syncs the state file (when cfg.state_path), releases it and frees. */
void sim_chip_free(struct sim_chip *chip);
/* msync the state file: what is in it survives a power loss too. 0 or -1. */
int sim_chip_save(struct sim_chip *chip);

/* ---- the wire ---- */

/* Set pin levels. swdio is the host's level, meaningful only when
 * host_drives. Edges on swclk drive the state machine. */
void sim_wire(struct sim_chip *chip, int swclk, int swdio, int host_drives);
/* Level on SWDIO now: the host's when it drives, the target's when it
 * drives, 1 (pull-up) when nobody does. */
int sim_swdio(const struct sim_chip *chip);
/* nRESET level (active low): 0 holds the chip in reset, the rising edge
 * is a pin reset. */
void sim_nreset(struct sim_chip *chip, int level);

/* Fast path, equivalent to the sim_wire() edge sequence: clock n (<= 32)
 * host-driven bits LSB first, one full cycle each (fall, set, rise). */
void sim_seq_out(struct sim_chip *chip, uint32_t bits, unsigned n);
/* Clock n (<= 32) cycles with the host not driving; returns the bits
 * sampled after each falling edge, LSB first. */
uint32_t sim_seq_in(struct sim_chip *chip, unsigned n);

/* ---- time ---- */
void sim_delay_ns(struct sim_chip *chip, uint64_t ns);
uint64_t sim_time_ns(const struct sim_chip *chip);
void sim_set_period_ns(struct sim_chip *chip, uint32_t ns);

/* ---- counters ---- */
struct sim_counters {
	uint64_t cycles;          /* SWCLK rising edges */
	uint64_t line_resets;
	uint64_t dp_reads, dp_writes, ap_reads, ap_writes;
	uint64_t acks_wait, acks_fault;
	uint64_t protocol_errors; /* bad start/stop/park/parity: no answer */
	uint64_t wdata_errors;    /* write data parity errors */
	uint64_t nvmc_writes;     /* 32-bit words programmed */
	uint64_t nvmc_page_erases, nvmc_erase_alls, nvmc_uicr_erases;
	uint64_t ctrlap_erase_alls;
	uint64_t resets;          /* system resets of any kind */
	/* the CPU touched a peripheral register the simulator does not
	 * model (reads 0, writes ignored) */
	uint64_t periph_unimpl_reads, periph_unimpl_writes;
};
const struct sim_counters *sim_counters(const struct sim_chip *chip);
void sim_counters_reset(struct sim_chip *chip);

/* ---- fault injection (tests) ---- */
/* The next n AP accesses (and RDBUFF reads) answer WAIT. */
void sim_fault_wait(struct sim_chip *chip, unsigned n);
/* The transfer with this 1-based number (counting every request that got
 * an ACK, from now) answers FAULT and sets STICKYERR. */
void sim_fault_fault_at(struct sim_chip *chip, uint64_t nth_transfer);
/* Invert the SWDIO level the host sees on this 1-based cycle from now. */
void sim_fault_flip_cycle(struct sim_chip *chip, uint64_t nth_cycle);
/* Target absent: never drives SWDIO. */
void sim_fault_absent(struct sim_chip *chip, int absent);
/* The target stops answering after this many more cycles (0 = off). */
void sim_fault_lose_after(struct sim_chip *chip, uint64_t cycles);
/* Power fails during the nth NVMC word write from now: the word is left
 * with a random subset of its bits programmed, the chip stops answering
 * until sim_power_cycle(). */
void sim_fault_power_loss_at_write(struct sim_chip *chip, uint64_t nth_write);
/* Corrupt one byte of flash/UICR/RAM as if a bit had flipped (not via NVMC). */
void sim_fault_corrupt(struct sim_chip *chip, uint32_t addr, uint8_t xor_mask);

/* Power-on reset: clears RAM, keeps flash/UICR, re-applies APPROTECT. */
void sim_power_cycle(struct sim_chip *chip);

/* ---- back doors (tests, benchmarks) ---- */
/* Copy len bytes of memory as the bus would read it (flash, UICR, FICR,
 * RAM). Returns 0, or -1 if any byte is unmapped. */
int sim_peek(const struct sim_chip *chip, uint32_t addr, void *buf, size_t len);
int sim_is_locked(const struct sim_chip *chip);  /* AHB-AP blocked now */
/* bench=DIR: the board on the wire now ("" when none). */
const char *sim_bench_board(const struct sim_chip *chip);
enum sim_part sim_part(const struct sim_chip *chip);
uint32_t sim_flash_size(const struct sim_chip *chip);
/* 1 while the CPU is halted by the debugger. */
int sim_core_halted(const struct sim_chip *chip);
/* 1 if the core executes code (Unicorn loaded), 0 if it cannot. Loads
 * the engine on first call. */
int sim_core_can_execute(struct sim_chip *chip);
/* Last unimplemented peripheral register the CPU wrote (0 = none). */
uint32_t sim_last_unimpl_write(const struct sim_chip *chip);

#endif
