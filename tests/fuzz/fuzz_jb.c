// fuzz-sources: media/jb.c media/reorder.c media/rtx_ring.c
/* jb and rtx_ring driven by a stream of operations (6 bytes each) with network-controlled
 * seqs and timestamps; checks the counters stay consistent and playout stays in order. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "media/jb.h"
#include "media/rtx_ring.h"

static void fuzz_check_stats(const struct jb *jb, uint32_t nslots)
{
	struct jb_stats st;
	jb_stats(jb, &st);
	if (st.received > st.expected || st.repaired > st.received || st.depth > nslots
	    || st.missing > nslots || st.lost != st.expected - st.received)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jb_config cfg;
	struct jb *jb = NULL;
	struct rtx_ring *r = NULL;
	jb_config_default(&cfg, 48000, size && data[0] & 1);
	cfg.nslots = 64;
	cfg.nack_max_gap = 32;
	cfg.slot_cap = 32;
	if (jb_alloc(&jb, &cfg) || rtx_ring_alloc(&r, 64, 64, 20000))
		abort();
	uint64_t now = 1000000;
	uint16_t seqs[16];
	uint8_t pkt[48];
	int64_t last_played = -1;
	for (size_t i = 1; i + 6 <= size; i += 6) {
		const uint8_t *op = data + i;
		uint16_t seq = (uint16_t)(op[1] << 8 | op[2]);
		uint32_t ts = (uint32_t)(op[3] << 8 | op[4]) * 97u;
		now += op[5] * 250u;
		const uint8_t *d;
		size_t len;
		struct jb_frame f;
		enum jb_pop k;
		switch (op[0] % 6) {
		case 0:
		case 1: {
			memset(pkt, op[2], sizeof(pkt));
			struct jb_pkt p = {.seq = seq, .ts = ts, .rtx = op[0] & 8, .data = pkt,
					   .len = 20u + (op[0] >> 4)};   /* over slot_cap at times */
			if ((unsigned)jb_put(jb, &p, now) > JB_DROP_BAD_SEQ)
				abort();
			break;
		}
		case 2:
			if (jb_nack_due(jb, now, seqs, 1 + op[1] % 16) > 16)
				abort();
			break;
		case 3:
			while ((k = jb_playout_pop(jb, now, &f)) != JB_POP_NONE) {
				if (f.due_us > now || (k == JB_POP_PACKET && (!f.data || !f.len)))
					abort();
				last_played = f.seq;
			}
			break;
		case 4:
			rtx_ring_put(r, seq, op, 6, now);
			if (rtx_ring_get(r, (uint16_t)(seq ^ op[5]), now, &d, &len) == 0 && len != 6)
				abort();
			break;
		default:
			if (op[1] == 0)
				jb_reset(jb);
			jb_set_rtt(jb, ts);
			rtx_ring_set_rtt(r, ts);
			break;
		}
		fuzz_check_stats(jb, cfg.nslots);
	}
	(void)last_played;
	jb_keyframe_needed(jb);
	mem_deref(jb);
	mem_deref(r);
	return 0;
}
