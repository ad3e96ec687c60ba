//! Secrets left in the image: private keys, cloud and registry credentials, tokens.
//!
//! Two kinds of evidence, both reported as a kind and a location only, never the secret (not even
//! a prefix: a finding is printed, logged and kept in CI artefacts):
//! - **By path**: credential files the CLIs write, non-empty: `~/.aws/credentials` (AWS CLI),
//!   `~/.azure/` token caches (`accessTokens.json`, `msal_token_cache.*`,
//!   `service_principal_entries.json`), gcloud's `~/.config/gcloud/` credential stores,
//!   `~/.git-credentials` (git-credential-store(1)), `~/.netrc` (ftp(1)/curl), `~/.pgpass`
//!   (libpq), and `~/.docker/config.json` when an `auths` entry carries `auth` or
//!   `identitytoken` (a `credsStore` keeps them out of the file).
//! - **By content**: well-known token shapes (gitleaks' rules) and PEM/OpenSSH private key
//!   headers, in the files of every interactive home (uid 0, uid ≥ 1000, orphans under /home)
//!   down to depth 2 (`~/.ssh/id_rsa`, `~/.aws/credentials`), and in the system-wide
//!   environment and profile files (/etc/environment, /etc/profile, /etc/profile.d/*,
//!   /etc/bash.bashrc, /etc/zsh/zshenv, /etc/zsh/zprofile).
//!
//! /etc/ssh is never scanned (host keys are their own check), nor are /tmp and /var/tmp (they
//! must be empty: a leftovers check). Content is matched as bytes, so a binary file is scanned
//! too; a file larger than [`super::SCAN_LIMIT`] is not read and is recorded as skipped.

use std::sync::LazyLock;

use regex::bytes::Regex;
use serde::Serialize;

use super::{Home, SCAN_LIMIT, Scan, Skip, walk};
use crate::facts::{FactError, Source};
use crate::rootfs::{Kind, RootFs, RootFsError};

/// One secret: what kind, and where.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, PartialOrd, Ord, schemars::JsonSchema)]
pub struct Secret {
    /// In-image path.
    pub path: String,
    /// 1-based line, when one line holds it.
    pub line: Option<u32>,
    /// `private-key`, `aws-access-key-id`, `aws-secret-access-key`, `github-token`,
    /// `gitlab-token`, `slack-token`, `google-api-key`, `aws-credentials-file`,
    /// `azure-credentials`, `gcloud-credentials`, `git-credentials`, `netrc`, `pgpass`,
    /// `docker-auth`.
    pub kind: String,
    /// The file (and line).
    pub source: Source,
}

/// Content patterns: (kind, regex). Bounded quantifiers only; anchored on the token prefixes
/// their issuers document.
static PATTERNS: LazyLock<Vec<(&'static str, Regex)>> = LazyLock::new(|| {
    [
        // PEM (RFC 7468) and OpenSSH private key armour, encrypted or not.
        (
            "private-key",
            r"-----BEGIN ((RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP) )?PRIVATE KEY( BLOCK)?-----",
        ),
        // AWS access key ids: AKIA (long-term), ASIA (STS), and the other documented prefixes.
        (
            "aws-access-key-id",
            r"\b(AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}\b",
        ),
        (
            "aws-secret-access-key",
            r"(?i)aws_secret_access_key\s*[=:]\s*[A-Za-z0-9/+=]{40}",
        ),
        // GitHub classic (ghp_, gho_, ghu_, ghs_, ghr_) and fine-grained tokens.
        (
            "github-token",
            r"\b(gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{82})\b",
        ),
        ("gitlab-token", r"\bglpat-[A-Za-z0-9_-]{20}\b"),
        ("slack-token", r"\bxox[abposr]-[A-Za-z0-9-]{10,100}"),
        ("google-api-key", r"\bAIza[0-9A-Za-z_-]{35}\b"),
    ]
    .into_iter()
    .filter_map(|(k, re)| Regex::new(re).ok().map(|r| (k, r)))
    .collect()
});

