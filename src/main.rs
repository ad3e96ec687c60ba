//! The imagegate binary: run the CLI, print any error chain on stderr, exit 2 on it.
use std::process::ExitCode;

fn main() -> ExitCode {
    match imagegate::cli::run() {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`imagegate scan | head`) is not an error worth reporting.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            imagegate::diag::error(&format!("{e:#}"));
            ExitCode::from(imagegate::cli::EXIT_ERROR)
        }
    }
}
