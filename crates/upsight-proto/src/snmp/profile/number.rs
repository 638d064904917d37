//! Exact decimal numbers for scaled readings: `2287` tenths prints as `228.7`, never as
//! `228.70000000000002`, because the value stays an integer count of 10^-scale units.

use std::cmp::Ordering;
use std::fmt;

/// `units × 10^-scale`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decimal {
    units: i128,
    scale: u32,
}

/// The finest scale the tables use (hundredths, from `TimeTicks`).
const MAX_SCALE: u32 = 2;

impl Decimal {
    /// `units × 10^-scale`; `scale` above 2 is clamped to keep the arithmetic in range.
    pub(crate) fn new(units: i64, scale: u32) -> Self {
        Self {
            units: i128::from(units),
            scale: scale.min(MAX_SCALE),
        }
    }

    /// The value counted in units of 10^-`scale` (`scale` ≥ `self.scale`).
    fn units_at(self, scale: u32) -> i128 {
        self.units * 10_i128.pow(scale.saturating_sub(self.scale))
    }

    /// The exact sum.
    pub(crate) fn add(self, other: Self) -> Self {
        let scale = self.scale.max(other.scale);
        Self {
            units: self.units_at(scale).saturating_add(other.units_at(scale)),
            scale,
        }
    }

    /// The larger of the two.
    pub(crate) fn max(self, other: Self) -> Self {
        if other.cmp_value(self) == Ordering::Greater {
            other
        } else {
            self
        }
    }

    fn cmp_value(self, other: Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.units_at(scale).cmp(&other.units_at(scale))
    }
}

impl fmt::Display for Decimal {
    /// The shortest exact decimal: `2300` tenths is `230`, `2287` tenths is `228.7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.units < 0 { "-" } else { "" };
        let magnitude = self.units.unsigned_abs();
        let divisor = 10_u128.pow(self.scale);
        let whole = magnitude / divisor;
        let mut fraction = magnitude % divisor;
        let mut digits = self.scale as usize;
        while digits > 0 && fraction.is_multiple_of(10) {
            fraction /= 10;
            digits -= 1;
        }
        if digits == 0 {
            write!(f, "{sign}{whole}")
        } else {
            write!(f, "{sign}{whole}.{fraction:0digits$}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prints_the_shortest_exact_decimal() {
        let cases = [
            (2287, 1, "228.7"),
            (2300, 1, "230"),
            (120, 0, "120"),
            (36000, 0, "36000"),
            (1_952_600, 2, "19526"),
            (1_439_524_052, 2, "14395240.52"),
            (5, 2, "0.05"),
            (50, 2, "0.5"),
            (-15, 1, "-1.5"),
            (-1, 0, "-1"),
            (0, 1, "0"),
            (i64::MIN, 2, "-92233720368547758.08"),
        ];
        for (units, scale, text) in cases {
            assert_eq!(
                Decimal::new(units, scale).to_string(),
                text,
                "{units}e-{scale}"
            );
        }
    }

    #[test]
    fn adds_and_compares_across_scales() {
        let sum = Decimal::new(51, 1).add(Decimal::new(3600, 0));
        assert_eq!(sum.to_string(), "3605.1");
        assert_eq!(
            Decimal::new(215, 1).max(Decimal::new(21, 0)).to_string(),
            "21.5"
        );
        assert_eq!(
            Decimal::new(21, 0).max(Decimal::new(205, 1)).to_string(),
            "21"
        );
    }
}
