//! `cxone-emulator`: runs the emulator until SIGINT or SIGTERM.
//!
//! On start it prints exactly one line to stdout, `cxone-emulator listening on http://HOST:PORT`,
//! and flushes it. Everything else (errors, and with `--verbose` one line per request) goes to
//! stderr.

use std::io::Write as _;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use cxone_emulator::{start, Catalogue, Config, DEFAULT_PORT};

const USAGE: &str = "\
cxone-emulator: a local emulator of the CXone data-actions REST upstream

USAGE:
    cxone-emulator [OPTIONS]

OPTIONS:
    --profile NAME               upstream to play: cxone-seed, genesys-cloud or cxone
                                 [default: cxone-seed]
    --port N                     port to listen on, 0 picks a free one [default: 9797]
    --host ADDR                  address to listen on [default: 127.0.0.1]
    --client-id ID               OAuth client id [default: demo-client]
    --client-secret SECRET       OAuth client secret [default: demo-secret]
    --access-key-id ID           cxone: access key id (password grant username)
                                 [default: demo-access-key-id]
    --access-key-secret SECRET   cxone: access key secret (password grant password)
                                 [default: demo-access-key-secret]
    --tenant-id ID               cxone: tenant id (id_token claim tenantId)
                                 [default: 11eb0a4c-6b5c-4d3e-9f21-0242ac110002]
    --api-base URL               cxone: api_endpoint of cxone-configuration [default: own origin]
    --refresh-token-lifetime-secs N
                                 cxone: lifetime of refresh tokens [default: 86400]
    --token-lifetime-secs N      lifetime of issued tokens [default: 3600]
    --callback-signing-secret S  sign callbacks (Standard Webhooks); whsec_<base64> or raw text
    --catalogue FILE.json        extra or replacement data actions
    --latency-ms N               delay added to every /api and /oauth2 answer [default: 0]
    --rate-429 X                 share (0..1) of /api requests answered 429 [default: 0]
    --rate-503 X                 share (0..1) of /api requests answered 503 [default: 0]
    --retry-after-secs N         Retry-After of injected 429s [default: 1]
    --rate-limited-first N       429s the rate-limited action gives first [default: 2]
    --seed N                     seed of the fault RNG (deterministic faults)
    --verbose                    log one line per request to stderr
    -h, --help                   print this help
    -V, --version                print the version

Knobs can be changed at run time: POST /_emulator/config (see the README).";

#[derive(Debug)]
enum Command {
    Run {
        config: Box<Config>,
        catalogue: Option<PathBuf>,
    },
    Help,
    Version,
}

fn number<T: std::str::FromStr>(flag: &str, value: &str) -> Result<T, String> {
    value
        .parse()
        .map_err(|_| format!("{flag}: {value:?} is not a valid number"))
}

