// fuzz-sources: media/twcc.c
/* TWCC: any bytes as a transport-cc FCI into the parser, with invariants on what comes out;
 * then the same bytes as a script of arrivals (reordered, duplicated, lost, with gaps too
 * large for a delta) and feedback builds into buffers of any size, every packet parsed
 * back: each arrival is reported received exactly once, within 125 µs, and with feedback
 * built whenever it is due nothing is dropped. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "media/twcc.h"

#define FUZZ_CHECK(c) do { if (!(c)) __builtin_trap(); } while (0)
#define FUZZ_MAX_OPS 2048

struct fuzz_entry {
	int64_t us;
	bool arrived;
	uint8_t reported;
};

static struct twcc_status fuzz_st[TWCC_STATUS_MAX];
static struct fuzz_entry fuzz_ledger[65536];
static uint16_t fuzz_touched[FUZZ_MAX_OPS];
static size_t fuzz_ntouched;

static void fuzz_parse(const uint8_t *data, size_t size)
{
	struct twcc_feedback fb;
	size_t recv = 0;
	int r = twcc_feedback_parse(data, size, &fb, fuzz_st, TWCC_STATUS_MAX);
	if (r != 0)
		return;
	FUZZ_CHECK(size >= 10 && fb.status_count > 0);
	for (size_t i = 0; i < fb.status_count; i++) {
		FUZZ_CHECK(fuzz_st[i].seq == (uint16_t)(fb.base_seq + i));
		FUZZ_CHECK(fuzz_st[i].symbol <= TWCC_SYM_LARGE_DELTA);
		FUZZ_CHECK(fuzz_st[i].received == (fuzz_st[i].symbol != TWCC_SYM_NOT_RECEIVED));
		if (fuzz_st[i].symbol == TWCC_SYM_SMALL_DELTA)
			FUZZ_CHECK(fuzz_st[i].delta >= 0 && fuzz_st[i].delta <= 255);
		recv += fuzz_st[i].received;
	}
	FUZZ_CHECK(recv == fb.received);
	FUZZ_CHECK(size - 8 >= recv);     /* at least one octet per delta */
	/* every E2BIG below the count, never above */
	FUZZ_CHECK(twcc_feedback_parse(data, size, &fb, fuzz_st, fb.status_count) == 0);
	FUZZ_CHECK(twcc_feedback_parse(data, size, &fb, fuzz_st, fb.status_count - 1u) == E2BIG);
}

/* the RTPFB header as built, then the FCI against the ledger */
static void fuzz_check_packet(const uint8_t *buf, size_t len, size_t cap)
{
	struct twcc_feedback fb;
	size_t pad = (buf[0] & 0x20) ? buf[len - 1] : 0;
	FUZZ_CHECK(len >= 24 && len <= cap && len % 4 == 0 && pad < 4);
	FUZZ_CHECK((buf[0] & 0xdf) == 0x8f && buf[1] == 205);
	FUZZ_CHECK(((size_t)(buf[2] << 8 | buf[3]) + 1) * 4 == len);
	FUZZ_CHECK(twcc_feedback_parse(buf + 12, len - 12 - pad, &fb, fuzz_st, TWCC_STATUS_MAX) == 0);
	for (size_t i = 0; i < fb.status_count; i++) {
		struct fuzz_entry *e = &fuzz_ledger[fuzz_st[i].seq];
		if (!fuzz_st[i].received)
			continue;
		FUZZ_CHECK(e->arrived && !e->reported);
		e->reported = 1;
		int64_t err = fuzz_st[i].arrival_us - e->us;
		FUZZ_CHECK(err >= -125 && err <= 125);
	}
}

static void fuzz_drain(struct twcc *t, size_t cap, uint64_t now)
{
	uint8_t buf[1100];
	size_t len, n = 0;
	while ((len = twcc_feedback_build(t, buf, cap, 1, 2, now)) > 0) {
		fuzz_check_packet(buf, len, cap);
		FUZZ_CHECK(++n <= 2 * TWCC_WINDOW);
	}
}

/* op (a, b): a's top six bits a signed seq step (−32..31) from the highest seq so far, the
 * low two bits 3: build into a buffer of 32 + 4b octets instead; b: time step in 100 µs,
 * 255 = 9 s (a delta no feedback can carry) */
static void fuzz_script(const uint8_t *data, size_t size)
{
	struct twcc *t = NULL;
	if (size < 2 || twcc_alloc(&t))
		return;
	uint16_t top = (uint16_t)(data[0] << 8 | data[1]);
	uint64_t now = 1000000;
	fuzz_ntouched = 0;
	for (size_t i = 2; i + 1 < size && fuzz_ntouched < FUZZ_MAX_OPS; i += 2) {
		uint8_t a = data[i], b = data[i + 1];
		now += b == 255 ? 9000000u : b * 100u;
		if ((a & 3) == 3) {
			fuzz_drain(t, 32 + 4u * b, now);
			continue;
		}
		int step = (int8_t)a >> 2;
		uint16_t seq = (uint16_t)(top + step);
		if (step > 0)
			top = seq;
		struct fuzz_entry *e = &fuzz_ledger[seq];
		if (!e->arrived) {
			*e = (struct fuzz_entry){ .us = (int64_t)now, .arrived = true };
			fuzz_touched[fuzz_ntouched++] = seq;
		}
		twcc_on_packet(t, seq, now);
		if (twcc_feedback_due(t, now))        /* as the worker does */
			fuzz_drain(t, 1100, now);
	}
	fuzz_drain(t, 1100, now);
	struct twcc_stats st;
	twcc_stats(t, &st);
	FUZZ_CHECK(st.dropped == 0 && st.too_old == 0 && st.packets == fuzz_ntouched);
	for (size_t i = 0; i < fuzz_ntouched; i++) {
		FUZZ_CHECK(fuzz_ledger[fuzz_touched[i]].reported == 1);
		fuzz_ledger[fuzz_touched[i]] = (struct fuzz_entry){ 0 };
	}
	mem_deref(t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_parse(data, size);
	fuzz_script(data, size);
	return 0;
}
