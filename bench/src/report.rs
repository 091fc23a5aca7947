//! The results table (Markdown, printed and written to the results file).

use crate::{
    budgets::{Budget, Facts},
    load::Stats,
};
use std::{fmt::Write, time::Duration};

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

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("model name").map(|r| r.trim_start_matches([' ', '\t', ':']).to_owned()))
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores, {cpu}")
}

pub fn render(facts: &Facts, first_start: Duration, budgets: &[Budget], quick: bool, duration: Duration) -> String {
    let mut out = String::new();
    let kind = if quick { "quick run (CI)" } else { "full run" };
    let _ = writeln!(out, "# Benchmark results ({kind})\n");
    let _ = writeln!(
        out,
        "Written by `bench/run{}`. Machine: {}. {} s per scenario; the load generator (hyper, one keep-alive \
         connection per client) runs on the same machine. Each scenario alternates with its ceiling in slices (ceiling, \
         scenario, ceiling, …, ceiling: the row above it), so that both see the same drift in the machine's speed; \
         its ratio is its rate over all its slices to the ceiling's over all of its.\n",
        if quick { " --quick" } else { "" },
        machine(),
        duration.as_secs()
    );
    let _ = writeln!(
        out,
        "| scenario | conns | per s | p50 ms | p99 ms | errors | peak RSS MiB | ratio to ceiling | answers |"
    );
    let _ = writeln!(out, "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |");
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "–".into());
    for row in facts.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {} | {} | {} | {} |",
            row.name,
            if row.connections == 0 { "–".into() } else { row.connections.to_string() },
            row.per_second,
            ms(row.p50_ms),
            ms(row.p99_ms),
            if row.connections == 0 { "–".into() } else { row.errors.to_string() },
            row.peak_rss_mib.map(|v| format!("{v:.1}")).unwrap_or_else(|| "–".into()),
            row.ratio.as_ref().map(|(c, r)| format!("{:.0} % of {c}", r * 100.0)).unwrap_or_else(|| "–".into()),
            row.answers,
        );
    }
    let _ = writeln!(
        out,
        "\nStart-up to `/healthz` 200: {:.0} ms on a fresh database, {:.0} ms on the existing one. Idle RSS: {:.1} MiB.\n",
        first_start.as_secs_f64() * 1000.0,
        facts.start.as_secs_f64() * 1000.0,
        facts.idle_rss
    );
    let _ = writeln!(out, "## First visit to /login (bytes as served, `Accept-Encoding: br, gzip`)\n");
    let _ = writeln!(out, "| resource | bytes | encoding |\n| --- | ---: | --- |");
    for d in &facts.weight.downloads {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            d.path,
            d.bytes,
            if d.encoding.is_empty() { "identity" } else { &d.encoding }
        );
    }
    let _ = writeln!(out, "| render-blocking (HTML + CSS) | {} | |", facts.weight.render_blocking);
    let _ = writeln!(out, "| total | {} | |", facts.weight.total);
    let _ = writeln!(out, "\n## Budgets\n");
    for budget in budgets {
        let _ = writeln!(out, "- {}", budget.line());
    }
    out
}
