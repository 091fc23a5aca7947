//! Throttling, kept in the database so it survives restarts and is shared by every instance.
//!
//! **Second factor, per account** (whoever knows the password can open sessions at will, so
//! per-session or per-address limits would not hold): the first 5 consecutive failures are free;
//! from the 5th on, the next attempt waits 30 s, doubling with each failure up to 15 minutes;
//! the 20th consecutive failure locks the codes until a recovery code is used or an operator
//! unlocks the account. While throttled or locked even the right code is refused, with an
//! answer that does not depend on the code. Only a successful second factor resets the count.
//!
//! Each attempt *reserves* its failure before the code is checked (one conditional UPDATE), so
//! concurrent guesses cannot slip through together: a success then clears the count.
//!
//! **Password, per username (or per known device) and per client address**: per username, 10
//! free consecutive failures, then 30 s doubling up to 15 minutes (never a permanent lock: that
//! would let anyone lock anyone out); per address, at most 300 failures in a fixed 5-minute
//! window (offices and carrier NAT share addresses), then wait for the window to end. A browser
//! that signed in to the account before shows a device cookie (`device_cookie`, OWASP's device
//! cookie pattern): its attempts are counted on the device alone, with the same delays, so
//! someone hammering the username does not delay the owner on their own device.
//!
//! An attempt that ends in 503 (hashing busy, database away) is given back: it is not a failure.
//!
//! **Registration, per client address**: at most `REGISTRATION_LIMIT` accounts (20 by default)
//! per address in a fixed one-hour window, checked before any hashing.

use crate::{credentials::device_token::username_key, error::AuthError};
use sqlx::{AnyPool, Row};
use std::time::Duration;

pub const SECOND_FACTOR_FREE_FAILURES: i64 = 5;
pub const SECOND_FACTOR_LOCK_FAILURES: i64 = 20;
pub const FIRST_DELAY_SECONDS: i64 = 30;
pub const MAX_DELAY_SECONDS: i64 = 15 * 60;
pub const PASSWORD_FREE_FAILURES_PER_USERNAME: i64 = 10;
pub const PASSWORD_FAILURES_PER_ADDRESS_WINDOW: i64 = 300;
pub const ADDRESS_WINDOW_SECONDS: i64 = 5 * 60;
/// Registrations per address are counted in fixed windows of an hour.
pub const REGISTRATION_WINDOW_SECONDS: i64 = 60 * 60;
/// A username's failures are forgotten after a day without any.
pub const USERNAME_QUIET_RESET_SECONDS: i64 = 24 * 60 * 60;

/// The wait after `failures` consecutive failures, once `free` of them have been used up.
pub fn delay_after(failures: i64, free: i64) -> i64 {
    if failures < free {
        return 0;
    }
    let doublings = (failures - free).min(10) as u32;
    (FIRST_DELAY_SECONDS << doublings).min(MAX_DELAY_SECONDS)
}

/// SQL for `delay_after(column, free)`: a CASE over the few values the doubling can take, so the
/// check and the increment are one portable statement.
fn delay_sql(column: &str, free: i64) -> String {
    let mut sql = format!("CASE WHEN {column} < {free} THEN 0");
    let mut failures = free;
    loop {
        let delay = delay_after(failures, free);
        if delay >= MAX_DELAY_SECONDS {
            break;
        }
        sql.push_str(&format!(" WHEN {column} = {failures} THEN {delay}"));
        failures += 1;
    }
    sql.push_str(&format!(" ELSE {MAX_DELAY_SECONDS} END"));
    sql
}

/// What kind of second factor is tried. All wait out the delays; only sign-in codes stop at the
/// lock: a recovery code is how a locked account gets back in, and the code that confirms a new
/// setup comes from a session that is already signed in.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorKind {
    Code,
    RecoveryCode,
    EnrollmentCode,
    /// A security key's answer: counted and locked like a code.
    SecurityKey,
}

