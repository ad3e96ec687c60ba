//! Default and weak passwords: every usable hash in /etc/shadow is tried against [`DEFAULTS`] and
//! the account's own name variants, with the hash's own scheme (crypt(5): yescrypt `$y$`,
//! sha512crypt `$6$`, sha256crypt `$5$`, md5crypt `$1$`, bcrypt `$2a$/$2b$/$2y$`, traditional DES).
//!
//! Bounded, and deterministic: each account gets [`BUDGET_US`] microseconds of work, about one
//! second on two cores (the candidates are split between two threads). The cost of one
//! verification is computed from the parameters the hash declares ([`cost_us`], calibrated on a
//! loaded 2-core x86-64 machine: yescrypt `j9T` ≈ 70 ms, sha512crypt at 5000 rounds ≈ 3.5 ms,
//! bcrypt cost 5 ≈ 4 ms), so the number of candidates tried — most likely first — depends on the
//! hash alone, never on the machine's load. Every default-cost yescrypt, sha-crypt, md5crypt and
//! DES hash gets the whole list; a costlier hash (bcrypt cost 10 and above, raised `rounds=`, a
//! larger yescrypt) gets what fits. A hash whose declared cost is beyond the bounds
//! ([`MAX_SHA_ROUNDS`], [`MAX_BCRYPT_COST`], yescrypt memory above 64 MiB or with optional
//! parameters) is not tried at all.
//!
//! An account whose list was cut, or whose scheme cannot be verified here (scrypt `$7$`,
//! gost-yescrypt, NT hash, …), was not checked: when no account was found with a weak password the
//! whole fact is then an error naming those accounts and how many of the candidates were tried —
//! never a pass.
//!
//! A found password is never kept, printed or put in evidence: the fact holds the account name and
//! the shadow line only.

use std::sync::atomic::{AtomicBool, Ordering};

use yescrypt::{PasswordHashRef, PasswordVerifier, Yescrypt};

use super::{Fact, FactError, Source};

/// Work allowed per account, in microseconds of one core: one second on each of two cores.
pub const BUDGET_US: u64 = 2_000_000;

/// Largest sha-crypt `rounds=` tried (the default is 5000; one verification at 100 000 rounds
/// takes tens of milliseconds).
pub const MAX_SHA_ROUNDS: u64 = 100_000;

/// Largest bcrypt cost tried (cost 12 is about a quarter of a second per verification).
pub const MAX_BCRYPT_COST: u32 = 12;

/// Largest yescrypt `N·r` tried: 2^19 blocks of 128 bytes, 64 MiB (Debian's `j9T` uses 16 MiB).
const MAX_YESCRYPT_NR: u64 = 1 << 19;

/// Vendor and installer defaults and the most common passwords, most likely first. The account's
/// own name variants ([`candidates`]) come before these.
pub const DEFAULTS: &[&str] = &[
    "password",
    "123456",
    "changeme",
    "root",
    "admin",
    "toor",
    "ubuntu",
    "centos",
    "ec2-user",
    "debian",
    "vagrant",
    "raspberry",
    "12345678",
    "1234",
    "passw0rd",
    "Password1",
    "admin123",
    "qwerty",
    "letmein",
    "default",
];

/// The candidates for one account, most likely first, without duplicates: the name, name+123,
/// name+1, the name capitalised, then [`DEFAULTS`].
pub fn candidates(name: &str) -> Vec<String> {
    let mut cap = name.to_owned();
    if let Some(f) = cap.get_mut(0..1) {
        f.make_ascii_uppercase();
    }
    let mut out: Vec<String> = Vec::new();
    let own = [name.to_owned(), format!("{name}123"), format!("{name}1"), cap];
    for c in own.into_iter().chain(DEFAULTS.iter().map(|s| (*s).to_owned())) {
        if !c.is_empty() && !out.contains(&c) {
            out.push(c);
        }
    }
    out
}

/// How one account's hash is verified, and what one verification costs (microseconds of one
/// core, from the hash's declared parameters).
struct Scheme {
    yescrypt: bool,
    cost_us: u64,
}

