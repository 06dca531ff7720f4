//! xoshiro256** seeded through SplitMix64, with arithmetic-only `ln`/`exp` so the
//! draws are byte-identical on every platform.

use uuid::Uuid;

#[derive(Debug, Clone)]
pub(crate) struct Rng([u64; 4]);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        let mut x = seed;
        let mut splitmix = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([splitmix(), splitmix(), splitmix(), splitmix()])
    }

    pub(crate) fn u64(&mut self) -> u64 {
        let s = &mut self.0;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        (self.u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    /// Uniform integer in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.u64() % span) as i64
    }

    pub(crate) fn pick<T: Copy>(&mut self, weighted: &[(T, f64)]) -> T {
        let total: f64 = weighted.iter().map(|w| w.1).sum();
        let mut r = self.f64() * total;
        for &(v, w) in weighted {
            if r < w {
                return v;
            }
            r -= w;
        }
        weighted[weighted.len() - 1].0
    }

    /// Approximately standard normal (Irwin–Hall: 12 uniforms), arithmetic only.
    pub(crate) fn normal(&mut self) -> f64 {
        (0..12).map(|_| self.f64()).sum::<f64>() - 6.0
    }

    pub(crate) fn poisson(&mut self, lambda: f64) -> u64 {
        if lambda.is_nan() || lambda <= 0.0 {
            0
        } else if lambda < 30.0 {
            let limit = det_exp(-lambda);
            let mut k = 0;
            let mut p = 1.0;
            loop {
                p *= self.f64();
                if p <= limit {
                    return k;
                }
                k += 1;
            }
        } else {
            (lambda + lambda.sqrt() * self.normal()).round().max(0.0) as u64
        }
    }

    /// Exponentially distributed with the given mean.
    pub(crate) fn exp(&mut self, mean: f64) -> f64 {
        -mean * det_ln(1.0 - self.f64())
    }

    /// A version-4 UUID drawn from this generator.
    pub(crate) fn uuid(&mut self) -> Uuid {
        let v = (u128::from(self.u64()) << 64) | u128::from(self.u64());
        uuid::Builder::from_random_bytes(v.to_be_bytes()).into_uuid()
    }
}

// The platform's `ln`/`exp` may differ in the last bit between C libraries; these
// use only IEEE-exact arithmetic, so output is byte-identical on every platform.

/// Natural logarithm of a positive, normal `x`.
pub(crate) fn det_ln(x: f64) -> f64 {
    debug_assert!(x > 0.0 && x.is_normal());
    let bits = x.to_bits();
    let mut e = ((bits >> 52) & 0x7ff) as i64 - 1023;
    let mut m = f64::from_bits((bits & 0x000F_FFFF_FFFF_FFFF) | 0x3FF0_0000_0000_0000);
    if m > std::f64::consts::SQRT_2 {
        m /= 2.0;
        e += 1;
    }
    // ln m = 2 atanh(z), |z| ≤ 0.172.
    let z = (m - 1.0) / (m + 1.0);
    let z2 = z * z;
    let mut term = z;
    let mut sum = 0.0;
    for k in 0..20 {
        sum += term / f64::from(2 * k + 1);
        term *= z2;
    }
    2.0 * sum + e as f64 * std::f64::consts::LN_2
}

/// e^x for moderate `x` (|x| < 700).
pub(crate) fn det_exp(x: f64) -> f64 {
    let k = (x / std::f64::consts::LN_2).round();
    let r = x - k * std::f64::consts::LN_2;
    let mut term = 1.0;
    let mut sum = 1.0;
    for i in 1..25 {
        term *= r / f64::from(i);
        sum += term;
    }
    sum * f64::from_bits(((k as i64 + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // 0.70710678 probes the mantissa fold at √½ on purpose.
    #[allow(clippy::approx_constant)]
    fn deterministic_math_matches_std() {
        for &x in &[
            1e-16, 1e-9, 0.001, 0.3, 0.5, 0.70710678, 0.9999999, 1.0, 1.5, 2.0, 1234.5,
        ] {
            let (a, b) = (det_ln(x), x.ln());
            assert!(
                (a - b).abs() <= 1e-14 * b.abs().max(1.0),
                "ln {x}: {a} vs {b}"
            );
        }
        for &x in &[-30.0, -12.3, -1.0, -1e-9, 0.0, 0.5, 3.0, 40.0] {
            let (a, b) = (det_exp(x), x.exp());
            assert!((a - b).abs() <= 1e-14 * b, "exp {x}: {a} vs {b}");
        }
    }
}