/// Reserves one second-factor attempt for the account, or says how long to wait. Returns the
/// number of consecutive failures counting this attempt (if it fails).
pub async fn reserve_second_factor_attempt(
    db: &AnyPool,
    account_id: i64,
    kind: SecondFactorKind,
    now: i64,
) -> Result<i64, AuthError> {
    let lock_clause = match kind {
        SecondFactorKind::Code | SecondFactorKind::SecurityKey => {
            format!("AND second_factor_failures < {SECOND_FACTOR_LOCK_FAILURES}")
        }
        SecondFactorKind::RecoveryCode | SecondFactorKind::EnrollmentCode => String::new(),
    };
    let reserved = sqlx::query(&format!(
        "UPDATE users SET second_factor_failures = second_factor_failures + 1, second_factor_failed_at = $1
         WHERE id = $2 {lock_clause}
           AND (second_factor_failed_at IS NULL
                OR second_factor_failed_at + ({delay}) <= $1)
         RETURNING second_factor_failures",
        delay = delay_sql("second_factor_failures", SECOND_FACTOR_FREE_FAILURES),
    ))
    .bind(now)
    .bind(account_id)
    .fetch_optional(db)
    .await?;
    if let Some(row) = reserved {
        return Ok(row.try_get("second_factor_failures")?);
    }
    let row = sqlx::query("SELECT second_factor_failures, second_factor_failed_at FROM users WHERE id = $1")
        .bind(account_id)
        .fetch_one(db)
        .await?;
    let failures: i64 = row.try_get("second_factor_failures")?;
    let failed_at: Option<i64> = row.try_get("second_factor_failed_at")?;
    if matches!(kind, SecondFactorKind::Code | SecondFactorKind::SecurityKey) && failures >= SECOND_FACTOR_LOCK_FAILURES
    {
        return Err(AuthError::SecondFactorLocked);
    }
    let wait = failed_at.unwrap_or(now) + delay_after(failures, SECOND_FACTOR_FREE_FAILURES) - now;
    Err(AuthError::Throttled { retry_after: Duration::from_secs(wait.max(1) as u64) })
}

/// A second factor succeeded: the count starts again (this also lifts a lock).
pub async fn clear_second_factor_failures(db: &AnyPool, account_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE users SET second_factor_failures = 0, second_factor_failed_at = NULL WHERE id = $1")
        .bind(account_id)
        .execute(db)
        .await?;
    Ok(())
}

/// Keys of the password throttle: one per username (`device_token::username_key`, whether or
/// not the account exists, so the answer does not tell) and one per client address (IPv6 by its
/// /64: one subscriber's prefix).
pub fn address_key(address: &str) -> String {
    match address.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) if v6.to_ipv4_mapped().is_none() => {
            let s = v6.segments();
            format!("addr:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Ok(ip) => format!("addr:{}", ip.to_canonical()),
        Err(_) => format!("addr:{address}"),
    }
}

/// The key a device's password attempts are counted under (see `device_cookie`).
pub fn device_key(device: &str) -> String {
    format!("device:{device}")
}

/// Whose consecutive password failures an attempt counts on: the known device it comes from,
/// or else the username.
fn password_key(username: &str, device: Option<&str>) -> String {
    match device {
        Some(device) => device_key(device),
        None => username_key(username),
    }
}

/// The key of registrations from one address.
fn registration_key(address: &str) -> String {
    format!("register:{}", address_key(address))
}