/// Kinds and 1-based lines of every secret in `data`, one finding per kind and line.
pub fn scan_bytes(data: &[u8]) -> Vec<(u32, &'static str)> {
    let mut out = Vec::new();
    for (kind, re) in PATTERNS.iter() {
        for m in re.find_iter(data) {
            let line = crate::text::line_at(data, m.start());
            let line = u32::try_from(line).unwrap_or(u32::MAX);
            if !out.contains(&(line, *kind)) {
                out.push((line, *kind));
            }
        }
    }
    out.sort();
    out
}

/// Whether a docker config.json holds credentials: an `auths` entry with a non-empty `auth` or
/// `identitytoken`. Returns the line of the first such key. Unparsable JSON counts as holding
/// them (docker would refuse it too; we cannot vouch for it).
pub fn docker_auth_line(text: &str) -> Option<u32> {
    let v: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return Some(1),
    };
    let auths = v.get("auths")?.as_object()?;
    let has = auths.values().any(|a| {
        ["auth", "identitytoken"]
            .iter()
            .any(|k| a.get(*k).and_then(|x| x.as_str()).is_some_and(|s| !s.is_empty()))
    });
    if !has {
        return None;
    }
    let line = text
        .lines()
        .position(|l| l.contains("\"auth\"") || l.contains("\"identitytoken\""))
        .map_or(1, |i| i + 1);
    Some(u32::try_from(line).unwrap_or(u32::MAX))
}

/// Credential files by path, relative to a home: (relative path, kind).
const CREDENTIAL_FILES: &[(&str, &str)] = &[
    (".aws/credentials", "aws-credentials-file"),
    (".azure/accessTokens.json", "azure-credentials"),
    (".azure/msal_token_cache.json", "azure-credentials"),
    (".azure/msal_token_cache.bin", "azure-credentials"),
    (".azure/service_principal_entries.json", "azure-credentials"),
    (".config/gcloud/credentials.db", "gcloud-credentials"),
    (".config/gcloud/access_tokens.db", "gcloud-credentials"),
    (
        ".config/gcloud/application_default_credentials.json",
        "gcloud-credentials",
    ),
    (".config/gcloud/legacy_credentials", "gcloud-credentials"),
    (".git-credentials", "git-credentials"),
    (".netrc", "netrc"),
    (".pgpass", "pgpass"),
];

/// System-wide environment and profile files scanned for tokens.
const SYSTEM_FILES: &[&str] = &[
    "/etc/environment",
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/zsh/zshenv",
    "/etc/zsh/zprofile",
];

/// Scans the homes and the system profile files.
pub fn collect(fs: &RootFs, homes: &[Home]) -> Result<Scan<Secret>, FactError> {
    let mut scan = Scan::default();
    let mut files: Vec<String> = SYSTEM_FILES.iter().map(|s| (*s).to_owned()).collect();
    let (profile_d, skipped) = walk(fs, "/etc/profile.d", 1, false)?;
    scan.skipped.extend(skipped);
    files.extend(profile_d.into_iter().map(|(p, _)| p));
    for h in homes {
        let dir = h.dir.trim_end_matches('/');
        for (rel, kind) in CREDENTIAL_FILES {
            let path = format!("{dir}/{rel}");
            // A non-empty file, or for gcloud's legacy_credentials a directory with entries.
            let present = match fs.symlink_metadata(&path)? {
                Some(m) if m.kind == Kind::File => m.size > 0,
                Some(m) if m.kind == Kind::Directory => fs.read_dir(&path)?.is_some_and(|e| !e.is_empty()),
                _ => false,
            };
            if present {
                scan.found.push(Secret {
                    source: Source::file(&path),
                    path,
                    line: None,
                    kind: (*kind).to_owned(),
                });
            }
        }
        let docker = format!("{dir}/.docker/config.json");
        if let Some(text) = read_or_skip(fs, &docker, &mut scan.skipped)?
            && let Some(line) = docker_auth_line(&crate::names::text(&text))
        {
            scan.found.push(Secret {
                source: Source::at(&docker, line),
                path: docker,
                line: Some(line),
                kind: "docker-auth".into(),
            });
        }
        if h.interactive {
            let (found, skipped) = walk(fs, dir, 2, false)?;
            scan.skipped.extend(skipped);
            files.extend(found.into_iter().map(|(p, _)| p));
        }
    }
    files.sort();
    files.dedup();
    for path in files {
        let Some(data) = read_or_skip(fs, &path, &mut scan.skipped)? else {
            continue;
        };
        for (line, kind) in scan_bytes(&data) {
            scan.found.push(Secret {
                source: Source::at(&path, line),
                path: path.clone(),
                line: Some(line),
                kind: kind.to_owned(),
            });
        }
    }
    scan.found.sort();
    scan.found.dedup();
    scan.skipped.sort();
    Ok(scan)
}

