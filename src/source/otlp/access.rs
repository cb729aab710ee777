//! Who may send: loopback by default; another address only when asked for, and then only
//! with the bearer token read from a named environment variable.

use std::net::SocketAddr;

/// The bearer token requests must carry. Never printed: `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    pub fn new(token: String) -> Self {
        Token(token)
    }
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Token(…)")
    }
}

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    #[error(
        "--otlp={0} is not a loopback address: its records carry user emails; add \
         --otlp-allow-remote and --otlp-token-env NAME (a bearer token in $NAME) to accept \
         them from other machines, or listen on 127.0.0.1"
    )]
    Remote(SocketAddr),
    #[error(
        "--otlp-allow-remote needs a bearer token: add --otlp-token-env NAME and put the \
         token in $NAME"
    )]
    NoTokenVariable,
    #[error("--otlp-token-env {0}: ${0} is not set or empty; export the token in it")]
    EmptyToken(String),
}

/// The token the receiver on `addr` requires, by the remote rule: a loopback address
/// needs none (but takes one if a variable is named); any other needs `allow_remote` and
/// a token. `env` reads a variable (the process environment, or a test's map).
pub fn token_for(
    addr: SocketAddr,
    allow_remote: bool,
    token_env: Option<&str>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Token>, AccessError> {
    let loopback = addr.ip().is_loopback();
    if !loopback && !allow_remote {
        return Err(AccessError::Remote(addr));
    }
    match token_env {
        None if loopback => Ok(None),
        None => Err(AccessError::NoTokenVariable),
        Some(name) => match env(name) {
            Some(token) if !token.is_empty() => Ok(Some(Token(token))),
            _ => Err(AccessError::EmptyToken(name.to_string())),
        },
    }
}

/// Whether an `Authorization` header value carries `token` as a bearer token, compared in
/// time that does not depend on where the two first differ.
pub fn authorized(header: Option<&[u8]>, token: &Token) -> bool {
    let Some(given) = header.and_then(|h| h.strip_prefix(b"Bearer ")) else {
        return false;
    };
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
        (name == "OTLP_TOKEN").then(|| "s3cret".to_string())
    }

    #[test]
    fn the_remote_rule() {
        let local: SocketAddr = "127.0.0.1:4318".parse().unwrap();
        let any: SocketAddr = "0.0.0.0:4318".parse().unwrap();
        assert_eq!(token_for(local, false, None, env), Ok(None));
        assert_eq!(
            token_for(any, false, Some("OTLP_TOKEN"), env),
            Err(AccessError::Remote(any))
        );
        assert_eq!(
            token_for(any, true, None, env),
            Err(AccessError::NoTokenVariable)
        );
        assert_eq!(
            token_for(any, true, Some("UNSET"), env),
            Err(AccessError::EmptyToken("UNSET".into()))
        );
        let token = token_for(any, true, Some("OTLP_TOKEN"), env)
            .unwrap()
            .unwrap();
        assert!(!format!("{token:?}").contains("s3cret"));
        assert!(authorized(Some(b"Bearer s3cret"), &token));
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
