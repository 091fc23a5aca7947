//! The operator command line, run as the built binary.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Output, Stdio};

const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

fn server(args: &[&str], database: &std::path::Path, stdin: Option<&str>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .args(args)
        .env("DATABASE_URL", format!("sqlite://{}", database.display()))
        .env_remove("TOTP_ENCRYPTION_KEY")
        .env_remove("TOTP_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    if let Some(text) = stdin {
        child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn help_lists_every_subcommand_and_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let top = stdout(&server(&["--help"], &db, None));
    for word in ["serve", "migrate", "user", "otp", "DATABASE_URL", "TOTP_ENCRYPTION_KEY"] {
        assert!(top.contains(word), "{word} missing from --help:\n{top}");
    }
    let user = stdout(&server(&["user", "--help"], &db, None));
    for word in ["add", "list", "delete", "reset-2fa", "unlock"] {
        assert!(user.contains(word), "{word} missing from user --help");
    }
    let otp = stdout(&server(&["otp", "--help"], &db, None));
    for word in ["secret", "now", "verify", "hotp", "uri"] {
        assert!(otp.contains(word), "{word} missing from otp --help");
    }
}

#[test]
fn users_can_be_added_listed_unlocked_reset_and_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    assert_eq!(stdout(&server(&["migrate"], &db, None)).trim(), "migrations applied");
    let added = server(&["user", "add", "Alice"], &db, Some("correct horse\n"));
    assert!(added.status.success(), "{}", stderr(&added));
    assert_eq!(stdout(&added).trim(), "created Alice");

    let again = server(&["user", "add", "alice"], &db, Some("another one\n"));
    assert!(!again.status.success());
    assert!(stderr(&again).contains("taken"), "{}", stderr(&again));
    let short = server(&["user", "add", "bob"], &db, Some("short\n"));
    assert!(!short.status.success());
    assert!(stderr(&short).contains("8 characters"), "{}", stderr(&short));

    assert_eq!(stdout(&server(&["user", "list"], &db, None)).trim(), "Alice\t2fa=off\tlocked=no\tkeys=0");

    // Arrange 2FA on and codes locked, as if the person had enrolled and then guessed 20 times.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query("UPDATE users SET totp_secret = x'0102', second_factor_failures = 20, second_factor_failed_at = 0")
            .execute(&pool)
            .await
            .unwrap();
        // And two security keys (what is stored of a key is public: its id and public key).
        for id in ["k1", "k2"] {
            sqlx::query(
                "INSERT INTO security_keys (user_id, name, credential_id, credential, created_at)
                 SELECT id, $1, $1, '{}', 0 FROM users",
            )
            .bind(id)
            .execute(&pool)
            .await
            .unwrap();
        }
    });
    let listed: serde_json::Value =
        serde_json::from_str(&stdout(&server(&["user", "list", "--json"], &db, None))).unwrap();
    assert_eq!(listed[0]["username"], "Alice");
    assert_eq!(listed[0]["two_factor"], true);
    assert_eq!(listed[0]["codes_locked"], true);
    assert_eq!(listed[0]["security_keys"], 2);

    let unlocked = server(&["user", "unlock", "alice"], &db, None);
    assert!(unlocked.status.success(), "{}", stderr(&unlocked));
    assert_eq!(stdout(&server(&["user", "list"], &db, None)).trim(), "Alice\t2fa=on\tlocked=no\tkeys=2");

    let reset = server(&["user", "reset-2fa", "ALICE"], &db, None);
    assert!(reset.status.success(), "{}", stderr(&reset));
    // The keys go with the app's key: nothing of the second factor is left.
    assert_eq!(stdout(&server(&["user", "list"], &db, None)).trim(), "Alice\t2fa=off\tlocked=no\tkeys=0");
    let logged: Vec<String> = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query_scalar("SELECT kind FROM security_events ORDER BY id").fetch_all(&pool).await.unwrap()
    });
    assert!(logged.contains(&"two_factor.reset_by_operator".to_string()), "{logged:?}");
    assert!(logged.contains(&"throttling.cleared_by_operator".to_string()), "{logged:?}");

    let deleted = server(&["user", "delete", "alice"], &db, None);
    assert!(deleted.status.success());
    assert_eq!(stdout(&server(&["user", "list"], &db, None)).trim(), "");
}

#[test]
fn unknown_users_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    for command in ["delete", "reset-2fa", "unlock"] {
        let o = server(&["user", command, "nobody"], &db, None);
        assert!(!o.status.success(), "{command}");
        assert_eq!(stderr(&o).trim(), "error: no user named \"nobody\"", "{command}");
    }
}

