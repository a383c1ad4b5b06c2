//! Durations (`"90s"`, `"1h30m"`, or integer seconds) and sizes
//! (`"64MiB"`, `"1GB"`, or integer bytes) as written in the registry.

use std::time::Duration;

/// What a duration should have looked like.
const DURATION: &str = "a duration such as \"90s\", \"10m\", \"1h30m\" or \"500ms\"";
/// What a size should have looked like.
const SIZE: &str = "a size such as \"64MiB\", \"1GB\" or a number of bytes";

/// Why a duration in the registry is not one; shown as what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// Empty, or not starting with a number.
    #[error("{DURATION}")]
    Malformed,
    /// A number without a unit after it.
    #[error("{DURATION} (a unit is missing after {number})")]
    MissingUnit {
        /// The number.
        number: u64,
    },
    /// A unit lab does not know.
    #[error("{DURATION} (unknown unit `{unit}`)")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
    },
    /// A unit repeated, or a smaller one before a larger one.
    #[error("{DURATION} (units must go from largest to smallest)")]
    OutOfOrder,
    /// More milliseconds than fit in 64 bits.
    #[error("{DURATION} (too large)")]
    TooLarge,
    /// An integer that is not a non-negative number of seconds.
    #[error("a non-negative number of seconds")]
    NegativeSeconds,
    /// Neither a string nor an integer.
    #[error("a duration such as \"90s\" or an integer of seconds")]
    WrongType,
}

/// Why a size in the registry is not one; shown as what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// Not starting with a number.
    #[error("{SIZE}")]
    Malformed,
    /// A unit lab does not know.
    #[error("{SIZE} (unknown unit `{unit}`)")]
    UnknownUnit {
        /// The unit as written.
        unit: String,
    },
    /// More bytes than fit in 64 bits.
    #[error("{SIZE} (too large)")]
    TooLarge,
    /// An integer that is not a non-negative number of bytes.
    #[error("a non-negative number of bytes")]
    NegativeBytes,
    /// Neither a string nor an integer.
    #[error("a size such as \"64MiB\" or an integer of bytes")]
    WrongType,
}

/// Parses `"90s"`, `"10m"`, `"1h30m"`, `"1500ms"`, `"2d"`; units may repeat
/// in descending order.
pub fn parse_duration(text: &str) -> Result<Duration, DurationError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DurationError::Malformed);
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    let mut last_rank: Option<usize> = None;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(DurationError::Malformed);
        }
        let number: u64 = rest[..digits]
            .parse()
            .map_err(|_| DurationError::Malformed)?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let (rank, millis) = duration_unit(unit, number)?;
        if last_rank.is_some_and(|last| rank <= last) {
            return Err(DurationError::OutOfOrder);
        }
        last_rank = Some(rank);
        let add = number.checked_mul(millis).ok_or(DurationError::TooLarge)?;
        total += Duration::from_millis(add);
    }
    Ok(total)
}

/// A duration unit's rank (largest first) and length in milliseconds.
fn duration_unit(unit: &str, number: u64) -> Result<(usize, u64), DurationError> {
    match unit {
        "d" => Ok((0, 86_400_000)),
        "h" => Ok((1, 3_600_000)),
        "m" | "min" => Ok((2, 60_000)),
        "s" => Ok((3, 1_000)),
        "ms" => Ok((4, 1)),
        "" => Err(DurationError::MissingUnit { number }),
        other => Err(DurationError::UnknownUnit {
            unit: other.to_string(),
        }),
    }
}

/// Parses `"64MiB"`, `"1GB"`, `"512KiB"`, `"100B"` or `"100"` into bytes.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    if digits == 0 {
        return Err(SizeError::Malformed);
    }
    let number: u64 = text[..digits].parse().map_err(|_| SizeError::Malformed)?;
    let multiplier: u64 = match text[digits..].trim_start() {
        "" | "B" => 1,
        "KB" | "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "TB" => 1_000_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        "TiB" => 1 << 40,
        other => {
            return Err(SizeError::UnknownUnit {
                unit: other.to_string(),
            });
        }
    };
    number.checked_mul(multiplier).ok_or(SizeError::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert!(parse_duration("").is_err());
        assert!(
            parse_duration("10").is_err(),
            "a bare number string has no unit"
        );
        assert!(parse_duration("5x").is_err());
        assert!(parse_duration("30s1m").is_err(), "units out of order");
        assert!(parse_duration("1m1m").is_err(), "unit repeated");
        assert!(parse_duration("-5s").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("64MiB"), Ok(64 << 20));
        assert_eq!(parse_size("1GB"), Ok(1_000_000_000));
        assert_eq!(parse_size("100"), Ok(100));
        assert_eq!(parse_size("3 KiB"), Ok(3072));
        assert!(parse_size("MiB").is_err());
        assert!(parse_size("5 parsecs").is_err());
        assert!(parse_size("99999999999999TiB").is_err());
    }
}