/// Why a hash cannot be tried: its parameters are malformed or above the bounds that keep one
/// verification cheap, or its scheme is not one verified here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// yescrypt with the optional fields p, t or g.
    #[error("yescrypt with optional parameters is not tried")]
    YescryptOptional,
    /// yescrypt parameters that do not parse.
    #[error("malformed yescrypt parameters")]
    YescryptParams,
    /// yescrypt above [`MAX_YESCRYPT_NR`] (or with parallelism).
    #[error("yescrypt cost above the bound (64 MiB)")]
    YescryptCost,
    /// A `rounds=` that is not a number.
    #[error("malformed rounds=")]
    Rounds,
    /// sha256crypt/sha512crypt rounds above [`MAX_SHA_ROUNDS`].
    #[error("rounds={0} is above the bound ({MAX_SHA_ROUNDS})")]
    RoundsAbove(u64),
    /// A bcrypt cost that is not two digits.
    #[error("malformed bcrypt cost")]
    BcryptCost,
    /// A bcrypt cost above [`MAX_BCRYPT_COST`].
    #[error("bcrypt cost {0} is above the bound ({MAX_BCRYPT_COST})")]
    BcryptAbove(u32),
    /// A scheme with no verifier here.
    #[error("this hash scheme cannot be verified here")]
    Unsupported,
    /// The hash itself does not parse (the verifier's message).
    #[error("malformed {scheme}hash{}", detail.as_ref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Malformed {
        /// `"yescrypt "` or empty.
        scheme: &'static str,
        /// The verifier's message, when it gives one.
        detail: Option<String>,
    },
}

/// The estimated cost of one verification of `hash`, in microseconds of one core, or why it
/// cannot be tried.
pub fn cost_us(hash: &str) -> Result<u64, HashError> {
    scheme(hash).map(|s| s.cost_us)
}

/// The verifier for `hash`, or why it cannot be tried.
fn scheme(hash: &str) -> Result<Scheme, HashError> {
    let crypt = |cost_us| {
        Ok(Scheme {
            yescrypt: false,
            cost_us,
        })
    };
    if let Some(rest) = hash.strip_prefix("$y$") {
        let params = rest.split('$').next().unwrap_or("");
        // The base form `flavor Nlog2 r`; optional fields (p, t, g) can make one verification
        // arbitrarily long.
        if params.len() > 3 {
            return Err(HashError::YescryptOptional);
        }
        let p: yescrypt::Params = params.parse().map_err(|_| HashError::YescryptParams)?;
        let nr = p.n().saturating_mul(u64::from(p.r()));
        if nr > MAX_YESCRYPT_NR || p.p() > 1 {
            return Err(HashError::YescryptCost);
        }
        // j9T (N·r = 2^17): about 70 ms.
        return Ok(Scheme {
            yescrypt: true,
            cost_us: (nr / 2).max(1),
        });
    }
    if let Some(rest) = hash.strip_prefix("$5$").or_else(|| hash.strip_prefix("$6$")) {
        let mut rounds = 5000;
        if let Some(r) = rest.strip_prefix("rounds=") {
            rounds = r
                .split('$')
                .next()
                .and_then(|n| n.parse().ok())
                .ok_or(HashError::Rounds)?;
            if rounds > MAX_SHA_ROUNDS {
                return Err(HashError::RoundsAbove(rounds));
            }
        }
        // glibc clamps rounds to at least 1000; 5000 rounds of sha512crypt: about 3.5 ms.
        return crypt(rounds.max(1000) * 7 / 10);
    }
    if hash.starts_with("$1$") {
        return crypt(200);
    }
    for id in ["$2a$", "$2b$", "$2y$"] {
        if let Some(rest) = hash.strip_prefix(id) {
            let cost: u32 = rest
                .get(..2)
                .and_then(|c| c.parse().ok())
                .ok_or(HashError::BcryptCost)?;
            if cost > MAX_BCRYPT_COST {
                return Err(HashError::BcryptAbove(cost));
            }
            // Cost 5: about 4 ms.
            return crypt(130 << cost);
        }
    }
    if super::accounts::hash_algorithm(hash) == Some("descrypt") {
        return crypt(10);
    }
    Err(HashError::Unsupported)
}

/// Whether `password` matches `hash`; `Err` when the hash is malformed.
fn verify(scheme: &Scheme, password: &str, hash: &str) -> Result<bool, HashError> {
    let malformed = |scheme, detail| HashError::Malformed { scheme, detail };
    match scheme.yescrypt {
        true => {
            let h = PasswordHashRef::new(hash).map_err(|_| malformed("yescrypt ", None))?;
            match Yescrypt::default().verify_password(password.as_bytes(), h) {
                Ok(()) => Ok(true),
                Err(yescrypt::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(e) => Err(malformed("yescrypt ", Some(e.to_string()))),
            }
        }
        false => {
            let c = pwhash::unix::crypt(password, hash).map_err(|e| malformed("", Some(e.to_string())))?;
            Ok(c.len() == hash.len() && c.bytes().zip(hash.bytes()).fold(0u8, |a, (x, y)| a | (x ^ y)) == 0)
        }
    }
}

/// The outcome for one account.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A candidate matched.
    Weak,
    /// Every candidate was tried; none matched.
    Checked,
    /// Not (fully) checked: why, and how many candidates were tried.
    Unchecked {
        /// Why.
        why: String,
        /// Candidates tried.
        tried: usize,
        /// Candidates in the list.
        of: usize,
    },
}