#[test]
fn otp_helpers_match_the_rfc_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    // RFC 4226 Appendix D.
    for (counter, code) in [(0, "755224"), (1, "287082"), (9, "520489")] {
        let o = server(&["otp", "hotp", "--secret", RFC_SECRET, "--counter", &counter.to_string()], &db, None);
        assert_eq!(stdout(&o).trim(), code, "counter {counter}");
    }
    let secret = stdout(&server(&["otp", "secret"], &db, None)).trim().to_owned();
    assert_eq!(secret.len(), 32);
    assert!(secret.bytes().all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b)));
    let hex = stdout(&server(&["otp", "secret", "--hex"], &db, None)).trim().to_owned();
    assert_eq!(hex.len(), 40);
    let now = stdout(&server(&["otp", "now", "--secret", &secret], &db, None)).trim().to_owned();
    assert_eq!(now.len(), 6);
    let ok = server(&["otp", "verify", "--secret", &secret, &now], &db, None);
    assert!(ok.status.success());
    assert_eq!(stdout(&ok).trim(), "valid");
    let wrong = format!("{:06}", (now.parse::<u32>().unwrap() + 500_000) % 1_000_000);
    let bad = server(&["otp", "verify", "--secret", &secret, &wrong], &db, None);
    assert!(!bad.status.success());
    assert_eq!(stdout(&bad).trim(), "invalid");
    let uri = stdout(&server(
        &["otp", "uri", "--secret", RFC_SECRET, "--account", "alice", "--issuer", "Example"],
        &db,
        None,
    ));
    assert_eq!(
        uri.trim(),
        format!("otpauth://totp/Example:alice?secret={RFC_SECRET}&issuer=Example&algorithm=SHA1&digits=6&period=30")
    );
    // An 80-bit key of another service works too.
    assert!(server(&["otp", "now", "--secret", "jbsw y3dp ehpk 3pxp"], &db, None).status.success());
}

#[test]
fn malformed_secrets_and_codes_are_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let o = server(&["otp", "now", "--secret", "not base32!"], &db, None);
    assert!(!o.status.success());
    assert!(stderr(&o).starts_with("error: the secret is not base32"), "{}", stderr(&o));
    let o = server(&["otp", "verify", "--secret", RFC_SECRET, "12ab56"], &db, None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("6-digit"), "{}", stderr(&o));
    let o = server(&["otp", "hotp", "--secret", RFC_SECRET], &db, None);
    assert!(!o.status.success(), "--counter is required");
}

/// Keys can come from standard input, out of `ps` and shell history.
#[test]
fn otp_helpers_read_the_key_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    for (counter, code) in [(0, "755224"), (9, "520489")] {
        let o = server(
            &["otp", "hotp", "--secret", "-", "--counter", &counter.to_string()],
            &db,
            Some(&format!("{RFC_SECRET}\n")),
        );
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).trim(), code, "counter {counter}");
    }
    let now = stdout(&server(&["otp", "now", "--secret", "-"], &db, Some(RFC_SECRET))).trim().to_owned();
    let o = server(&["otp", "verify", "--secret", "-", &now], &db, Some(RFC_SECRET));
    assert_eq!(stdout(&o).trim(), "valid");
    let o = server(&["otp", "now", "--secret", "-"], &db, Some(""));
    assert!(!o.status.success(), "an empty standard input is no key");
}

/// A password piped to `user add` is read from standard input (on a
/// terminal it is asked for without echo, which a pipe cannot show).
#[test]
fn user_add_reads_the_password_from_a_pipe_and_never_from_the_arguments() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let o = server(&["user", "add", "alice"], &db, Some("correct horse\n"));
    assert!(o.status.success(), "{}", stderr(&o));
    let help = stdout(&server(&["user", "add", "--help"], &db, None));
    assert!(!help.contains("--password"), "no password option to leak into ps: {help}");
    assert!(help.contains("without echo"), "{help}");
}

/// The server's own files are made private, folders and all.
#[cfg(unix)]
#[test]
fn the_database_and_key_file_are_created_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("fresh").join("app.db");
    assert!(server(&["migrate"], &db, None).status.success());
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(db.parent().unwrap()), 0o700);
}

/// Started on PostgreSQL without `TOTP_ENCRYPTION_KEY` in a fresh folder, the
/// server makes `data/` (0700) and its key file (0600) instead of stopping.
#[cfg(unix)]
#[test]
fn on_postgres_without_a_key_the_key_file_and_its_folder_are_made() {
    use std::os::unix::fs::PermissionsExt;
    let Some(admin) = std::env::var("TEST_POSTGRES_URL").ok().filter(|v| !v.is_empty()) else { return };
    let name = format!("totp_cli_{}", std::process::id());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await.unwrap();
        sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut conn).await.unwrap();
        sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut conn).await.unwrap();
    });
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .current_dir(dir.path())
        .env("DATABASE_URL", format!("{base}/{name}"))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env_remove("TOTP_ENCRYPTION_KEY")
        .env_remove("TOTP_KEY_FILE")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let key = dir.path().join("data").join("totp.key");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !key.exists() && std::time::Instant::now() < deadline && child.try_wait().unwrap().is_none() {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    assert!(running, "the server stopped: {}", String::from_utf8_lossy(&output.stderr));
    assert_eq!(std::fs::metadata(&key).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::metadata(key.parent().unwrap()).unwrap().permissions().mode() & 0o777, 0o700);
}

