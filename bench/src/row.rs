//! One line of the results: a scenario measured (or a ceiling), and its ratio to its ceiling.

use crate::load::Stats;

pub struct Row {
    pub name: String,
    pub connections: usize,
    pub per_second: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub errors: u64,
    pub answers: String,
    pub peak_rss_mib: Option<f64>,
    /// The ceiling it is compared with, and the ratio to it.
    pub ratio: Option<(String, f64)>,
}

impl Row {
    pub fn ceiling(name: &str, per_second: f64) -> Self {
        Self {
            name: name.into(),
            connections: 0,
            per_second,
            p50_ms: None,
            p99_ms: None,
            errors: 0,
            answers: String::new(),
            peak_rss_mib: None,
            ratio: None,
        }
    }

    pub fn measured(
        name: &str,
        connections: usize,
        stats: Stats,
        peak_rss_mib: f64,
        ceiling: Option<(&str, f64)>,
    ) -> Self {
        let per_second = stats.per_second();
        let mut answers: Vec<String> = stats.statuses.iter().map(|(s, n)| format!("{s}×{n}")).collect();
        answers.extend(stats.wrong.iter().map(|(s, n)| format!("unexpected {s}×{n}")));
        answers.extend(stats.failures.iter().map(|(f, n)| format!("{f:?}×{n}")));
        Self {
            name: name.into(),
            connections,
            per_second,
            p50_ms: Some(stats.quantile_ms(0.50)),
            p99_ms: Some(stats.quantile_ms(0.99)),
            errors: stats.errors(),
            answers: answers.join(" "),
            peak_rss_mib: Some(peak_rss_mib),
            ratio: ceiling.map(|(name, value)| (name.to_owned(), per_second / value.max(1e-9))),
        }
    }

    pub fn ratio(&self) -> f64 {
        self.ratio.as_ref().map(|(_, r)| *r).unwrap_or(0.0)
    }
}