/// Tries `name`'s candidates against `hash`, as many as fit in `budget_us` (see [`cost_us`]), on
/// two threads.
pub fn try_account(name: &str, hash: &str, budget_us: u64) -> Outcome {
    let list = candidates(name);
    let of = list.len();
    let s = match scheme(hash) {
        Ok(s) => s,
        Err(why) => {
            return Outcome::Unchecked {
                why: why.to_string(),
                tried: 0,
                of,
            };
        }
    };
    let fit = usize::try_from(budget_us / s.cost_us.max(1))
        .unwrap_or(usize::MAX)
        .min(of);
    let tried = &list[..fit];
    let found = AtomicBool::new(false);
    // Each thread takes every other candidate; the first malformed-hash error wins.
    let run = |offset: usize| -> Result<(), HashError> {
        for c in tried.iter().skip(offset).step_by(2) {
            if found.load(Ordering::Relaxed) {
                return Ok(());
            }
            if verify(&s, c, hash)? {
                found.store(true, Ordering::Relaxed);
            }
        }
        Ok(())
    };
    let (other, mine) = super::side_by_side("passwords", || run(1), || run(0));
    let other = other.unwrap_or_else(|| run(1));
    if found.load(Ordering::Relaxed) {
        return Outcome::Weak;
    }
    if let Err(why) = mine.and(other) {
        return Outcome::Unchecked {
            why: why.to_string(),
            tried: 0,
            of,
        };
    }
    if fit < of {
        return Outcome::Unchecked {
            why: format!(
                "one verification costs about {} ms: the whole list does not fit in the budget of {} s on 2 cores",
                s.cost_us / 1000,
                BUDGET_US / 2_000_000
            ),
            tried: fit,
            of,
        };
    }
    Outcome::Checked
}

/// The accounts of `shadow` (its text, read from `path`) with a default or weak password: the
/// account name and its line. Locked and empty fields are skipped (other rules judge them). An
/// error when nothing weak was found but some account could not be fully checked.
pub fn weak_passwords(path: &str, shadow: &str, budget_us: u64) -> Result<Vec<Fact<String>>, FactError> {
    let mut weak = Vec::new();
    let mut unchecked = Vec::new();
    for (i, l) in shadow.lines().enumerate() {
        let l = l.trim_end_matches('\r');
        if l.starts_with('#') || l.starts_with('+') || l.starts_with('-') {
            continue;
        }
        let mut f = l.split(':');
        let (Some(name), Some(hash)) = (f.next(), f.next()) else {
            continue;
        };
        if super::accounts::password_state(hash) != "hash" {
            continue;
        }
        match try_account(name, hash, budget_us) {
            Outcome::Weak => weak.push(Fact::new(name.to_owned(), Source::at(path, i as u32 + 1))),
            Outcome::Checked => {}
            Outcome::Unchecked { why, tried, of } => {
                unchecked.push(format!(
                    "{name} ({path}:{}): {why}, {tried} of {of} candidates tried",
                    i + 1
                ));
            }
        }
    }
    if weak.is_empty() && !unchecked.is_empty() {
        return Err(FactError::Invalid(format!(
            "not every account could be checked for a default password: {}",
            unchecked.join("; ")
        )));
    }
    Ok(weak)
}

#[cfg(test)]
mod tests {
    use super::*;

    // Made with Python's crypt module on Debian 12 (libxcrypt 4.4.33), password "changeme".
    pub const VECTORS: &[(&str, &str)] = &[
        (
            "yescrypt",
            "$y$j9T$Vn1X3kSNdpSmhK3dmRe1B0$zfd7AlvV5H6P575MYP1kd2TitP595ifiMq6ybVz8HE0",
        ),
        (
            "yescrypt-j7T",
            "$y$j7T$abcdefghijklmnop$7sowIeL67ffmgmlCyDnUzGWtTmv8Y6ujiI3AmCNOIY2",
        ),
        (
            "sha512crypt",
            "$6$saltsalt$XfDjcODbNwh18F961gnY3h57N.LVD8n2SQ1Me6kjP7kHT6Gw.3k62XiIDH0H5JIpBtLyKwQqeisy0oi3As7q3.",
        ),
        ("sha256crypt", "$5$saltsalt$74dVsEHLiRaw5YYUF8vRkSTueSLOrG.gounlctdxFrD"),
        ("md5crypt", "$1$saltsalt$0.q6JNzsU9zLV7TEWk0uw1"),
        ("bcrypt", "$2b$05$abcdefghijklmnopqrstuuZpG8uxhUMXYyRiRoTQtujVv2v76mJQi"),
        ("descrypt", "abFhv6zf9FaNs"),
    ];