/// On a terminal, `user add` asks for the password and does not echo it.
/// (`script` gives the command a pseudo-terminal; the password is typed once the prompt shows.)
#[cfg(unix)]
#[test]
fn user_add_asks_for_the_password_on_a_terminal_without_echo() {
    use std::io::Read;
    use std::sync::{Arc, Mutex};
    if Command::new("script").arg("--version").output().is_err() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let command = format!("{} user add alice", env!("CARGO_BIN_EXE_server"));
    let mut child = Command::new("script")
        .args(["-q", "-e", "-c", &command, "/dev/null"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env_remove("TOTP_ENCRYPTION_KEY")
        .env_remove("TOTP_KEY_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let mut stdout = child.stdout.take().unwrap();
    let reader = {
        let seen = seen.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 256];
            while let Ok(n) = stdout.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                seen.lock().unwrap().extend_from_slice(&buffer[..n]);
            }
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !String::from_utf8_lossy(&seen.lock().unwrap()).contains("Password") {
        assert!(std::time::Instant::now() < deadline, "no prompt");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"correct horse battery\n").unwrap();
    let status = child.wait().unwrap();
    drop(stdin);
    reader.join().unwrap();
    let output = String::from_utf8_lossy(&seen.lock().unwrap()).into_owned();
    assert!(status.success(), "{output}");
    assert!(output.contains("created alice"), "{output}");
    assert!(!output.contains("correct horse battery"), "the password was echoed: {output}");
}

/// The README's configuration table and `server --help` come from one definition (clap arguments
/// with `env`): every variable the server reads is in both, with the same default.
#[test]
fn the_readme_lists_every_setting_of_help_with_its_default() {
    let dir = tempfile::tempdir().unwrap();
    let help = stdout(&server(&["--help"], &dir.path().join("app.db"), None));
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let table: std::collections::BTreeMap<String, String> = readme
        .lines()
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let name = cells.first()?.strip_prefix("| `")?.strip_suffix('`')?;
            name.chars().all(|c| c.is_ascii_uppercase() || c == '_').then(|| (name.to_owned(), cells[1].to_owned()))
        })
        .collect();
    // Each option's help: `[env: NAME=...]`, then its `[default: ...]` if any, in one entry.
    let mut in_help = std::collections::BTreeMap::new();
    for entry in help.split("\n      --").skip(1) {
        let Some(name) = entry.split("[env: ").nth(1).and_then(|rest| rest.split(['=', ']']).next()) else { continue };
        let default = entry.split("[default: ").nth(1).and_then(|rest| rest.split(']').next()).map(str::to_owned);
        in_help.insert(name.to_owned(), default);
    }
    let help_names: Vec<&String> = in_help.keys().collect();
    let table_names: Vec<&String> = table.keys().filter(|name| *name != "RUST_LOG").collect();
    assert_eq!(help_names, table_names, "the README's table and --help list different variables");
    for (name, default) in &in_help {
        if let Some(default) = default {
            assert!(
                table[name].contains(default.as_str()),
                "{name}: --help says {default}, the README {}",
                table[name]
            );
        }
    }
}

/// A rules file that cannot be used stops the server (and every command) with one line naming
/// the rule at fault.
#[test]
fn a_bad_access_rules_file_stops_start_up_naming_the_rule() {
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("rules.toml");
    std::fs::write(&rules, "[[rules]]\ndomain = \"a.example.com\"\npolicy = \"bypass\"\n\n[[rules]]\ndomain = \"b.example.com\"\nresources = [\"(unclosed\"]\npolicy = \"deny\"\n").unwrap();
    let rules_arg = rules.display().to_string();
    let o = server(&["--access-rules-file", &rules_arg, "migrate"], &dir.path().join("app.db"), None);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("access rule 2: the resource pattern"), "{}", stderr(&o));
    assert_eq!(stderr(&o).trim().lines().count(), 1, "one line: {}", stderr(&o));
    std::fs::write(&rules, "default_policy = \"sometimes\"\n").unwrap();
    let o = server(&["--access-rules-file", &rules_arg, "migrate"], &dir.path().join("app.db"), None);
    assert!(!o.status.success() && stderr(&o).contains("ACCESS_RULES_FILE"), "{}", stderr(&o));
}

/// The operator puts an account in groups and sets its display name and email.
#[test]
fn groups_and_profile_are_set_by_the_operator() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    assert!(server(&["user", "add", "alice"], &db, Some("correct horse battery\n")).status.success());
    let o = server(&["user", "groups", "alice", "admins,dev"], &db, None);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "alice is in admins, dev");
    let o = server(&["user", "groups", "alice", "bad group"], &db, None);
    assert!(!o.status.success() && stderr(&o).contains("not a group name"), "{}", stderr(&o));
    let o = server(&["user", "set", "alice", "--name", "Alice Liddell", "--email", "alice@example.test"], &db, None);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = server(&["user", "set", "alice", "--email", "nope"], &db, None);
    assert!(!o.status.success() && stderr(&o).contains("email"), "{}", stderr(&o));
    assert_eq!(stdout(&server(&["user", "groups", "alice", ""], &db, None)).trim(), "alice is in no group");
}