fn parse_args(args: impl IntoIterator<Item = String>) -> Result<Command, String> {
    let mut config = Config::default();
    let mut catalogue = None;
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                (flag.to_owned(), Some(value.to_owned()))
            }
            _ => (arg.clone(), None),
        };
        match flag.as_str() {
            "-h" | "--help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--verbose" => {
                if inline.is_some() {
                    return Err("--verbose takes no value".to_owned());
                }
                config.verbose = true;
                continue;
            }
            _ => {}
        }
        let mut value = || -> Result<String, String> {
            match &inline {
                Some(value) => Ok(value.clone()),
                None => args.next().ok_or_else(|| format!("{flag} needs a value")),
            }
        };
        match flag.as_str() {
            "--port" => config.port = number(&flag, &value()?)?,
            "--host" => {
                let v = value()?;
                config.host = v
                    .parse::<IpAddr>()
                    .map_err(|_| format!("--host: {v:?} is not an IP address"))?;
            }
            "--profile" => {
                let v = value()?;
                config.profile = v.parse().map_err(|e| format!("--profile: {e}"))?;
            }
            "--access-key-id" => config.access_key_id = value()?,
            "--access-key-secret" => config.access_key_secret = value()?,
            "--tenant-id" => config.tenant_id = value()?,
            "--api-base" => {
                let v = value()?;
                if !(v.starts_with("http://") || v.starts_with("https://")) {
                    return Err(format!(
                        "--api-base: {v:?} is not an http:// or https:// URL"
                    ));
                }
                config.api_base = Some(v);
            }
            "--refresh-token-lifetime-secs" => {
                let secs: u64 = number(&flag, &value()?)?;
                if secs > cxone_emulator::MAX_REFRESH_TOKEN_LIFETIME_SECS {
                    return Err(format!(
                        "--refresh-token-lifetime-secs: at most {}",
                        cxone_emulator::MAX_REFRESH_TOKEN_LIFETIME_SECS
                    ));
                }
                config.refresh_token_lifetime_secs = secs;
            }
            "--client-id" => config.client_id = value()?,
            "--client-secret" => config.client_secret = value()?,
            "--token-lifetime-secs" => config.knobs.token_lifetime_secs = number(&flag, &value()?)?,
            "--callback-signing-secret" => config.callback_signing_secret = Some(value()?),
            "--catalogue" => catalogue = Some(PathBuf::from(value()?)),
            "--latency-ms" => config.knobs.latency_ms = number(&flag, &value()?)?,
            "--rate-429" => config.knobs.rate_429 = number(&flag, &value()?)?,
            "--rate-503" => config.knobs.rate_503 = number(&flag, &value()?)?,
            "--retry-after-secs" => config.knobs.retry_after_secs = number(&flag, &value()?)?,
            "--rate-limited-first" => config.knobs.rate_limited_first = number(&flag, &value()?)?,
            "--seed" => config.knobs.seed = Some(number(&flag, &value()?)?),
            _ => return Err(format!("unknown option {arg}")),
        }
    }
    if let Err(problems) = config.knobs.validate() {
        let messages: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        return Err(messages.join("; "));
    }
    Ok(Command::Run {
        config: Box::new(config),
        catalogue,
    })
}