    #[test]
    fn each_scheme_verifies_a_vector_made_by_libxcrypt() {
        for (what, h) in VECTORS {
            let s = scheme(h).unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(verify(&s, "changeme", h), Ok(true), "{what}");
            assert_eq!(verify(&s, "changemf", h), Ok(false), "{what}");
        }
    }

    #[test]
    fn a_default_password_is_found_and_never_shown() {
        let text = format!(
            "root:{}:19000:0:99999:7:::\nbin:*:19000:0:99999:7:::\nubuntu:$6$xyz$/PjHgSopXquVv/hWsgTCJ1L6pbxKcyH6gQKBBReCONNws8x52d0DGIRRc6vRSyHIddMNBeAvWSEeoFZGWwh/8/:19000:0:99999:7:::\n",
            VECTORS[2].1
        );
        let w = weak_passwords("/etc/shadow", &text, BUDGET_US).unwrap();
        let names: Vec<_> = w.iter().map(|f| (f.value.as_str(), f.source.line)).collect();
        assert_eq!(names, [("root", Some(1)), ("ubuntu", Some(3))]);
        let shown = format!("{w:?}");
        assert!(!shown.contains("changeme") && !shown.contains("ubuntu123"), "{shown}");
    }

    #[test]
    fn a_strong_password_passes_only_after_every_candidate() {
        // A well-formed sha256crypt hash that no candidate produces.
        let text = "root:$5$saltsalt$0000000000000000000000000000000000000000000:19000:0:99999:7:::\n";
        assert_eq!(weak_passwords("/etc/shadow", text, BUDGET_US).unwrap().len(), 0);
        assert_eq!(
            try_account(
                "root",
                "$5$saltsalt$0000000000000000000000000000000000000000000",
                BUDGET_US
            ),
            Outcome::Checked
        );
    }

    #[test]
    fn a_cut_list_or_an_unverifiable_scheme_is_an_error_naming_the_account() {
        let text = "svc:$5$saltsalt$0000000000000000000000000000000000000000000:19000:0:99999:7:::\n";
        let e = weak_passwords("/etc/shadow", text, 4000).unwrap_err().to_string();
        assert!(e.contains("svc (/etc/shadow:1): one verification costs about 3 ms: the whole list does not fit in the budget of 1 s on 2 cores, 1 of 24 candidates tried"), "{e}");
        for h in [
            "$6$rounds=999999999$salt$x",
            "$2b$31$abcdefghijklmnopqrstuu",
            "$7$abc$def",
            "$y$jFT$a$b",
        ] {
            let text = format!("svc:{h}:19000:0:99999:7:::\n");
            let e = weak_passwords("/etc/shadow", &text, BUDGET_US).unwrap_err().to_string();
            assert!(e.contains("0 of"), "{h}: {e}");
        }
    }

    #[test]
    fn hashes_above_the_bounds_are_typed_errors() {
        assert_eq!(
            cost_us("$6$rounds=999999999$salt$x"),
            Err(HashError::RoundsAbove(999_999_999))
        );
        assert_eq!(
            cost_us("$2b$31$abcdefghijklmnopqrstuu"),
            Err(HashError::BcryptAbove(31))
        );
        assert_eq!(cost_us("$6$rounds=many$salt$x"), Err(HashError::Rounds));
        assert_eq!(cost_us("$7$abc$def"), Err(HashError::Unsupported));
        assert_eq!(
            HashError::RoundsAbove(999_999_999).to_string(),
            "rounds=999999999 is above the bound (100000)"
        );
    }

    #[test]
    fn default_costs_get_the_whole_list_and_costlier_hashes_a_counted_part() {
        let of = candidates("ubuntu").len() as u64;
        for (what, h) in VECTORS {
            assert!(cost_us(h).unwrap() * of <= BUDGET_US, "{what}");
        }
        // Debian's mkpasswd -m bcrypt default is cost 5; cost 12 leaves room for a few only.
        let h = "$2b$12$abcdefghijklmnopqrstuuZpG8uxhUMXYyRiRoTQtujVv2v76mJQi";
        match try_account("svc", h, BUDGET_US) {
            Outcome::Unchecked { tried, of, .. } => assert_eq!((tried, of), (3, 24)),
            o => panic!("{o:?}"),
        }
    }

    #[test]
    fn name_variants_come_first_without_duplicates() {
        let c = candidates("admin");
        assert_eq!(&c[..4], ["admin", "admin123", "admin1", "Admin"]);
        assert_eq!(c.iter().filter(|c| *c == "admin").count(), 1);
    }
}
