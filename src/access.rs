//! Who may talk to tokentop's listeners, the OTLP receiver (`--otlp`) and `serve`'s
//! `/metrics` (`--listen`): both carry user emails, so loopback only by default; another
//! address only when asked for, and then only with a bearer token read from a named
//! environment variable. One rule for both, with each listener's own flags in its messages.

use std::net::SocketAddr;

/// A listener's flags, as its messages name them.
#[derive(Debug)]
pub struct Listener {
    /// The address flag as written before an address (`--otlp=`, `--listen `).
    pub addr_flag: &'static str,
    pub allow_flag: &'static str,
    pub token_flag: &'static str,
    /// Why the address matters.
    pub carries: &'static str,
    /// Who sends the token.
    pub clients: &'static str,
}

/// The OTLP receiver.
pub const OTLP: Listener = Listener {
    addr_flag: "--otlp=",
    allow_flag: "--otlp-allow-remote",
    token_flag: "--otlp-token-env",
    carries: "its records carry user emails",
    clients: "senders",
};

/// `serve`'s `/metrics` and `/healthz`.
pub const SERVE: Listener = Listener {
    addr_flag: "--listen ",
    allow_flag: "--listen-allow-remote",
    token_flag: "--listen-token-env",
    carries: "the metrics' labels carry user emails",
    clients: "scrapers",
};

/// The bearer token requests must carry. Never printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// The token, without the whitespace a `$(cat file)` leaves around it.
    pub fn new(token: &str) -> Self {
        Token(token.trim().to_string())
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token([redacted])")
    }
}

/// The token `listener` on `addr` requires: a loopback address needs none (but takes one
/// if a variable is named); any other needs `allow_remote` and a token. `env` reads a
/// variable (the process environment, or a test's map). The error says what to add.
pub fn token_for(
    listener: &Listener,
    addr: SocketAddr,
    allow_remote: bool,
    token_env: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Token>, String> {
    let Listener {
        addr_flag,
        allow_flag,
        token_flag,
        carries,
        clients,
    } = listener;
    let loopback = addr.ip().is_loopback();
    if !loopback && !allow_remote {
        return Err(format!(
            "{addr_flag}{addr} is not a loopback address and {carries}: add {allow_flag} and \
             {token_flag} NAME (a bearer token in the environment variable NAME), or listen on \
             127.0.0.1"
        ));
    }
    match token_env {
        None if loopback => Ok(None),
        None => Err(format!(
            "{allow_flag} needs a bearer token: add {token_flag} NAME, the environment \
             variable NAME holding the token {clients} must send"
        )),
        Some(name) => match env(name).filter(|t| !t.trim().is_empty()) {
            Some(token) => Ok(Some(Token::new(&token))),
            None => Err(format!(
                "{token_flag} {name}: the environment variable {name} is not set or empty; \
                 set it to the bearer token {clients} must send"
            )),
        },
    }
}

/// Whether an `Authorization` header value carries `token` as a bearer token, compared in
/// time that does not depend on where the two first differ.
pub fn authorized(header: Option<&[u8]>, token: &Token) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
    let given = given.trim_ascii();
    let want = token.0.as_bytes();
    let mut diff = u8::from(given.len() != want.len());
    for (i, &w) in want.iter().enumerate() {
        diff |= w ^ given.get(i).copied().unwrap_or(!w);
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(name: &str) -> Option<String> {
        (name == "TT_TOKEN").then(|| "s3cret\n".to_string())
    }

    #[test]
    fn the_remote_rule_names_each_listeners_flags() {
        let local: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:4318".parse().unwrap();
        for (listener, allow, token_flag) in [
            (&OTLP, "--otlp-allow-remote", "--otlp-token-env"),
            (&SERVE, "--listen-allow-remote", "--listen-token-env"),
        ] {
            assert_eq!(token_for(listener, local, false, None, env), Ok(None));
            let remote = token_for(listener, any, false, Some("TT_TOKEN"), env).unwrap_err();
            assert!(remote.starts_with(listener.addr_flag), "{remote}");
            assert!(
                remote.contains(allow) && remote.contains("emails"),
                "{remote}"
            );
            let no_name = token_for(listener, any, true, None, env).unwrap_err();
            assert!(no_name.contains(&format!("{token_flag} NAME")), "{no_name}");
            let unset = token_for(listener, any, true, Some("UNSET"), env).unwrap_err();
            assert!(unset.contains("UNSET is not set or empty"), "{unset}");
            let token = token_for(listener, any, true, Some("TT_TOKEN"), env);
            assert_eq!(token, Ok(Some(Token::new("s3cret"))));
            // A loopback listener takes a token too when a variable is named.
            let token = token_for(listener, local, false, Some("TT_TOKEN"), env);
            assert_eq!(token, Ok(Some(Token::new("s3cret"))));
        }
    }

    #[test]
    fn only_the_exact_bearer_token_passes_and_it_never_shows() {
        let token = Token::new(" s3cret\n");
        assert_eq!(format!("{token:?}"), "Token([redacted])");
        assert!(authorized(Some(b"Bearer s3cret"), &token));
        assert!(authorized(Some(b"Bearer s3cret "), &token));
        for wrong in [
            &b"Bearer s3cre"[..],
            b"Bearer s3cret2",
            b"s3cret",
            b"Bearer S3cret",
            b"",
        ] {
            assert!(!authorized(Some(wrong), &token), "{wrong:?}");
        }
        assert!(!authorized(None, &token));
    }
}
