//! The results table (Markdown, printed and written to the results file).

use crate::budgets::{Budget, Facts};
use std::{fmt::Write, time::Duration};

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
    let _ = writeln!(
        out,
        "\nA client-side navigation from there to `/register` moves its HTML alone: {} bytes as served; the script, WASM and CSS stay loaded.",
        facts.weight.navigation
    );
    if let Some(script) = &facts.weight.key_script {
        let _ = writeln!(
            out,
            "\nThe security-key (WebAuthn) script is not part of it: only `/account` and `/login/2fa` (for an account with a key) load it, {} bytes as served ({}).",
            script.bytes, script.encoding
        );
    }
    let _ = writeln!(out, "\n## Budgets\n");
    for budget in budgets {
        let _ = writeln!(out, "- {}", budget.line());
    }
    out
}
