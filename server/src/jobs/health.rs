//! The servers' own health checks, for the load guard: a URL that answers 2xx while the server is
//! well, or a command that exits 0 (IT configures either per server mail is written to). A worker
//! asks each on its schedule and hands the answer to the server's budget: while one says something
//! is wrong, no new copy starts there and running copies go one operation at a time.
use std::process::Output;
use std::time::Duration;

use crate::config::MailServer;

/// An answer slower than this is taken as trouble.
const TIMEOUT: Duration = Duration::from_secs(10);
/// What is shown of a command's output.
const SHOWN_CHARS: usize = 200;

/// What the server's checks say is wrong now (`None`: it is well, or it has no check).
pub async fn check(server: &MailServer, http: &reqwest::Client) -> Option<String> {
    if let Some(url) = &server.health_url {
        let answer = http.get(url.clone()).timeout(TIMEOUT).send().await;
        let trouble = of_http(answer.map(|r| r.status().as_u16()).map_err(|e| {
            if e.is_timeout() {
                "no answer in time".to_owned()
            } else {
                "no answer".to_owned()
            }
        }));
        if trouble.is_some() {
            return trouble;
        }
    }
    if let Some(command) = &server.health_command {
        let mut run = tokio::process::Command::new("sh");
        // Fountain's own settings (passwords among them) are not the command's business.
        for (name, _) in std::env::vars_os() {
            let name_text = name.to_string_lossy();
            if name_text.starts_with("FOUNTAIN") || name_text == "DATABASE_URL" {
                run.env_remove(&name);
            }
        }
        let run = run
            .arg("-c")
            .arg(command)
            .stdin(std::process::Stdio::null())
            .kill_on_drop(true)
            .output();
        let outcome = match tokio::time::timeout(TIMEOUT, run).await {
            Ok(Ok(output)) => Ok(output),
            Ok(Err(e)) => Err(format!("the health command could not run ({e})")),
            Err(_) => Err("the health command did not finish in time".to_owned()),
        };
        return of_command(outcome);
    }
    None
}

/// The health URL's answer: a 2xx status is well.
pub fn of_http(answer: Result<u16, String>) -> Option<String> {
    match answer {
        Ok(status) if (200..300).contains(&status) => None,
        Ok(status) => Some(format!("its health URL answered {status}")),
        Err(why) => Some(format!("its health URL gave {why}")),
    }
}

/// The health command's outcome: exit 0 is well; otherwise the first line it printed (stdout, else
/// stderr) says why, cut short and without control characters.
pub fn of_command(outcome: Result<Output, String>) -> Option<String> {
    let output = match outcome {
        Ok(output) => output,
        Err(why) => return Some(why),
    };
    if output.status.success() {
        return None;
    }
    let said = [&output.stdout, &output.stderr]
        .into_iter()
        .map(|bytes| String::from_utf8_lossy(bytes).trim().to_owned())
        .find(|text| !text.is_empty())
        .unwrap_or_default();
    let first: String = said
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(SHOWN_CHARS)
        .collect();
    let code = output
        .status
        .code()
        .map_or("was stopped".to_owned(), |c| format!("exited {c}"));
    Some(match first.is_empty() {
        true => format!("its health command {code}"),
        false => format!("“{first}” (its health command {code})"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::os::unix::process::ExitStatusExt;

    fn output(code: i32, stdout: &[u8], stderr: &[u8]) -> Output {
        Output {
            status: std::process::ExitStatus::from_raw(code << 8),
            stdout: stdout.to_vec(),
            stderr: stderr.to_vec(),
        }
    }

    #[test]
    fn a_2xx_answer_is_well_and_anything_else_says_what_came() {
        assert_eq!(of_http(Ok(200)), None);
        assert_eq!(of_http(Ok(204)), None);
        assert_eq!(
            of_http(Ok(503)).as_deref(),
            Some("its health URL answered 503")
        );
        assert_eq!(
            of_http(Err("no answer in time".into())).as_deref(),
            Some("its health URL gave no answer in time")
        );
    }

    #[test]
    fn exit_zero_is_well_and_otherwise_the_first_line_says_why() {
        assert_eq!(of_command(Ok(output(0, b"load 0.3\n", b""))), None);
        assert_eq!(
            of_command(Ok(output(2, b"indexing backlog: 41 000\nmore\n", b""))).as_deref(),
            Some("“indexing backlog: 41 000” (its health command exited 2)")
        );
        assert_eq!(
            of_command(Ok(output(1, b"", b"zmcontrol: Stopped\n"))).as_deref(),
            Some("“zmcontrol: Stopped” (its health command exited 1)")
        );
        assert_eq!(
            of_command(Ok(output(1, b"", b""))).as_deref(),
            Some("its health command exited 1")
        );
        assert_eq!(
            of_command(Err("the health command did not finish in time".into())).as_deref(),
            Some("the health command did not finish in time")
        );
    }

    proptest! {
        #[test]
        fn whatever_a_failing_command_prints_is_shown_short_and_on_one_line(
            stdout in proptest::collection::vec(any::<u8>(), 0..600),
            stderr in proptest::collection::vec(any::<u8>(), 0..600),
            code in 1..255i32,
        ) {
            let why = of_command(Ok(output(code, &stdout, &stderr))).expect("a failure says so");
            prop_assert!(!why.chars().any(char::is_control));
            prop_assert!(why.chars().count() <= SHOWN_CHARS + 40);
        }
    }
}
