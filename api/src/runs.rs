//! Running the pad's code: what the pad's socket, playback and the languages endpoint say
//! about runs.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

text_enum! {
    /// Where a run stands, and how it ended.
    pub enum RunStatus {
        /// Waiting for a free place in the server's pool of runs.
        Waiting = "waiting",
        Running = "running",
        /// The program ran to its end; `exit_code` says how (0 is success).
        Exited = "exited",
        /// The compiler refused the program; its messages are the output.
        CompileError = "compile_error",
        /// Still running at the wall-time (or CPU-time) limit: stopped.
        TimeLimit = "time_limit",
        /// Used more memory than allowed: stopped.
        MemoryLimit = "memory_limit",
        /// Printed more than allowed: the output is cut and the program stopped.
        OutputLimit = "output_limit",
        /// Someone in the pad pressed Stop, or ran again (`stopped_by` says who).
        Stopped = "stopped",
        /// The server restarted while it ran.
        Interrupted = "interrupted",
        /// The server could not run it (the sandbox failed to start); the server's log says why.
        Failed = "failed",
    }
}

impl RunStatus {
    /// Still going: the run's end is yet to come.
    pub fn is_active(self) -> bool {
        matches!(self, RunStatus::Waiting | RunStatus::Running)
    }
}

text_enum! {
    /// Which of the program's outputs a piece of text came from.
    pub enum RunStream {
        Stdout = "stdout",
        /// Standard error, and the compiler's messages.
        Stderr = "stderr",
    }
}

/// A piece of a run's output, in the order it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunOutput {
    pub stream: RunStream,
    pub text: String,
}

/// A run as the pad shows it: who started it, on what, and (once ended) how it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunView {
    pub id: crate::RunId,
    /// The pad's revision whose text ran.
    pub revision: u64,
    pub language: String,
    /// The name of the participant who pressed Run.
    pub started_by: String,
    pub status: RunStatus,
    /// The program's exit code, once it exited.
    pub exit_code: Option<i32>,
    /// Milliseconds from the program's start to its end.
    pub wall_ms: Option<u64>,
    /// Who stopped it, when `status` is `stopped`.
    pub stopped_by: Option<String>,
    /// The signal that ended the program, when one did (`exit_code` is then 128 + it).
    pub signal: Option<i32>,
    /// The output so far (all of it once ended), at most the output limit.
    pub output: Vec<RunOutput>,
    /// The output was cut at the limit.
    pub truncated: bool,
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub finished_at: Option<OffsetDateTime>,
}

/// `GET /api/languages`: every language of the pad's selector, and whether this server can
/// run it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LanguagesResponse {
    pub languages: Vec<LanguageInfo>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LanguageInfo {
    pub id: String,
    pub label: String,
    /// The toolchain is installed here and runs can start.
    pub runnable: bool,
}
