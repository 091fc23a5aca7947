//! The load benchmark. In one run on one machine: the two ceilings (a bare axum handler, raw
//! Argon2id hashes per second), then the release server on a fresh SQLite database, seeded through
//! its API, under each scenario; a table of the results as ratios to the ceilings, and the
//! budgets checked. Exits 1 when a budget is exceeded.
//!
//! `bench/run` builds everything and runs this; `bench/run --quick` is the short version CI runs.

mod argon2_ceiling;
mod budgets;
mod console;
mod load;
mod openid;
mod page_weight;
mod process;
mod report;
mod row;
mod scenarios;
mod seed;
mod through_caddy;
mod totp;

use clap::Parser;
use process::{Process, ServerSetup};
use row::Row;
use std::{path::PathBuf, sync::Arc, time::Duration};

#[derive(Parser)]
#[command(about = "Load benchmark and performance budgets for the two-factor sign-in server")]
struct Args {
    /// The short version (2 s per scenario) for CI: checks only the budgets that do not depend
    /// on the machine's speed (sizes, memory, every request answered); prints the ratios.
    #[arg(long)]
    quick: bool,
    /// The release server binary.
    #[arg(long, default_value = "target/release/server")]
    server: PathBuf,
    /// The site root the release build wrote (`target/site`).
    #[arg(long, default_value = "target/site")]
    site_root: PathBuf,
    /// Where to write the results (Markdown).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Runs only the scenarios whose name contains this (e.g. `sign-in`, `/api/me`), each with
    /// its ceilings, to profile one of them; writes nothing, and the others' budgets read failed.
    #[arg(long)]
    only: Option<String>,
}

