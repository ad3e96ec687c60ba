//! The imagegate binary: run the CLI, print any error chain on stderr, exit 2 on it.
use std::process::ExitCode;

fn main() -> ExitCode {
    match imagegate::cli::run() {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`imagegate scan | head`) is not an error worth reporting.
            if e.chain().any(|c| {
                let io = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
                let json = c
                    .downcast_ref::<serde_json::Error>()
                    .and_then(serde_json::Error::io_error_kind);
                io.or(json) == Some(std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            imagegate::diag::error(&format!("{e:#}"));
            ExitCode::from(imagegate::cli::EXIT_ERROR)
        }
    }
}
