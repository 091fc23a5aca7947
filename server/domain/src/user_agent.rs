//! A browser's `User-Agent` header: shortened before it is kept, and described for a person
//! ("Chrome on Linux") by a few fixed rules. The header is whatever the client says, so it is
//! only ever shown as a hint, never trusted; the rules know the common browsers and systems, and
//! anything else is "Unknown browser".

/// The most of a `User-Agent` kept with a session (real browsers send about 120 characters).
pub const MAX_CHARS: usize = 200;

/// The header as it is kept: at most `MAX_CHARS` characters, without control characters;
/// `None` when nothing is left.
pub fn shorten(user_agent: &str) -> Option<String> {
    let kept: String = user_agent.chars().filter(|c| !c.is_control()).take(MAX_CHARS).collect();
    let kept = kept.trim();
    (!kept.is_empty()).then(|| kept.to_owned())
}

/// "Firefox on Windows", "Safari on iPhone", "Chrome" (system unknown), "A browser on Linux"
/// (browser unknown), or "Unknown browser".
pub fn describe(user_agent: Option<&str>) -> String {
    let user_agent = user_agent.unwrap_or_default();
    match (browser(user_agent), system(user_agent)) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "Unknown browser".to_owned(),
    }
}

/// The first rule that matches wins: browsers built on another name it too (Edge and Opera say
/// "Chrome/", Chrome says "Safari/"), so the more specific come first.
fn browser(user_agent: &str) -> Option<&'static str> {
    const RULES: [(&[&str], &str); 9] = [
        (&["Edg/", "EdgA/", "EdgiOS/", "Edge/"], "Edge"),
        (&["OPR/", "Opera"], "Opera"),
        (&["SamsungBrowser/"], "Samsung Internet"),
        (&["Vivaldi/"], "Vivaldi"),
        (&["Firefox/", "FxiOS/"], "Firefox"),
        (&["CriOS/", "Chrome/"], "Chrome"),
        (&["Chromium/"], "Chromium"),
        (&["Version/"], "Safari"),
        (&["curl/"], "curl"),
    ];
    RULES.iter().find(|(marks, _)| marks.iter().any(|mark| user_agent.contains(mark))).map(|(_, name)| *name)
}

/// As `browser`: iPhones and iPads say "like Mac OS X", Android and ChromeOS say "Linux".
fn system(user_agent: &str) -> Option<&'static str> {
    const RULES: [(&str, &str); 7] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ];
    RULES.iter().find(|(mark, _)| user_agent.contains(mark)).map(|(_, name)| *name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_browsers_are_named_with_their_system() {
        for (user_agent, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on Windows"),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
                "Safari on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                "Safari on iPhone",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0",
                "Edge on Windows",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
                "Chrome on Android",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Chrome on ChromeOS",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36",
                "Chrome on Linux",
            ),
            ("curl/8.5.0", "curl"),
        ] {
            assert_eq!(describe(Some(user_agent)), expected, "{user_agent}");
        }
    }

    #[test]
    fn what_is_not_recognised_says_so() {
        assert_eq!(describe(None), "Unknown browser");
        assert_eq!(describe(Some("")), "Unknown browser");
        assert_eq!(describe(Some("SomeBot/1.0")), "Unknown browser");
        assert_eq!(describe(Some("SomeBot/1.0 (Linux)")), "A browser on Linux");
    }

    #[test]
    fn a_kept_user_agent_has_at_most_200_characters_and_no_control_characters() {
        let long = "é".repeat(300);
        let kept = shorten(&long).unwrap();
        assert_eq!(kept.chars().count(), MAX_CHARS);
        assert_eq!(shorten("Firefox/1\n\u{7f}").as_deref(), Some("Firefox/1"));
        assert_eq!(shorten(" \t "), None);
    }
}
