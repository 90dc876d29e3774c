//! NumPy-compatible seeding: `SeedSequence`, `PCG64` and the few `Generator`
//! draws the ported environments need.
//!
//! Gymnasium seeds an environment with
//! `np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed)))`; the
//! types here reproduce that chain bit for bit (NumPy 1.17+ through 2.x).
//! Written from the documented algorithm (see `tests/data/gymnasium/README.md`).

/// Number of 32-bit words in a `SeedSequence` pool (NumPy's default).
pub const POOL_SIZE: usize = 4;

const INIT_A: u32 = 0x43b0_d7e5;
const MULT_A: u32 = 0x931e_8875;
const INIT_B: u32 = 0x8b51_f9dd;
const MULT_B: u32 = 0x58f3_8ded;
const MIX_MULT_L: u32 = 0xca01_f9dd;
const MIX_MULT_R: u32 = 0x4973_f715;
const XSHIFT: u32 = 16;

/// NumPy's `SeedSequence` for an integer entropy value (no spawn key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedSequence {
    entropy: Vec<u32>,
    pool: [u32; POOL_SIZE],
}

impl SeedSequence {
    /// `SeedSequence(seed)` for a non-negative integer seed.
    pub fn new(seed: u64) -> Self {
        Self::from_u128(u128::from(seed))
    }

    /// `SeedSequence(seed)` for an integer seed of up to 128 bits.
    pub fn from_u128(seed: u128) -> Self {
        // NumPy splits the int into little-endian 32-bit words, as few as
        // needed (0 gives [0]).
        let mut words = Vec::with_capacity(4);
        let mut rest = seed;
        loop {
            words.push(rest as u32);
            rest >>= 32;
            if rest == 0 {
                break;
            }
        }
        Self::from_words(&words)
    }

    /// `SeedSequence` from entropy already split into 32-bit words
    /// (little-endian order; an empty slice is treated as `[0]`).
    pub fn from_words(words: &[u32]) -> Self {
        let entropy = if words.is_empty() {
            vec![0]
        } else {
            words.to_vec()
        };
        let mut h = INIT_A;
        let mut hashmix = |mut v: u32| {
            v ^= h;
            h = h.wrapping_mul(MULT_A);
            v = v.wrapping_mul(h);
            v ^ (v >> XSHIFT)
        };
        let mut pool = [0u32; POOL_SIZE];
        for (i, p) in pool.iter_mut().enumerate() {
            *p = hashmix(entropy.get(i).copied().unwrap_or(0));
        }
        for src in 0..POOL_SIZE {
            for dst in 0..POOL_SIZE {
                if src != dst {
                    let hashed = hashmix(pool[src]);
                    pool[dst] = mix(pool[dst], hashed);
                }
            }
        }
        for &word in entropy.iter().skip(POOL_SIZE) {
            for p in pool.iter_mut() {
                let hashed = hashmix(word);
                *p = mix(*p, hashed);
            }
        }
        Self { entropy, pool }
    }

    /// The entropy as little-endian 32-bit words.
    pub fn entropy_words(&self) -> &[u32] {
        &self.entropy
    }

    /// The mixed entropy pool (`SeedSequence.pool`).
    pub fn pool(&self) -> [u32; POOL_SIZE] {
        self.pool
    }

    /// `generate_state(n, np.uint32)`.
    pub fn generate_state_u32(&self, n: usize) -> Vec<u32> {
        let mut h = INIT_B;
        (0..n)
            .map(|i| {
                let mut v = self.pool[i % POOL_SIZE] ^ h;
                h = h.wrapping_mul(MULT_B);
                v = v.wrapping_mul(h);
                v ^ (v >> XSHIFT)
            })
            .collect()
    }

    /// `generate_state(n, np.uint64)`: word `i` is `u32[2i] | u32[2i+1] << 32`.
    pub fn generate_state_u64(&self, n: usize) -> Vec<u64> {
        self.generate_state_u32(2 * n)
            .chunks_exact(2)
            .map(|w| u64::from(w[0]) | (u64::from(w[1]) << 32))
            .collect()
    }
}

fn mix(x: u32, y: u32) -> u32 {
    let r = MIX_MULT_L
        .wrapping_mul(x)
        .wrapping_sub(MIX_MULT_R.wrapping_mul(y));
    r ^ (r >> XSHIFT)
}

const PCG_MULT: u128 = 0x2360_ED05_1FC6_5DA4_4385_DF64_9FCC_F645;

/// NumPy's `PCG64` bit generator: a 128-bit LCG with the XSL-RR output function.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pcg64 {
    state: u128,
    inc: u128,
}

impl Pcg64 {
    /// `PCG64(seed_seq)`: seeds from `seed_seq.generate_state(4, np.uint64)`.
    pub fn from_seed_sequence(seed_seq: &SeedSequence) -> Self {
        let w = seed_seq.generate_state_u64(4);
        let initstate = (u128::from(w[0]) << 64) | u128::from(w[1]);
        let initseq = (u128::from(w[2]) << 64) | u128::from(w[3]);
        let mut rng = Self {
            state: 0,
            inc: (initseq << 1) | 1,
        };
        rng.step();
        rng.state = rng.state.wrapping_add(initstate);
        rng.step();
        rng
    }

    /// The 128-bit LCG state (`bit_generator.state["state"]["state"]`).
    pub fn state(&self) -> u128 {
        self.state
    }

    /// The LCG increment (`bit_generator.state["state"]["inc"]`, always odd).
    pub fn inc(&self) -> u128 {
        self.inc
    }

    fn step(&mut self) {
        self.state = self.state.wrapping_mul(PCG_MULT).wrapping_add(self.inc);
    }

