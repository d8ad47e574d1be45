/* rng: the benchmark generators' random numbers (not part of Herald).
 *
 * splitmix64: one word of state, so a generator per entry or per feed is
 * cheap, and a (seed, stream) pair always gives the same sequence: the
 * generated data are reproducible. Header-only; depends on libc only.
 */
#ifndef HERALD_BENCH_RNG_H
#define HERALD_BENCH_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s;
};

static inline uint64_t mix64(uint64_t x)
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

static inline uint64_t rng_next(struct rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return mix64(r->s);
}

static inline struct rng rng_seeded(uint64_t seed, uint64_t stream)
{
    return (struct rng){.s = mix64(seed ^ mix64(stream + 0x632be59bd9b4e019ULL))};
}

/* Uniform in [0, 1). */
static inline double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(rng_unit(r) * n);
}

#endif
