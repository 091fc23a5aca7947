//! A duration as operators write it — in the settings (`SESSION_MAX_AGE`) and in the access
//! rules (`max_age`): `45s`, `30m`, `12h`, `7d`, or a whole number of seconds. Never zero.

use std::time::Duration;

/// `text` as a duration, or `None` when it is not one (empty, zero, negative, a fraction, an
/// unknown unit, or too long to count in seconds).
pub fn parse(text: &str) -> Option<Duration> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().last()? {
        (i, c) if c.is_ascii_alphabetic() => (&text[..i], c),
        _ => (text, 's'),
    };
    let scale = match unit {
        's' => 1,
        'm' => 60,
        'h' => 60 * 60,
        'd' => 24 * 60 * 60,
        _ => return None,
    };
    let seconds = number.trim().parse::<u64>().ok()?.checked_mul(scale)?;
    (seconds > 0).then(|| Duration::from_secs(seconds))
}

/// `seconds` as an operator would write it: the largest unit that divides it (`1h`, `90m`, `45s`).
pub fn describe(seconds: u64) -> String {
    match seconds {
        s if s > 0 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s > 0 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_operators_write_them() {
        assert_eq!(parse("12h"), Some(Duration::from_secs(12 * 3600)));
        assert_eq!(parse("30m"), Some(Duration::from_secs(1800)));
        assert_eq!(parse("45s"), Some(Duration::from_secs(45)));
        assert_eq!(parse("7d"), Some(Duration::from_secs(7 * 86400)));
        assert_eq!(parse("90"), Some(Duration::from_secs(90)));
        for bad in ["", "0", "h", "12x", "-5", "1.5h", "99999999999999999999d"] {
            assert_eq!(parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_duration_is_described_in_its_largest_whole_unit() {
        assert_eq!(describe(3600), "1h");
        assert_eq!(describe(5400), "90m");
        assert_eq!(describe(45), "45s");
        assert_eq!(describe(2 * 86400), "2d");
    }
}