/// An address belongs to one account only, compared without regard to case: the operator is told
/// which account holds it, and nothing is changed.
#[test]
fn the_operator_cannot_give_two_accounts_one_email_address() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    for name in ["alice", "bob"] {
        assert!(server(&["user", "add", name], &db, Some("correct horse battery\n")).status.success());
    }
    assert!(server(&["user", "set", "alice", "--email", "Alice@Example.test"], &db, None).status.success());
    let o = server(&["user", "set", "bob", "--name", "Bob", "--email", "alice@example.TEST"], &db, None);
    assert!(!o.status.success(), "{}", stdout(&o));
    let said = stderr(&o);
    assert!(said.contains("\"alice@example.TEST\" already belongs to alice"), "{said}");
    assert!(server(&["user", "set", "alice", "--email", "alice@example.test"], &db, None).status.success(), "its own");
    let rt = tokio::runtime::Runtime::new().unwrap();
    let stored: Vec<(String, Option<String>, Option<String>)> = rt.block_on(async {
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query_as("SELECT username, display_name, email FROM users ORDER BY username")
            .fetch_all(&pool)
            .await
            .unwrap()
    });
    assert_eq!(
        stored,
        [("alice".into(), None, Some("alice@example.test".into())), ("bob".into(), None, None)],
        "bob unchanged, even his name"
    );
}

/// A plain `http://` redirect URI (or post-logout one) would carry codes unencrypted: it is
/// refused unless its host is a loopback address (RFC 8252 §7.3) or the operator passes
/// `--allow-insecure-http`; the refusal names the URI and the flag, and registers nothing.
#[test]
fn oidc_client_add_refuses_plain_http_off_loopback_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let add = |client: &str, extra: &[&str]| {
        let mut args = vec!["oidc", "client", "add", client];
        args.extend_from_slice(extra);
        server(&args, &db, None)
    };
    for (flag, uri) in [
        ("--redirect-uri", "http://app.example.test/cb"),
        ("--post-logout-redirect-uri", "http://app.example.test/bye"),
        ("--redirect-uri", "http://127.0.0.1.example.test/cb"),
    ] {
        let mut extra = vec!["--redirect-uri", "https://app.example.test/cb"];
        if flag == "--redirect-uri" {
            extra = vec![flag, uri];
        } else {
            extra.extend([flag, uri]);
        }
        let o = add("plain", &extra);
        assert!(!o.status.success(), "{uri}: {}", stdout(&o));
        let said = stderr(&o);
        assert!(said.contains(uri) && said.contains("--allow-insecure-http"), "{uri}: {said}");
    }
    assert!(!stdout(&server(&["oidc", "client", "list"], &db, None)).contains("plain"), "nothing registered");
    for (client, uri) in
        [("v4", "http://127.0.0.1:8080/cb"), ("v6", "http://[::1]:8080/cb"), ("name", "http://localhost/cb")]
    {
        let o = add(client, &["--redirect-uri", uri, "--post-logout-redirect-uri", uri]);
        assert!(o.status.success(), "{uri}: {}", stderr(&o));
    }
    let o = add(
        "allowed",
        &[
            "--redirect-uri",
            "http://app.example.test/cb",
            "--post-logout-redirect-uri",
            "http://app.example.test/bye",
            "--allow-insecure-http",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
}

/// `server authz check` says which rule matches a request and what it decides, with what the
/// rule asks of the sign-in (`max_age`, `factor`).
#[test]
fn authz_check_names_the_rule_and_the_decision() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "default_policy = \"deny\"\n\n[[rules]]\ndomain = \"status.example.com\"\npolicy = \"bypass\"\n\n[[rules]]\ndomain = \"fresh.example.com\"\nmax_age = \"1h\"\npolicy = \"two_factor\"\n\n[[rules]]\ndomain = \"keys.example.com\"\nmax_age = 1800\nfactor = \"key\"\npolicy = \"one_factor\"\n\n[[rules]]\ndomain = \"*.example.com\"\nsubject = \"group:admins\"\npolicy = \"two_factor\"\n",
    )
    .unwrap();
    let rules = rules.display().to_string();
    let check = |args: &[&str]| {
        let mut all = vec!["--access-rules-file", rules.as_str(), "authz", "check"];
        all.extend_from_slice(args);
        server(&all, &db, None)
    };
    let o = check(&["https://status.example.com/health"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o), "matched: rule 1 (status.example.com)\ndecision: bypass\n");
    assert!(stdout(&check(&["https://app.example.com/"])).contains("decision: sign in first"));
    assert!(server(&["--access-rules-file", &rules, "user", "add", "alice"], &db, Some("correct horse battery\n"))
        .status
        .success());
    assert!(server(&["--access-rules-file", &rules, "user", "groups", "alice", "admins"], &db, None).status.success());
    assert_eq!(
        stdout(&check(&["https://app.example.com/", "--user", "alice", "--method", "post"])),
        "matched: rule 4 (*.example.com)\ndecision: two_factor\n"
    );
    // What a rule asks of the sign-in is said with its policy.
    assert_eq!(
        stdout(&check(&["https://fresh.example.com/"])),
        "matched: rule 2 (fresh.example.com)\ndecision: two_factor, and a sign-in within 1h\n"
    );
    assert_eq!(
        stdout(&check(&["https://keys.example.com/", "--user", "alice"])),
        "matched: rule 3 (keys.example.com)\ndecision: one_factor, and a sign-in within 30m with a security key or passkey\n"
    );
    assert!(stdout(&check(&["https://other.test/"])).contains("default_policy\ndecision: deny"));
    let o = check(&["not a url"]);
    assert!(!o.status.success() && stderr(&o).contains("not an absolute"), "{}", stderr(&o));
}