/// Reserves one use of `key` in a fixed window of `window` seconds holding at most `limit`
/// uses, in one atomic upsert; otherwise says how long until the window ends.
async fn reserve_in_window(db: &AnyPool, key: &str, limit: i64, window: i64, now: i64) -> Result<(), AuthError> {
    let reserved = sqlx::query(&format!(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (throttle_key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at <= $2 - {window} THEN 1 ELSE login_throttle.failures + 1 END,
           last_failure_at = CASE WHEN login_throttle.last_failure_at <= $2 - {window} THEN $2 ELSE login_throttle.last_failure_at END
         WHERE login_throttle.last_failure_at <= $2 - {window} OR login_throttle.failures < {limit}",
    ))
    .bind(key)
    .bind(now)
    .execute(db)
    .await?;
    if reserved.rows_affected() == 0 {
        // For windows, `last_failure_at` holds the start of the current window.
        let window_start: i64 =
            sqlx::query_scalar("SELECT last_failure_at FROM login_throttle WHERE throttle_key = $1")
                .bind(key)
                .fetch_one(db)
                .await?;
        let wait = (window_start + window - now).max(1);
        return Err(AuthError::Throttled { retry_after: Duration::from_secs(wait as u64) });
    }
    Ok(())
}

/// Reserves one registration for the client address (before any hashing); a registration that
/// does not create an account gives it back (`give_back_registration`).
pub async fn reserve_registration(
    db: &AnyPool,
    address: Option<&str>,
    per_hour: u32,
    now: i64,
) -> Result<(), AuthError> {
    let Some(address) = address else { return Ok(()) };
    reserve_in_window(db, &registration_key(address), i64::from(per_hour), REGISTRATION_WINDOW_SECONDS, now).await
}

pub async fn give_back_registration(db: &AnyPool, address: Option<&str>) -> Result<(), sqlx::Error> {
    match address {
        Some(address) => give_back(db, &registration_key(address)).await,
        None => Ok(()),
    }
}

/// Reserves one password attempt for the username (or the known device) and the address, each
/// in one atomic upsert that counts it as a failure only if the key is not throttled — so
/// concurrent guesses cannot all pass a check before any failure is written. A right password
/// then gives the reservation back (`password_succeeded`), and so does an attempt that could
/// not be decided (`give_back_password_attempt`).
pub async fn reserve_password_attempt(
    db: &AnyPool,
    username: &str,
    address: Option<&str>,
    device: Option<&str>,
    now: i64,
) -> Result<(), AuthError> {
    if let Some(address) = address {
        reserve_in_window(db, &address_key(address), PASSWORD_FAILURES_PER_ADDRESS_WINDOW, ADDRESS_WINDOW_SECONDS, now)
            .await?;
    }
    let key = password_key(username, device);
    let reserved = sqlx::query(&format!(
        "INSERT INTO login_throttle (throttle_key, failures, last_failure_at) VALUES ($1, 1, $2)
         ON CONFLICT (throttle_key) DO UPDATE SET
           failures = CASE WHEN login_throttle.last_failure_at < $2 - {quiet} THEN 1 ELSE login_throttle.failures + 1 END,
           last_failure_at = $2
         WHERE login_throttle.last_failure_at < $2 - {quiet}
            OR login_throttle.last_failure_at + ({delay}) <= $2",
        quiet = USERNAME_QUIET_RESET_SECONDS,
        delay = delay_sql("login_throttle.failures", PASSWORD_FREE_FAILURES_PER_USERNAME),
    ))
    .bind(&key)
    .bind(now)
    .execute(db)
    .await?;
    if reserved.rows_affected() == 0 {
        if let Some(address) = address {
            give_back(db, &address_key(address)).await?;
        }
        let row = sqlx::query("SELECT failures, last_failure_at FROM login_throttle WHERE throttle_key = $1")
            .bind(&key)
            .fetch_one(db)
            .await?;
        let (failures, at): (i64, i64) = (row.try_get("failures")?, row.try_get("last_failure_at")?);
        let wait = (at + delay_after(failures, PASSWORD_FREE_FAILURES_PER_USERNAME) - now).max(1);
        return Err(AuthError::Throttled { retry_after: Duration::from_secs(wait as u64) });
    }
    Ok(())
}

/// Whether a password attempt for `username` (when known) from `address` would be throttled
/// now, read without writing anything: for the gate's app passwords, whose right answers must
/// cost no write. `Err(Throttled)` when either key waits.
pub async fn password_wait(
    db: &AnyPool,
    username: Option<&str>,
    address: Option<&str>,
    now: i64,
) -> Result<(), AuthError> {
    let keys: Vec<String> = username.map(username_key).into_iter().chain(address.map(address_key)).collect();
    if keys.is_empty() {
        return Ok(());
    }
    let placeholders: Vec<String> = (1..=keys.len()).map(|n| format!("${n}")).collect();
    let statement = format!(
        "SELECT throttle_key, failures, last_failure_at FROM login_throttle WHERE throttle_key IN ({})",
        placeholders.join(", ")
    );
    let mut query = sqlx::query(&statement);
    for key in &keys {
        query = query.bind(key);
    }
    for row in query.fetch_all(db).await? {
        let key: String = row.try_get("throttle_key")?;
        let (failures, at): (i64, i64) = (row.try_get("failures")?, row.try_get("last_failure_at")?);
        let wait = if key.starts_with("addr:") {
            (failures >= PASSWORD_FAILURES_PER_ADDRESS_WINDOW && at > now - ADDRESS_WINDOW_SECONDS)
                .then(|| at + ADDRESS_WINDOW_SECONDS - now)
        } else {
            let until = at + delay_after(failures, PASSWORD_FREE_FAILURES_PER_USERNAME);
            (at >= now - USERNAME_QUIET_RESET_SECONDS && until > now).then(|| until - now)
        };
        if let Some(wait) = wait {
            return Err(AuthError::Throttled { retry_after: Duration::from_secs(wait.max(1) as u64) });
        }
    }
    Ok(())
}

/// A wrong app password: counted as a wrong password for `username` (when known) and for
/// `address`, as `reserve_password_attempt` counts one. A key already throttled is not counted
/// further (the attempt was refused anyway).
pub async fn password_failed(
    db: &AnyPool,
    username: Option<&str>,
    address: Option<&str>,
    now: i64,
) -> Result<(), AuthError> {
    let counted = match username {
        Some(username) => reserve_password_attempt(db, username, address, None, now).await,
        None => match address {
            Some(address) => {
                reserve_in_window(
                    db,
                    &address_key(address),
                    PASSWORD_FAILURES_PER_ADDRESS_WINDOW,
                    ADDRESS_WINDOW_SECONDS,
                    now,
                )
                .await
            }
            None => Ok(()),
        },
    };
    match counted {
        Err(AuthError::Throttled { .. }) => Ok(()),
        other => other,
    }
}

/// A right password: the count it was made under (the device's, or the username's) starts
/// again, and the address gets its reserved attempt back (only failures count against an
/// address). A right password on a known device leaves the username's count alone: it says
/// nothing about whoever else is trying that username.
pub async fn password_succeeded(
    db: &AnyPool,
    username: &str,
    address: Option<&str>,
    device: Option<&str>,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1")
        .bind(password_key(username, device))
        .execute(db)
        .await?;
    if let Some(address) = address {
        give_back(db, &address_key(address)).await?;
    }
    Ok(())
}

/// An attempt whose answer never came (hashing busy, database away: 503) is not a failure: its
/// reservations are given back. Best effort — the database may still be away.
pub async fn give_back_password_attempt(db: &AnyPool, username: &str, address: Option<&str>, device: Option<&str>) {
    let mut keys = vec![password_key(username, device)];
    keys.extend(address.map(address_key));
    for key in keys {
        if let Err(e) = give_back(db, &key).await {
            tracing::warn!(error = %e, "could not give back a password attempt that was not decided");
        }
    }
}

async fn give_back(db: &AnyPool, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE login_throttle SET failures = failures - 1 WHERE throttle_key = $1 AND failures > 0")
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// The operator lifts every limit on the account: its second-factor count (and lock) and its
/// username's password count.
pub async fn clear_account(db: &AnyPool, account_id: i64, username: &str) -> Result<(), sqlx::Error> {
    clear_second_factor_failures(db, account_id).await?;
    sqlx::query("DELETE FROM login_throttle WHERE throttle_key = $1").bind(username_key(username)).execute(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_start_at_the_fifth_failure_double_and_stop_at_15_minutes() {
        let f = SECOND_FACTOR_FREE_FAILURES;
        assert_eq!(delay_after(4, f), 0);
        assert_eq!(delay_after(5, f), 30);
        assert_eq!(delay_after(6, f), 60);
        assert_eq!(delay_after(7, f), 120);
        assert_eq!(delay_after(10, f), 900);
        assert_eq!(delay_after(19, f), 900);
        assert_eq!(delay_after(1000, f), 900);
    }

    #[test]
    fn ipv6_addresses_are_counted_by_their_64_bit_prefix() {
        assert_eq!(address_key("2001:db8:1:2:aaaa::1"), address_key("2001:db8:1:2:bbbb::2"));
        assert_ne!(address_key("2001:db8:1:2::1"), address_key("2001:db8:1:3::1"));
        assert_eq!(address_key("127.0.0.1"), "addr:127.0.0.1");
        assert_eq!(address_key("::ffff:10.0.0.1"), "addr:10.0.0.1");
    }

    #[test]
    fn the_sql_delay_table_agrees_with_the_rust_one() {
        let sql = delay_sql("n", 5);
        assert_eq!(sql, "CASE WHEN n < 5 THEN 0 WHEN n = 5 THEN 30 WHEN n = 6 THEN 60 WHEN n = 7 THEN 120 WHEN n = 8 THEN 240 WHEN n = 9 THEN 480 ELSE 900 END");
    }
}
