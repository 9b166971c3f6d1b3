//! numpy's legacy `RandomState` stream: the Mersenne Twister MT19937 with
//! numpy's double, polar Box–Muller normal and Marsaglia–Tsang gamma.
//!
//! scikit-learn starts NMF (the random projection of its randomized SVD)
//! and LDA (λ and every document's γ) from `RandomState(seed)`. Drawing the
//! same numbers in the same order makes a shoplens fit start where
//! scikit-learn's does, so the two can be compared fit for fit rather than
//! through the spread of their random starts.

const N: usize = 624;
const M: usize = 397;
const MATRIX_A: u32 = 0x9908_b0df;
const UPPER: u32 = 0x8000_0000;
const LOWER: u32 = 0x7fff_ffff;

pub struct LegacyRandom {
    state: [u32; N],
    pos: usize,
    /// The second normal of the last polar pair, served next.
    spare_normal: Option<f64>,
}

impl LegacyRandom {
    /// `RandomState(seed)`: a seed below 2³² seeds the generator directly
    /// (`init_genrand`); a larger one goes in as its two 32-bit words, low
    /// first (`init_by_array`, as numpy does for an array seed).
    pub fn new(seed: u64) -> Self {
        match u32::try_from(seed) {
            Ok(seed) => Self::from_u32(seed),
            Err(_) => Self::from_words(&[seed as u32, (seed >> 32) as u32]),
        }
    }

    fn from_u32(seed: u32) -> Self {
        let mut state = [0u32; N];
        state[0] = seed;
        for i in 1..N {
            let prev = state[i - 1];
            state[i] = 1_812_433_253u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self {
            state,
            pos: N,
            spare_normal: None,
        }
    }

    fn from_words(key: &[u32]) -> Self {
        let mut rng = Self::from_u32(19_650_218);
        let mt = &mut rng.state;
        let (mut i, mut j) = (1usize, 0usize);
        for _ in 0..N.max(key.len()) {
            let prev = mt[i - 1];
            mt[i] = (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_664_525))
                .wrapping_add(key[j])
                .wrapping_add(j as u32);
            i += 1;
            j += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
            if j >= key.len() {
                j = 0;
            }
        }
        for _ in 0..N - 1 {
            let prev = mt[i - 1];
            mt[i] =
                (mt[i] ^ (prev ^ (prev >> 30)).wrapping_mul(1_566_083_941)).wrapping_sub(i as u32);
            i += 1;
            if i >= N {
                mt[0] = mt[N - 1];
                i = 1;
            }
        }
        mt[0] = 0x8000_0000;
        rng
    }

    fn refill(&mut self) {
        let mt = &mut self.state;
        for k in 0..N {
            let y = (mt[k] & UPPER) | (mt[(k + 1) % N] & LOWER);
            let mag = if y & 1 == 1 { MATRIX_A } else { 0 };
            mt[k] = mt[(k + M) % N] ^ (y >> 1) ^ mag;
        }
        self.pos = 0;
    }

    pub fn next_u32(&mut self) -> u32 {
        if self.pos >= N {
            self.refill();
        }
        let mut y = self.state[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    /// A uniform double in [0, 1) from 53 random bits (`random_sample`).
    pub fn uniform(&mut self) -> f64 {
        let a = f64::from(self.next_u32() >> 5);
        let b = f64::from(self.next_u32() >> 6);
        (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// A standard normal (`standard_normal`): the polar method, whose pairs
    /// are served second value first.
    pub fn normal(&mut self) -> f64 {
        if let Some(spare) = self.spare_normal.take() {
            return spare;
        }
        loop {
            let x1 = 2.0 * self.uniform() - 1.0;
            let x2 = 2.0 * self.uniform() - 1.0;
            let r2 = x1 * x1 + x2 * x2;
            if r2 < 1.0 && r2 != 0.0 {
                let f = (-2.0 * r2.ln() / r2).sqrt();
                self.spare_normal = Some(f * x1);
                return f * x2;
            }
        }
    }

    /// Gamma(shape, scale) for shape > 1 (`gamma`): Marsaglia & Tsang's
    /// squeeze on the legacy normal. Smaller shapes, which no fit here
    /// draws, take numpy's other branches and are not offered.
    pub fn gamma(&mut self, shape: f64, scale: f64) -> f64 {
        debug_assert!(shape > 1.0, "only shapes above 1 are implemented");
        let b = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * b).sqrt();
        loop {
            let (x, mut v) = loop {
                let x = self.normal();
                let v = 1.0 + c * x;
                if v > 0.0 {
                    break (x, v);
                }
            };
            v = v * v * v;
            let u = self.uniform();
            if u < 1.0 - 0.0331 * (x * x) * (x * x) {
                return scale * b * v;
            }
            if u.ln() < 0.5 * x * x + b * (1.0 - v + v.ln()) {
                return scale * b * v;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_numpys_legacy_stream() {
        // numpy 2: RandomState(0).randint(0, 2**32, dtype=np.uint64)'s words
        // are MT19937's raw outputs; the others are printed with repr().
        let mut rng = LegacyRandom::new(0);
        assert_eq!(rng.next_u32(), 2_357_136_044);
        assert_eq!(rng.next_u32(), 2_546_248_239);
        let mut rng = LegacyRandom::new(0);
        assert_eq!(rng.uniform(), 0.548_813_503_927_324_8);
        let mut rng = LegacyRandom::new(0);
        assert_eq!(rng.normal(), 1.764_052_345_967_664);
        assert_eq!(rng.normal(), 0.400_157_208_367_223_3);
        // RandomState(0).gamma(100., 0.01, (2, 3)), then one normal.
        let mut rng = LegacyRandom::new(0);
        let drawn: Vec<f64> = (0..6).map(|_| rng.gamma(100.0, 0.01)).collect();
        let numpy = [
            1.183_354_237_999_984_2,
            1.037_151_768_734_62,
            1.194_978_503_884_998,
            0.902_250_840_751_856_7,
            0.986_397_471_962_440_1,
            1.038_222_565_195_075_8,
        ];
        assert_eq!(drawn, numpy);
        assert_eq!(rng.normal(), 0.761_037_725_146_993_4);
        // A seed past 32 bits: RandomState([5, 256]).
        let mut rng = LegacyRandom::new((256 << 32) | 5);
        assert_eq!(rng.uniform(), 0.504_380_297_041_844_3);
    }
}
