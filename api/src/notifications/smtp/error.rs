//! Why a message was not delivered, and whether trying again may help.
/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Try again later (server down, 4xx, network, timeout, configuration).
    #[error("transient mail error{}: {message}", fmt_code(*.code))]
    Transient { code: Option<u16>, message: String },
    /// Retrying will not help (5xx to the message, unsendable message).
    #[error("permanent mail error{}: {message}", fmt_code(*.code))]
    Permanent { code: Option<u16>, message: String },
}

fn fmt_code(code: Option<u16>) -> String {
    code.map(|c| format!(" {c}")).unwrap_or_default()
}

impl SendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, SendError::Transient { .. })
    }

    pub fn is_permanent(&self) -> bool {
        matches!(self, SendError::Permanent { .. })
    }

    /// The SMTP reply code, when the server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendError::Transient { code, .. } | SendError::Permanent { code, .. } => *code,
        }
    }

    pub(super) fn transient(message: impl Into<String>) -> Self {
        SendError::Transient {
            code: None,
            message: message.into(),
        }
    }

    /// Classifies an error while sending the message itself.
    pub(super) fn from_message_phase(err: &lettre::transport::smtp::Error) -> Self {
        let code = err.status().map(u16::from);
        let message = err.to_string();
        if err.is_permanent() || err.is_client() {
            SendError::Permanent { code, message }
        } else {
            SendError::Transient { code, message }
        }
    }

    /// Errors while opening a session (greeting, EHLO, STARTTLS, AUTH) do not depend on
    /// the message: always transient.
    pub(super) fn from_session_phase(err: &lettre::transport::smtp::Error) -> Self {
        SendError::Transient {
            code: err.status().map(u16::from),
            message: format!("cannot open SMTP session: {err}"),
        }
    }
}