/// Simulated clients for the throughput scenarios.
const CONNECTIONS: usize = 32;
/// Clients signing in at once: twice the server's hashing slots, so none sits idle.
const SIGN_IN_CONNECTIONS: usize = 16;
/// Slices each scenario is cut into in the full run, alternating with its ceiling.
const ROUNDS: u32 = 5;
/// The flood the peak-memory budget is measured under.
const FLOOD_CONNECTIONS: usize = 500;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let duration = Duration::from_secs(if args.quick { 2 } else { 10 });
    let bare_axum = std::env::current_exe()?.with_file_name("bare-axum");
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let mut rows = Vec::new();

    eprintln!("==> ceiling: raw Argon2id at the production parameters, one thread per core");
    let argon2_per_second = argon2_ceiling::hashes_per_second(duration)?;
    rows.push(Row::ceiling("Argon2id hashes (ceiling, sizes the sign-in scenario)", argon2_per_second));

    let bare = Process::start_bare_axum(&bare_axum, &[])?;
    let data = tempdir()?;
    let setup = ServerSetup { binary: args.server.clone(), site_root: args.site_root.clone(), data_dir: data.clone() };
    eprintln!("==> starting the release server on a fresh database in {}", data.display());
    let (mut server, first_start) = Process::start_server(&setup)?;
    let addr = server.addr;
    openid::register_client(&setup.binary, &data)?;
    std::thread::sleep(Duration::from_millis(300));
    let fresh_idle_rss = server.rss_mib();

    let mut weight = runtime.block_on(page_weight::measure(addr))?;

    let sign_in_users = (argon2_per_second * duration.as_secs_f64() * 1.25).ceil() as usize + SIGN_IN_CONNECTIONS;
    let session_users = CONNECTIONS;
    eprintln!("==> seeding {} users through the API ({sign_in_users} with 2FA)", sign_in_users + session_users);
    let users = runtime.block_on(seed::seed(addr, sign_in_users + session_users, 8, move |i| i < sign_in_users))?;
    let (two_factor_users, plain_users) = {
        let mut users = users;
        let plain = users.split_off(sign_in_users);
        (users, plain)
    };
    let sessions: Arc<Vec<String>> = Arc::new(plain_users.iter().map(|u| u.session.clone()).collect());
    weight.key_script = Some(runtime.block_on(page_weight::key_script(addr, &sessions[0]))?);
    let usernames: Arc<Vec<String>> =
        Arc::new(two_factor_users.iter().chain(&plain_users).map(|u| u.username.clone()).collect());

    // Each scenario alternates with its ceiling in slices: ceiling, scenario, ceiling, …,
    // ceiling. On a shared machine the speed drifts within a run (`docs/performance.md`), and a
    // ratio should compare like with like: it is the scenario's rate
    // over all its slices to the rate of the ceiling slices that bracket them.
    let rounds: u32 = if args.quick { 1 } else { ROUNDS };
    let slice = duration / rounds;
    let wanted = |name: &str| args.only.as_deref().is_none_or(|only| name.contains(only));
    let bare_slice =
        || runtime.block_on(load::drive(bare.addr, CONNECTIONS, slice, scenarios::get(bare.addr, "/", Arc::default())));
    let against_bare = |rows: &mut Vec<Row>, name: &str, connections: usize, work: load::Work| {
        let short = name.split(" (").next().unwrap_or(name);
        eprintln!(
            "==> {name}, {connections} connections, {rounds} slices of {:.1} s alternating with bare axum",
            slice.as_secs_f64()
        );
        let mut ceiling = load::Stats::default();
        bare.reset_peak();
        server.reset_peak();
        let stats = alternate(
            rounds,
            || ceiling.add_slice(bare_slice()),
            || runtime.block_on(load::drive(addr, connections, slice, work.clone())),
        );
        let ceiling = Row::measured(
            &format!("GET / bare axum (ceiling, {} slices around {short})", rounds + 1),
            CONNECTIONS,
            ceiling,
            bare.peak_rss_mib(),
            None,
        );
        let measured =
            Row::measured(name, connections, stats, server.peak_rss_mib(), Some(("bare axum", ceiling.per_second)));
        rows.extend([ceiling, measured]);
    };
    let oidc_tokens = Arc::new(runtime.block_on(openid::access_tokens(addr, &sessions))?);
    let app_passwords = Arc::new(runtime.block_on(scenarios::app_passwords(addr, &sessions))?);
    let scenarios_against_bare = [
        ("GET /login (anonymous)", CONNECTIONS, scenarios::get(addr, "/login", Arc::default())),
        ("POST /api/me (signed in)", CONNECTIONS, scenarios::api_me(addr, sessions.clone())),
        ("forward-auth check (signed in)", CONNECTIONS, scenarios::forward_auth(addr, sessions.clone())),
        (
            "forward-auth check (app password)",
            CONNECTIONS,
            scenarios::forward_auth_app_password(addr, app_passwords.clone()),
        ),
        ("GET /account (signed in)", CONNECTIONS, scenarios::get(addr, "/account", sessions.clone())),
        ("userinfo (valid token)", CONNECTIONS, openid::userinfo(addr, oidc_tokens.clone())),
    ];
    for (name, connections, work) in scenarios_against_bare.into_iter().filter(|(name, ..)| wanted(name)) {
        against_bare(&mut rows, name, connections, work);
    }

    // The console's people list with 10,000 accounts, for a signed-in administrator (the first
    // two-factor user, signed in with both factors by its setup).
    let console_name = "GET /admin, a search with 10,000 accounts (administrator)";
    if wanted(console_name) {
        eprintln!("==> seeding {} accounts for the console", console::PEOPLE);
        runtime.block_on(console::seed_people(&setup.binary, &data, &two_factor_users[0].username))?;
        let admin = Arc::new(vec![two_factor_users[0].session.clone()]);
        against_bare(&mut rows, console_name, CONNECTIONS, scenarios::get(addr, console::SEARCH_PAGE, admin));
    }

    // What the gate costs an app behind Caddy: reported, not budgeted.
    if wanted("through Caddy") {
        match through_caddy::Caddy::start(addr, bare.addr, &data)? {
            Some(caddy) => {
                eprintln!("==> GET / through Caddy, without and with the gate, {rounds} slices each");
                let measured =
                    through_caddy::measure(&runtime, &caddy, &server, CONNECTIONS, rounds, slice, sessions.clone());
                rows.extend(measured);
            }
            None => eprintln!("==> Caddy is not installed (./.ci/install-tools installs it): no rows through Caddy"),
        }
    }

    if wanted("full sign-in") {
        let name = "full sign-in (password + code)";
        eprintln!(
            "==> {name}, {SIGN_IN_CONNECTIONS} connections, {rounds} slices of {:.1} s alternating with raw Argon2id",
            slice.as_secs_f64()
        );
        let work = scenarios::full_sign_in(addr, Arc::new(two_factor_users));
        let mut ceiling_rates = Vec::new();
        server.reset_peak();
        let stats = alternate(
            rounds,
            || ceiling_rates.push(argon2_ceiling::hashes_per_second(slice).unwrap_or(0.0)),
            || runtime.block_on(load::drive(addr, SIGN_IN_CONNECTIONS, slice, work.clone())),
        );
        let peak = server.peak_rss_mib();
        // Equal slices: the rate over all of them is the mean of their rates.
        let ceiling = ceiling_rates.iter().sum::<f64>() / ceiling_rates.len() as f64;
        let (slowest, fastest) = ceiling_rates.iter().fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
        rows.push(Row::ceiling(
            &format!(
                "Argon2id hashes (ceiling, {} slices around the sign-ins: {slowest:.0} to {fastest:.0})",
                ceiling_rates.len()
            ),
            ceiling,
        ));
        rows.push(Row::measured(name, SIGN_IN_CONNECTIONS, stats, peak, Some(("Argon2id", ceiling))));
    }

    // Each exchange signs one ID token: its ceiling is raw RS256 signatures on the same cores.
    // The codes for a slice are made before it (untimed): half again what the ceiling just
    // measured could redeem, so the clients do not run out.
    if wanted("code exchange") {
        let name = "code exchange (token request, signed-in codes)";
        eprintln!(
            "==> {name}, {CONNECTIONS} connections, {rounds} slices of {:.1} s alternating with raw RS256",
            slice.as_secs_f64()
        );
        let codes = Arc::new(std::sync::Mutex::new(Vec::new()));
        let work = openid::code_exchange(addr, codes.clone());
        let ceiling_rates = std::cell::RefCell::new(Vec::new());
        server.reset_peak();
        let stats = alternate(
            rounds,
            || ceiling_rates.borrow_mut().push(openid::rs256_signatures_per_second(slice).unwrap_or(0.0)),
            || {
                let last_ceiling = ceiling_rates.borrow().last().copied().unwrap_or(0.0);
                let wanted = (last_ceiling * slice.as_secs_f64() * 1.5).ceil() as usize;
                match runtime.block_on(openid::make_codes(addr, CONNECTIONS, sessions.clone(), wanted)) {
                    Ok(made) => *codes.lock().unwrap_or_else(|e| e.into_inner()) = made,
                    Err(e) => eprintln!("    could not make the codes: {e:#}"),
                }
                runtime.block_on(load::drive(addr, CONNECTIONS, slice, work.clone()))
            },
        );
        let ceiling_rates = ceiling_rates.into_inner();
        let ceiling = ceiling_rates.iter().sum::<f64>() / ceiling_rates.len().max(1) as f64;
        rows.push(Row::ceiling(
            &format!("RS256 signatures (ceiling, {} slices around the code exchanges)", ceiling_rates.len()),
            ceiling,
        ));
        rows.push(Row::measured(name, CONNECTIONS, stats, server.peak_rss_mib(), Some(("RS256", ceiling))));

        // What HTTP and the load generator leave of that ceiling: bare axum signing once per
        // request, nothing else. No token request can do better than this row.
        let name = "POST /sign bare axum (one RS256 signature per request, nothing else)";
        eprintln!("==> {name}, {CONNECTIONS} connections, {rounds} slices alternating with raw RS256");
        let signer = Process::start_bare_axum(&bare_axum, &["--sign"])?;
        let ceiling_rates = std::cell::RefCell::new(Vec::new());
        let stats = alternate(
            rounds,
            || ceiling_rates.borrow_mut().push(openid::rs256_signatures_per_second(slice).unwrap_or(0.0)),
            || runtime.block_on(load::drive(signer.addr, CONNECTIONS, slice, openid::bare_signing(signer.addr))),
        );
        let ceiling_rates = ceiling_rates.into_inner();
        let ceiling = ceiling_rates.iter().sum::<f64>() / ceiling_rates.len().max(1) as f64;
        rows.push(Row::ceiling(
            &format!("RS256 signatures (ceiling, {} slices around POST /sign)", ceiling_rates.len()),
            ceiling,
        ));
        rows.push(Row::measured(name, CONNECTIONS, stats, signer.peak_rss_mib(), Some(("RS256", ceiling))));
    }

    // Mostly 429s once the throttles close: its ceiling is the HTTP stack's.
    if wanted("wrong-password flood") {
        against_bare(
            &mut rows,
            "wrong-password flood",
            FLOOD_CONNECTIONS,
            scenarios::wrong_password_flood(addr, usernames),
        );
    }
    drop(bare);
    server.stop();

    eprintln!("==> restarting the server on the existing database");
    let (restarted, restart) = Process::start_server(&setup)?;
    std::thread::sleep(Duration::from_millis(300));
    let idle_rss = restarted.rss_mib().max(fresh_idle_rss);
    drop(restarted);

    let facts = budgets::Facts { rows: &rows, idle_rss, start: restart, weight: &weight };
    let checked = budgets::check(&facts, args.quick);
    let text = report::render(&facts, first_start, &checked, args.quick, duration);
    println!("{text}");
    if let Some(out) = args.out.as_ref().filter(|_| args.only.is_none()) {
        std::fs::write(out, &text)?;
        eprintln!("results written to {}", out.display());
    }
    let _ = std::fs::remove_dir_all(&data);
    if checked.iter().any(|b| b.failed()) {
        eprintln!("\nBUDGET EXCEEDED: see the failed lines above");
        std::process::exit(1);
    }
    Ok(())
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("totp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

/// Runs `scenario` in `rounds` slices, with a slice of `ceiling` before the first and after each.
fn alternate(rounds: u32, mut ceiling: impl FnMut(), mut scenario: impl FnMut() -> load::Stats) -> load::Stats {
    ceiling();
    let mut stats = load::Stats::default();
    for _ in 0..rounds {
        stats.add_slice(scenario());
        ceiling();
    }
    stats
}