/// `server authz check --from ADDRESS`: the decision for a request from that address (rules
/// with `networks`, and the defaults of named networks); without it the address is unknown and
/// no network matches; a bad address or an unknown network name is said in one line.
#[test]
fn authz_check_from_an_address_judges_the_networks() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let rules = dir.path().join("rules.toml");
    std::fs::write(
        &rules,
        "default_policy = \"two_factor\"\n\n[networks]\nlan = [\"192.168.0.0/16\", \"fd00::/8\"]\n\n[default_policy_for_networks]\nlan = \"one_factor\"\n\n[[rules]]\ndomain = \"media.example.com\"\nnetworks = [\"lan\", \"10.8.0.0/24\"]\npolicy = \"bypass\"\n",
    )
    .unwrap();
    let rules = rules.display().to_string();
    let check = |args: &[&str]| {
        let mut all = vec!["--access-rules-file", rules.as_str(), "authz", "check"];
        all.extend_from_slice(args);
        server(&all, &db, None)
    };
    let lan_rule = "matched: rule 1 (media.example.com)\ndecision: bypass\n";
    for inside in ["192.168.1.5", "fd00::5", "10.8.0.9"] {
        let o = check(&["https://media.example.com/", "--from", inside]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o), lan_rule, "{inside}");
    }
    let outside = "matched: no rule: default_policy\ndecision: two_factor\n";
    assert_eq!(stdout(&check(&["https://media.example.com/", "--from", "198.51.100.7"])), outside);
    assert_eq!(stdout(&check(&["https://media.example.com/"])), outside, "no address: no network");
    assert_eq!(
        stdout(&check(&["https://other.example.com/", "--from", "192.168.1.5"])),
        "matched: no rule: default_policy_for_networks lan\ndecision: one_factor\n"
    );
    let o = check(&["https://media.example.com/", "--from", "192.168.1"]);
    assert!(!o.status.success() && stderr(&o).contains("is not an IP address"), "{}", stderr(&o));

    std::fs::write(&rules, "[[rules]]\ndomain = \"a.example.com\"\nnetworks = [\"lan\"]\npolicy = \"bypass\"\n")
        .unwrap();
    let o = check(&["https://a.example.com/", "--from", "192.168.1.5"]);
    assert!(!o.status.success());
    let said = stderr(&o);
    assert!(said.contains("access rule 1: the network \"lan\" is neither an address range"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "one line: {said}");
    std::fs::write(&rules, "[networks]\nlan = [\"192.168.0.0/33\"]\n").unwrap();
    let said = stderr(&check(&["https://a.example.com/"]));
    assert!(said.contains("[networks] lan: \"192.168.0.0/33\" is not an address range"), "{said}");
    assert_eq!(said.trim().lines().count(), 1, "one line: {said}");
}