/// Reads a file for scanning; too large or unreadable → recorded as skipped; absent → `None`.
fn read_or_skip(fs: &RootFs, path: &str, skipped: &mut Vec<Skip>) -> Result<Option<Vec<u8>>, FactError> {
    match fs.read_bytes_limited(path, SCAN_LIMIT) {
        Ok(v) => Ok(v),
        Err(RootFsError::TooLarge { .. }) => {
            skipped.push(Skip {
                path: path.to_owned(),
                reason: format!("larger than the {SCAN_LIMIT}-byte scan limit: not scanned"),
            });
            Ok(None)
        }
        // Not a regular file (a FIFO, a socket): nothing to scan.
        Err(RootFsError::WrongKind { .. }) => Ok(None),
        Err(e @ RootFsError::PermissionDenied { .. }) => {
            skipped.push(Skip {
                path: path.to_owned(),
                reason: e.to_string(),
            });
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn openssh_and_pem_headers_are_private_keys_but_public_ones_are_not() {
        let f = scan_bytes(b"x\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3Blbn\n-----BEGIN PUBLIC KEY-----\n-----BEGIN PRIVATE KEY-----\n");
        assert_eq!(f, vec![(2, "private-key"), (5, "private-key")]);
    }

    #[test]
    fn aws_key_id_needs_its_prefix_and_exact_length() {
        assert_eq!(
            scan_bytes(b"export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"),
            vec![(1, "aws-access-key-id")]
        );
        assert!(scan_bytes(b"AKIAIOSFODNN7EXAMPLEXX\n").is_empty());
        assert!(scan_bytes(b"AKIA-short\n").is_empty());
    }

    #[test]
    fn aws_secret_is_found_by_its_ini_key() {
        let f = scan_bytes(b"[default]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n");
        assert_eq!(f, vec![(2, "aws-secret-access-key")]);
    }

    #[test]
    fn github_classic_and_fine_grained_tokens() {
        let classic = format!("GITHUB_TOKEN=ghp_{}\n", "a".repeat(36));
        assert_eq!(scan_bytes(classic.as_bytes()), vec![(1, "github-token")]);
        let fine = format!("x\ngithub_pat_{}\n", "B".repeat(82));
        assert_eq!(scan_bytes(fine.as_bytes()), vec![(2, "github-token")]);
        assert!(scan_bytes(b"ghp_tooshort\n").is_empty());
    }

    #[test]
    fn binary_content_is_scanned_too() {
        let mut data = vec![0u8, 1, 2, b'\n'];
        data.extend_from_slice(b"-----BEGIN RSA PRIVATE KEY-----");
        assert_eq!(scan_bytes(&data), vec![(2, "private-key")]);
    }

    #[test]
    fn docker_config_with_creds_store_only_holds_no_secret() {
        assert_eq!(
            docker_auth_line(r#"{"credsStore": "ecr-login", "auths": {"x": {}}}"#),
            None
        );
        let with =
            "{\n  \"auths\": {\n    \"registry.example.com\": {\n      \"auth\": \"dXNlcjpwYXNz\"\n    }\n  }\n}\n";
        assert_eq!(docker_auth_line(with), Some(4));
        assert_eq!(docker_auth_line("{not json"), Some(1));
    }
}