fn main() -> ExitCode {
    let (mut config, catalogue) = match parse_args(std::env::args().skip(1)) {
        Ok(Command::Run { config, catalogue }) => (*config, catalogue),
        Ok(Command::Help) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Ok(Command::Version) => {
            println!("cxone-emulator {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Err(message) => {
            eprintln!("cxone-emulator: {message}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    if let Some(path) = catalogue {
        match Catalogue::builtin().extend_from_file(&path) {
            Ok(catalogue) => config.catalogue = catalogue,
            Err(e) => {
                eprintln!("cxone-emulator: {e}");
                return ExitCode::from(2);
            }
        }
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("cxone-emulator: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    runtime.block_on(run(config))
}

async fn run(config: Config) -> ExitCode {
    let verbose = config.verbose;
    let server = match start(config).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("cxone-emulator: {e}");
            return ExitCode::from(1);
        }
    };
    // Watch the signals before announcing the URL: a SIGTERM sent right after the line must
    // stop the server cleanly, not kill it.
    let stop = stop_signal();
    {
        let mut out = std::io::stdout().lock();
        // A closed stdout must not stop the server; the URL is also on stderr when verbose.
        let _ = writeln!(out, "cxone-emulator listening on {}", server.url());
        let _ = out.flush();
    }
    if verbose {
        eprintln!(
            "cxone-emulator: serving {} (default port {DEFAULT_PORT})",
            server.url()
        );
    }
    stop.await;
    if verbose {
        eprintln!("cxone-emulator: shutting down");
    }
    server.shutdown().await;
    ExitCode::SUCCESS
}

/// Resolves on SIGINT or SIGTERM; both are watched from the moment this is called.
#[cfg(unix)]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    async move {
        match (term, int) {
            (Ok(mut term), Ok(mut int)) => {
                tokio::select! {
                    _ = int.recv() => {}
                    _ = term.recv() => {}
                }
            }
            (term, int) => {
                for e in [term.err(), int.err()].into_iter().flatten() {
                    eprintln!("cxone-emulator: cannot watch a stop signal ({e}); stop with Ctrl-C");
                }
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
}

#[cfg(not(unix))]
fn stop_signal() -> impl std::future::Future<Output = ()> {
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults() {
        let Ok(Command::Run { config, catalogue }) = parse_args(args(&[])) else {
            panic!("not run")
        };
        assert_eq!(config.port, 9797);
        assert_eq!(config.host.to_string(), "127.0.0.1");
        assert_eq!(config.client_id, "demo-client");
        assert_eq!(config.client_secret, "demo-secret");
        assert_eq!(config.knobs.token_lifetime_secs, 3600);
        assert!(!config.verbose);
        assert!(catalogue.is_none());
        assert_eq!(config.profile, cxone_emulator::Profile::CxoneSeed);
    }

    #[test]
    fn profile_options() {
        let parsed = parse_args(args(&[
            "--profile=cxone",
            "--access-key-id",
            "ak",
            "--access-key-secret",
            "as",
            "--tenant-id",
            "t-1",
            "--api-base",
            "http://127.0.0.1:1/",
            "--refresh-token-lifetime-secs",
            "7",
        ]));
        let Ok(Command::Run { config, .. }) = parsed else {
            panic!("not run")
        };
        assert_eq!(config.profile, cxone_emulator::Profile::Cxone);
        assert_eq!(
            (
                config.access_key_id.as_str(),
                config.access_key_secret.as_str(),
                config.tenant_id.as_str()
            ),
            ("ak", "as", "t-1")
        );
        assert_eq!(config.api_base.as_deref(), Some("http://127.0.0.1:1/"));
        assert_eq!(config.refresh_token_lifetime_secs, 7);
        let Ok(Command::Run { config, .. }) = parse_args(args(&["--profile", "genesys-cloud"]))
        else {
            panic!("not run")
        };
        assert_eq!(config.profile, cxone_emulator::Profile::GenesysCloud);
    }

    #[test]
    fn every_option() {
        let parsed = parse_args(args(&[
            "--port",
            "0",
            "--host=0.0.0.0",
            "--client-id",
            "c",
            "--client-secret",
            "s",
            "--token-lifetime-secs",
            "1",
            "--callback-signing-secret",
            "whsec_AAAA",
            "--catalogue",
            "x.json",
            "--latency-ms",
            "5",
            "--rate-429",
            "0.1",
            "--rate-503=0.2",
            "--retry-after-secs",
            "3",
            "--rate-limited-first",
            "4",
            "--seed",
            "9",
            "--verbose",
        ]));
        let Ok(Command::Run { config, catalogue }) = parsed else {
            panic!("not run")
        };
        assert_eq!(config.port, 0);
        assert_eq!(config.host.to_string(), "0.0.0.0");
        assert_eq!(
            (config.client_id.as_str(), config.client_secret.as_str()),
            ("c", "s")
        );
        assert_eq!(config.knobs.token_lifetime_secs, 1);
        assert_eq!(
            config.callback_signing_secret.as_deref(),
            Some("whsec_AAAA")
        );
        assert_eq!(catalogue, Some(PathBuf::from("x.json")));
        assert_eq!(config.knobs.latency_ms, 5);
        assert_eq!(config.knobs.rate_429, 0.1);
        assert_eq!(config.knobs.rate_503, 0.2);
        assert_eq!(config.knobs.retry_after_secs, 3);
        assert_eq!(config.knobs.rate_limited_first, 4);
        assert_eq!(config.knobs.seed, Some(9));
        assert!(config.verbose);
    }

    #[test]
    fn bad_input_is_an_error() {
        for bad in [
            &["--port"][..],
            &["--port", "x"],
            &["--port", "70000"],
            &["--host", "localhost:1"],
            &["--rate-429", "1.5"],
            &["--rate-429", "0.7", "--rate-503", "0.7"],
            &["--frobnicate"],
            &["--verbose=yes"],
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?} was accepted");
        }
        for bad in [
            &["--profile", "genesys"][..],
            &["--profile"],
            &["--api-base", "api.example.com"],
            &["--refresh-token-lifetime-secs", "-1"],
            &["--refresh-token-lifetime-secs", "31536001"],
        ] {
            assert!(parse_args(args(bad)).is_err(), "{bad:?} was accepted");
        }
        assert!(matches!(parse_args(args(&["--help"])), Ok(Command::Help)));
        assert!(matches!(parse_args(args(&["-V"])), Ok(Command::Version)));
    }
}
