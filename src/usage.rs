//! Errors in what the user asked for: a bad argument or config. They exit 2, like the
//! argument parser's own errors, so that a script can tell "you typed it wrong" (2) from
//! "a source could not be read" (1).

use std::fmt::Display;

/// A mistake in the arguments or the config, with the message that says what to type.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(String);

/// The exit code for an error that ended a mode: 2 for usage and config errors, else 1.
pub fn exit_code(error: &anyhow::Error) -> u8 {
    if error.chain().any(|cause| cause.is::<UsageError>()) {
        2
    } else {
        1
    }
}

/// Marks an error as the user's to fix, keeping its whole message.
pub trait OrUsage<T> {
    fn or_usage(self) -> anyhow::Result<T>;
}

impl<T, E: Display> OrUsage<T> for Result<T, E> {
    fn or_usage(self) -> anyhow::Result<T> {
        self.map_err(|e| UsageError(format!("{e:#}")).into())
    }
}

/// A usage error with this message.
pub fn usage_error(message: impl Into<String>) -> anyhow::Error {
    UsageError(message.into()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn usage_errors_exit_2_through_context_and_others_1() {
        let usage: anyhow::Result<()> = Err::<(), _>(anyhow::anyhow!("bad")).or_usage();
        let wrapped = usage.context("--at").expect_err("an error");
        assert_eq!(exit_code(&wrapped), 2);
        assert_eq!(format!("{wrapped:#}"), "--at: bad");
        assert_eq!(exit_code(&anyhow::anyhow!("nothing could be read")), 1);
    }
}
