/* clock: the monotonic clock every timer and timestamp uses. */
#ifndef BASE_CLOCK_H
#define BASE_CLOCK_H
#include <stdint.h>

uint64_t clock_us(void);      /* CLOCK_MONOTONIC in microseconds */
uint64_t clock_ms(void);
uint64_t clock_wall_ms(void); /* CLOCK_REALTIME in milliseconds, for records only */

#endif