/// `server oidc client add|list|delete` and `rotate-key`: the secret is printed once, `list`
/// never prints it, bad input is one clear line.
#[test]
fn oidc_clients_are_managed_from_the_command_line_and_secrets_shown_once() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let o =
        server(&["oidc", "client", "add", "grafana", "--redirect-uri", "https://grafana.example.test/cb"], &db, None);
    assert!(o.status.success(), "{}", stderr(&o));
    let added = stdout(&o);
    let secret = added.lines().find_map(|l| l.strip_prefix("client_secret: ")).expect("the secret, once").to_owned();
    assert_eq!(secret.len(), 64);
    let o = server(
        &[
            "oidc",
            "client",
            "add",
            "spa",
            "--public",
            "--policy",
            "one_factor",
            "--redirect-uri",
            "http://localhost:5173/cb",
        ],
        &db,
        None,
    );
    assert!(o.status.success() && !stdout(&o).contains("client_secret"), "{}", stdout(&o));
    let listed = stdout(&server(&["oidc", "client", "list"], &db, None));
    assert!(
        listed.contains("grafana\tconfidential\ttwo_factor") && listed.contains("spa\tpublic\tone_factor"),
        "{listed}"
    );
    assert!(!listed.contains(&secret), "list never prints a secret");
    // The flag repeated (the contract's `[--redirect-uri URI…]`), the client id last or first.
    let o = server(
        &[
            "oidc",
            "client",
            "add",
            "--redirect-uri",
            "https://wiki.example.test/a",
            "--post-logout-redirect-uri",
            "https://wiki.example.test/bye",
            "--redirect-uri",
            "https://wiki.example.test/b",
            "--post-logout-redirect-uri",
            "https://wiki.example.test/later",
            "wiki",
        ],
        &db,
        None,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = stdout(&server(&["oidc", "client", "list"], &db, None));
    assert!(
        listed.contains("wiki\tconfidential\ttwo_factor\thttps://wiki.example.test/a https://wiki.example.test/b"),
        "{listed}"
    );
    for (args, says) in [
        (vec!["oidc", "client", "add", "grafana", "--redirect-uri", "https://x.test/cb"], "already a client"),
        (vec!["oidc", "client", "add", "x", "--redirect-uri", "not a url"], "not a redirect URI"),
        (vec!["oidc", "client", "add", "x", "--redirect-uri", "https://x.test/cb", "--policy", "three"], "--policy"),
        (vec!["oidc", "client", "delete", "nobody"], "no client"),
    ] {
        let o = server(&args, &db, None);
        assert!(!o.status.success() && stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    let o = server(&["oidc", "rotate-key"], &db, None);
    assert!(o.status.success() && stdout(&o).contains("new signing key"), "{}", stderr(&o));
    assert!(server(&["oidc", "client", "delete", "grafana"], &db, None).status.success());
    assert!(!stdout(&server(&["oidc", "client", "list"], &db, None)).contains("grafana"));
}

/// `server oidc client add --groups`, `groups`, `rotate-secret` and `policy`: what is set is what
/// `list` shows (the groups last, `(everyone)` for none); an empty list clears the groups; a new
/// secret is printed once and differs; bad input is one clear line and changes nothing.
#[test]
fn oidc_client_groups_secret_and_policy_round_trip_through_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let run = |args: &[&str]| {
        let mut all = vec!["oidc", "client"];
        all.extend_from_slice(args);
        server(&all, &db, None)
    };
    let listed = || stdout(&run(&["list"]));
    let o = run(&["add", "wiki", "--redirect-uri", "https://wiki.example.test/cb", "--groups", "wiki-users, staff"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let first = stdout(&o).lines().find_map(|l| l.strip_prefix("client_secret: ")).unwrap().to_owned();
    let o = run(&["add", "spa", "--public", "--redirect-uri", "http://localhost:5173/cb"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let wiki_line = |text: &str| text.lines().find(|l| l.starts_with("wiki\t")).unwrap_or_default().to_owned();
    assert_eq!(
        wiki_line(&listed()),
        "wiki\tconfidential\ttwo_factor\thttps://wiki.example.test/cb\twiki\twiki-users,staff"
    );
    assert!(listed().lines().any(|l| l.starts_with("spa\t") && l.ends_with("\t(everyone)")), "{}", listed());

    let o = run(&["groups", "wiki", "admins"]);
    assert!(o.status.success() && stdout(&o).contains("open to admins"), "{}", stderr(&o));
    assert!(wiki_line(&listed()).ends_with("\twiki\tadmins"), "{}", listed());
    let o = run(&["groups", "wiki", ""]);
    assert!(o.status.success() && stdout(&o).contains("open to (everyone)"), "{}", stderr(&o));
    assert!(wiki_line(&listed()).ends_with("\twiki\t(everyone)"), "{}", listed());

    let o = run(&["policy", "wiki", "one_factor"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(wiki_line(&listed()).starts_with("wiki\tconfidential\tone_factor\t"), "{}", listed());

    let o = run(&["rotate-secret", "wiki"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let second = stdout(&o).lines().find_map(|l| l.strip_prefix("client_secret: ")).expect("the new secret").to_owned();
    assert_eq!(second.len(), 64);
    assert_ne!(second, first);
    assert!(!listed().contains(&second), "list never prints a secret");

    let before = listed();
    for (args, says) in [
        (vec!["groups", "wiki", "ad mins"], "not a group name"),
        (vec!["groups", "nobody", "admins"], "no client"),
        (vec!["add", "x", "--redirect-uri", "https://x.test/cb", "--groups", "a b"], "not a group name"),
        (vec!["rotate-secret", "spa"], "public client"),
        (vec!["rotate-secret", "nobody"], "no client"),
        (vec!["policy", "wiki", "three"], "--policy"),
        (vec!["policy", "nobody", "one_factor"], "no client"),
    ] {
        let o = run(&args);
        assert!(!o.status.success() && stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(listed(), before, "refusals change nothing");
}

/// `server oidc client add --grant client_credentials --scope …` (docs/contract/oidc.md, "Machine
/// clients"): a confidential client without redirect URIs, its secret printed once; `list` shows
/// its grants and scopes (and `-` for what only people's apps have); what does not fit the grant
/// is one clear line and registers nothing.
#[test]
fn machine_clients_are_registered_and_listed_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let run = |args: &[&str]| {
        let mut all = vec!["oidc", "client"];
        all.extend_from_slice(args);
        server(&all, &db, None)
    };
    let o = run(&["add", "backup", "--grant", "client_credentials", "--scope", "backup:read", "--scope", "metrics"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let secret = stdout(&o).lines().find_map(|l| l.strip_prefix("client_secret: ")).expect("a secret").to_owned();
    assert_eq!(secret.len(), 64);
    let o = run(&[
        "add",
        "grafana",
        "--grant",
        "authorization_code",
        "--grant",
        "client_credentials",
        "--redirect-uri",
        "https://grafana.example.test/cb",
        "--scope",
        "dashboards",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = run(&["add", "wiki", "--redirect-uri", "https://wiki.example.test/cb"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let listed = stdout(&run(&["list"]));
    let line = |id: &str| listed.lines().find(|l| l.starts_with(&format!("{id}\t"))).unwrap_or_default().to_owned();
    assert_eq!(line("backup"), "backup\tconfidential\t-\t-\tbackup\t-\tclient_credentials\tbackup:read metrics");
    assert_eq!(
        line("grafana"),
        "grafana\tconfidential\ttwo_factor\thttps://grafana.example.test/cb\tgrafana\t(everyone)\t\
         authorization_code,client_credentials\tdashboards"
    );
    assert_eq!(
        line("wiki"),
        "wiki\tconfidential\ttwo_factor\thttps://wiki.example.test/cb\twiki\t(everyone)",
        "as before"
    );
    assert!(!listed.contains(&secret), "list never prints a secret");

    let before = stdout(&run(&["list"]));
    for (args, says) in [
        (vec!["add", "x", "--grant", "client_credentials", "--public"], "confidential"),
        (vec!["add", "x", "--grant", "client_credentials", "--redirect-uri", "https://x.test/cb"], "no redirect URIs"),
        (vec!["add", "x", "--grant", "client_credentials", "--groups", "admins"], "no --groups"),
        (vec!["add", "x", "--grant", "client_credentials", "--scope", "openid"], "about a person"),
        (vec!["add", "x", "--grant", "client_credentials", "--scope", "a\"b"], "is not a scope"),
        (vec!["add", "x", "--redirect-uri", "https://x.test/cb", "--scope", "metrics"], "--grant client_credentials"),
        (vec!["add", "x", "--grant", "password"], "--grant \"password\""),
        (vec!["add", "x"], "--redirect-uri"),
        (vec!["groups", "backup", "admins"], "machine client"),
        (vec!["policy", "backup", "one_factor"], "machine client"),
    ] {
        let o = run(&args);
        assert!(!o.status.success() && stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    }
    assert_eq!(stdout(&run(&["list"])), before, "refusals register or change nothing");
}

/// The server binary serving on a free port (and metrics, when `metrics`), on `db`.
struct Serving {
    child: std::process::Child,
    /// `http://127.0.0.1:PORT`.
    address: String,
    /// `127.0.0.1:PORT` of `/metrics`.
    metrics: Option<String>,
}

#[cfg(unix)]
fn serve(db: &std::path::Path, metrics: bool) -> Serving {
    use std::io::{BufRead, BufReader};
    let mut command = Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .env_remove("TOTP_ENCRYPTION_KEY")
        .env_remove("TOTP_KEY_FILE")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if metrics {
        command.env("METRICS_ADDR", "127.0.0.1:0");
    }
    let mut child = command.spawn().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let (mut address, mut metrics) = (None, None);
    for line in lines.by_ref().map_while(Result::ok) {
        if let Some(rest) = line.split("metrics on http://").nth(1) {
            metrics = rest.split('/').next().map(str::to_owned);
        }
        if let Some(rest) = line.split("listening on ").nth(1) {
            address = Some(rest.trim().to_owned());
            break;
        }
    }
    std::thread::spawn(move || lines.for_each(drop));
    Serving { child, address: address.expect("the server says where it listens"), metrics }
}

/// Asked to stop (SIGTERM) while registrations are under way, the server stops taking
/// connections, finishes every request it took — each answered in full — and exits within 10 s;
/// every account it said it made is in the database afterwards.
#[cfg(unix)]
#[test]
fn on_sigterm_the_requests_under_way_finish_and_no_write_is_lost() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let Serving { mut child, address, .. } = serve(&db, false);

    let rt = tokio::runtime::Runtime::new().unwrap();
    let pid = child.id().to_string();
    let answers = rt.block_on(async {
        let register = |i: usize| {
            let address = address.clone();
            async move {
                let client = reqwest::Client::new();
                let username = format!("user{i}");
                let sent = client
                    .post(format!("{address}/api/register"))
                    .form(&[("username", username.as_str()), ("password", "correct horse battery")])
                    .send()
                    .await;
                match sent {
                    Ok(response) => {
                        let status = response.status();
                        let body = response.text().await.map_err(|e| format!("{username}: body cut: {e}"))?;
                        Ok(Some((username, status, body)))
                    }
                    // Never reached the server (it no longer accepts): not a request it took.
                    Err(e) if e.is_connect() => Ok(None),
                    Err(e) => Err(format!("{username}: {e}")),
                }
            }
        };
        let load = futures::future::join_all((0..16).map(register));
        let stop = async {
            tokio::time::sleep(std::time::Duration::from_millis(150)).await;
            assert!(Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        };
        let (answers, ()) = tokio::join!(load, stop);
        answers
    });
    let stopped_at = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(stopped_at.elapsed() < std::time::Duration::from_secs(10), "still running 10 s after SIGTERM");
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
    let answered: Vec<(String, reqwest::StatusCode, String)> =
        answers.into_iter().collect::<Result<Vec<_>, _>>().unwrap().into_iter().flatten().collect();
    assert!(!answered.is_empty(), "no request reached the server before it was asked to stop");
    let listed = stdout(&server(&["user", "list"], &db, None));
    for (username, status, body) in &answered {
        assert_eq!(*status, reqwest::StatusCode::OK, "{username}: {body}");
        assert!(serde_json::from_str::<serde_json::Value>(body).is_ok(), "{username}: a whole answer: {body}");
        assert!(listed.lines().any(|line| line.starts_with(&format!("{username}\t"))), "{username} lost:\n{listed}");
    }
}

/// The README's systemd unit is one `systemd-analyze verify` accepts (where it is installed),
/// with its `ExecStart` pointed at the binary under test.
#[test]
fn the_readme_systemd_unit_verifies() {
    let Ok(probe) = Command::new("systemd-analyze").arg("--version").output() else { return };
    if !probe.status.success() {
        return;
    }
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let unit = readme
        .split("```ini\n# /etc/systemd/system/totp-signin.service\n")
        .nth(1)
        .and_then(|rest| rest.split("```").next())
        .expect("the README shows the unit");
    let unit =
        unit.replace("ExecStart=/usr/local/bin/totp-signin", &format!("ExecStart={}", env!("CARGO_BIN_EXE_server")));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("totp-signin.service");
    std::fs::write(&path, unit).unwrap();
    let verified = Command::new("systemd-analyze").arg("verify").arg(&path).output().unwrap();
    assert!(
        verified.status.success() && verified.stderr.is_empty(),
        "{}{}",
        String::from_utf8_lossy(&verified.stdout),
        String::from_utf8_lossy(&verified.stderr)
    );
}

/// A free TCP port on loopback (bound, then let go).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Debian's Prometheus scrapes `METRICS_ADDR` while a scripted journey runs: the counters of
/// the sign-in steps, the gate's decisions and the request durations show what happened, and no
/// label holds a username or an address.
#[cfg(unix)]
#[test]
fn prometheus_scrapes_the_counters_of_a_journey() {
    let Ok(version) = Command::new("prometheus").arg("--version").output() else { return };
    assert!(version.status.success());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("app.db");
    let Serving { child: mut server_process, address: app, metrics } = serve(&db, true);
    let metrics = metrics.expect("the metrics listen");

    let prometheus_port = free_port();
    let config = dir.path().join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: totp-signin\n    static_configs:\n      - targets: [\"{metrics}\"]\n"
        ),
    )
    .unwrap();
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!("--storage.tsdb.path={}", dir.path().join("tsdb").display()))
        .arg(format!("--web.listen-address=127.0.0.1:{prometheus_port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let outcome = rt.block_on(async {
        let browser = reqwest::Client::builder().cookie_store(true).build().unwrap();
        let form = |password: &'static str| [("username", "prom-alice"), ("password", password)];
        let post =
            |path: &str, password: &'static str| browser.post(format!("{app}/api/{path}")).form(&form(password)).send();
        assert_eq!(post("register", "correct horse battery").await.unwrap().status(), 200);
        assert_eq!(post("logout", "").await.unwrap().status(), 200);
        assert_eq!(post("login", "wrong horse battery").await.unwrap().status(), 401);
        assert_eq!(post("login", "correct horse battery").await.unwrap().status(), 200);
        let gate = reqwest::Client::new()
            .get(format!("{app}/api/authz/forward-auth"))
            .header("x-forwarded-proto", "https")
            .header("x-forwarded-host", "app.example.com")
            .header("x-forwarded-uri", "/")
            .header("x-forwarded-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(gate.status(), 401);
        let exposed = reqwest::get(format!("http://{metrics}/metrics")).await.unwrap().text().await.unwrap();
        assert!(!exposed.contains("prom-alice") && !exposed.contains("127.0.0.1"), "a label holds a name or address");

        let query = |q: &str| {
            let url = format!("http://127.0.0.1:{prometheus_port}/api/v1/query");
            let q = q.to_owned();
            async move {
                let answer = reqwest::Client::new().get(url).query(&[("query", q)]).send().await.ok()?;
                let body: serde_json::Value = answer.json().await.ok()?;
                body["data"]["result"][0]["value"][1].as_str()?.parse::<f64>().ok()
            }
        };
        let wanted = [
            r#"sign_in_steps_total{factor="password",outcome="failure"}"#,
            r#"sign_in_steps_total{factor="password",outcome="success"}"#,
            r#"security_events_total{event="account.registered"}"#,
            r#"forward_auth_decisions_total{outcome="sign_in_first"}"#,
            r#"http_request_duration_seconds_count{family="api"}"#,
            r#"db_pool_connections{pool="app",state="idle"}"#,
            r#"build_info"#,
        ];
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let mut missing = Vec::new();
            for q in wanted {
                if query(q).await.is_none_or(|v| v < 1.0 && !q.starts_with("db_pool")) {
                    missing.push(q);
                }
            }
            if missing.is_empty() {
                break Ok(());
            }
            if std::time::Instant::now() > deadline {
                break Err(format!("Prometheus never saw {missing:?}"));
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
    });
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let _ = server_process.kill();
    let _ = server_process.wait();
    outcome.unwrap();
}
