//! The error kinds the CLI maps to exit codes.

/// Bad usage or bad input (exit status 2): the message names the file, line or key and what
/// was expected.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct BadInput(pub String);

/// Shorthand for a [`BadInput`] error wrapped in `anyhow`.
pub fn bad_input(message: impl Into<String>) -> anyhow::Error {
    BadInput(message.into()).into()
}