    /// Next 64-bit output (`random_raw()`): advance, then XSL-RR.
    pub fn next_u64(&mut self) -> u64 {
        self.step();
        let rot = (self.state >> 122) as u32;
        (((self.state >> 64) as u64) ^ (self.state as u64)).rotate_right(rot)
    }
}

/// NumPy's `Generator` on a [`Pcg64`], limited to the draws the ports need.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Generator {
    bit_generator: Pcg64,
}

impl Generator {
    /// `Generator(PCG64(SeedSequence(seed)))`, i.e. Gymnasium's `np_random(seed)`.
    pub fn from_seed(seed: u64) -> Self {
        Self::from_seed_sequence(&SeedSequence::new(seed))
    }

    /// `Generator(PCG64(seed_seq))`.
    pub fn from_seed_sequence(seed_seq: &SeedSequence) -> Self {
        Self {
            bit_generator: Pcg64::from_seed_sequence(seed_seq),
        }
    }

    /// A generator seeded with 128 bits of fresh OS entropy, as NumPy does for
    /// `SeedSequence(None)`. Falls back to std's randomly keyed hasher if the
    /// OS source fails.
    pub fn from_entropy() -> Self {
        let mut bytes = [0u8; 16];
        if getrandom::fill(&mut bytes).is_err() {
            use std::hash::{BuildHasher, Hasher};
            for chunk in bytes.chunks_exact_mut(8) {
                let h = std::collections::hash_map::RandomState::new()
                    .build_hasher()
                    .finish();
                chunk.copy_from_slice(&h.to_le_bytes());
            }
        }
        Self::from_seed_sequence(&SeedSequence::from_u128(u128::from_le_bytes(bytes)))
    }

    /// The underlying bit generator.
    pub fn bit_generator(&self) -> &Pcg64 {
        &self.bit_generator
    }

    /// `bit_generator.random_raw()`: the next raw 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.bit_generator.next_u64()
    }

    /// `random()`: a double in `[0, 1)`, `(next_u64 >> 11) * 2^-53`.
    pub fn random(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0)
    }

    /// `uniform(low, high)` = `low + (high - low) * random()`, in f64.
    pub fn uniform(&mut self, low: f64, high: f64) -> f64 {
        let range = high - low;
        low + range * self.random()
    }

    /// `standard_normal()`: one N(0, 1) draw with NumPy's ziggurat (bit-exact).
    pub fn standard_normal(&mut self) -> f64 {
        crate::ziggurat::standard_normal(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_words_are_minimal_little_endian() {
        assert_eq!(SeedSequence::new(0).entropy_words(), &[0]);
        assert_eq!(SeedSequence::new((1 << 32) + 5).entropy_words(), &[5, 1]);
        assert_eq!(
            SeedSequence::from_u128(1 << 96).entropy_words(),
            &[0, 0, 0, 1]
        );
        assert_eq!(SeedSequence::from_words(&[]), SeedSequence::new(0));
    }

    #[test]
    fn more_than_pool_size_words_change_the_pool() {
        let four = SeedSequence::from_words(&[1, 2, 3, 4]);
        let five = SeedSequence::from_words(&[1, 2, 3, 4, 5]);
        assert_ne!(four.pool(), five.pool());
    }

    #[test]
    fn random_is_in_unit_interval_and_uniform_in_bounds() {
        let mut g = Generator::from_seed(7);
        for _ in 0..1000 {
            let r = g.random();
            assert!((0.0..1.0).contains(&r));
            let u = g.uniform(-0.6, -0.4);
            assert!((-0.6..=-0.4).contains(&u));
        }
    }

    /// `Generator(PCG64(SeedSequence(s))).standard_normal(12)` from NumPy 2.4.6, as bits.
    #[test]
    fn standard_normal_matches_numpy() {
        let want: [(u64, [u64; 12]); 2] = [
            (
                0,
                [
                    4593697928905458753,
                    13817299636450051532,
                    4603943633965068397,
                    4592223270719509744,
                    13826372137178776557,
                    4600185537336103398,
                    4608551513289986108,
                    4606705766490553507,
                    13827885939891547944,
                    13831749807692892347,
                    13827161213674517755,
                    4586116522321841379,
                ],
            ),
            (
                7,
                [
                    4563315903938165848,
                    4599053341083512894,
                    13821982085345711448,
                    13829568994546385154,
                    13825234277487384210,
                    13830479214511182832,
                    4588828427635683813,
                    4608714612053122567,
                    13825910461146830117,
                    13827135997455295883,
                    4602495829816643754,
                    4600100724705758003,
                ],
            ),
        ];
        for (seed, bits) in want {
            let mut g = Generator::from_seed(seed);
            let got: Vec<u64> = (0..12).map(|_| g.standard_normal().to_bits()).collect();
            assert_eq!(got, bits, "seed {seed}");
        }
    }

    /// 100,000 draws of seed 42 cover the wedges and the tail (28 draws beyond r): NumPy 2.4.6
    /// gives this wrapping sum of their bits, 28 tail draws, and this next raw output.
    #[test]
    fn standard_normal_tail_and_wedges_match_numpy() {
        let mut g = Generator::from_seed(42);
        let (mut sum, mut tail) = (0u64, 0);
        for _ in 0..100_000 {
            let x = g.standard_normal();
            sum = sum.wrapping_add(x.to_bits());
            tail += usize::from(x.abs() > 3.654_152_885_361_009);
        }
        assert_eq!(sum, 12904355710691336511);
        assert_eq!(tail, 28);
        assert_eq!(g.next_u64(), 8584766798599249359);
    }

    #[test]
    fn entropy_generators_differ() {
        assert_ne!(Generator::from_entropy(), Generator::from_entropy());
    }
}
