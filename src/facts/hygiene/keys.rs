//! SSH host keys baked into the image, and keys left in `authorized_keys` files.
//!
//! Host keys: the files sshd(8) generates and reads by default, `/etc/ssh/ssh_host_*_key` and
//! their `.pub` halves (`ssh-keygen -A`). A private key in an image is shared by every instance
//! booted from it; cloud images delete them and let the first boot regenerate them.
//!
//! authorized_keys: sshd(8) "AUTHORIZED_KEYS FILE FORMAT": one key per line, `#` comments and
//! blank lines ignored, each line `[options] keytype base64-key [comment]`, where options are
//! comma-separated and may hold double-quoted strings with spaces. The files read are sshd's
//! default `AuthorizedKeysFile .ssh/authorized_keys .ssh/authorized_keys2` in each home. Each key
//! carries its SHA256 fingerprint as `ssh-keygen -lf` prints it (`SHA256:` + unpadded base64 of
//! the SHA-256 of the decoded key blob), so an allow-list can name keys the way users see them.
//! A line that is not a key is kept with type `unparsed` and no fingerprint: it cannot be
//! allow-listed, so it is never silently accepted.

use serde::Serialize;

use super::Home;
use crate::facts::{FactError, Source};
use crate::rootfs::{Kind, RootFs};

/// One host key file.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct HostKey {
    /// In-image path.
    pub path: String,
    /// A private key (`ssh_host_*_key`), not a `.pub`.
    pub private: bool,
    /// Permission bits.
    pub mode: u32,
    /// Owner uid.
    pub uid: u32,
    /// The file.
    pub source: Source,
}

/// One key in an authorized_keys file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
pub struct AuthorizedKey {
    /// The account whose home holds the file (`null` for an orphan home under /home).
    pub user: Option<String>,
    /// In-image path of the file.
    pub path: String,
    /// 1-based line.
    pub line: u32,
    /// Key type (`ssh-ed25519`, …), or `unparsed`.
    pub key_type: String,
    /// `SHA256:…` as `ssh-keygen -lf` prints it; `null` when the line is not a key.
    pub fingerprint: Option<String>,
    /// The comment after the key (`packer_6566…`, `user@host`), if any.
    pub comment: Option<String>,
    /// The file and line.
    pub source: Source,
}

/// Host key files under /etc/ssh.
pub fn host_keys(fs: &RootFs) -> Result<Vec<HostKey>, FactError> {
    let mut out = Vec::new();
    for path in fs.glob("/etc/ssh/ssh_host_*key*")? {
        let Some(m) = fs.symlink_metadata(&path)? else { continue };
        let name = path.rsplit('/').next().unwrap_or_default();
        let private = name.ends_with("_key");
        if !(private || name.ends_with("_key.pub")) || m.kind == Kind::Directory {
            continue;
        }
        out.push(HostKey {
            private,
            mode: m.mode,
            uid: m.uid,
            source: Source::file(&path),
            path,
        });
    }
    Ok(out)
}

/// Every key in the default authorized_keys files of every home.
pub fn authorized_keys(fs: &RootFs, homes: &[Home]) -> Result<Vec<AuthorizedKey>, FactError> {
    let mut out = Vec::new();
    for h in homes {
        for name in ["authorized_keys", "authorized_keys2"] {
            let path = format!("{}/.ssh/{name}", h.dir.trim_end_matches('/'));
            let Some(text) = fs.read_text(&path)? else { continue };
            for (line, k) in parse_authorized_keys(&text) {
                out.push(AuthorizedKey {
                    user: h.user.clone(),
                    source: Source::at(&path, line),
                    path: path.clone(),
                    line,
                    key_type: k.key_type,
                    fingerprint: k.fingerprint,
                    comment: k.comment,
                });
            }
        }
    }
    Ok(out)
}

/// A parsed key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    /// Key type or `unparsed`.
    pub key_type: String,
    /// SHA256 fingerprint.
    pub fingerprint: Option<String>,
    /// Comment.
    pub comment: Option<String>,
}

fn is_key_type(t: &str) -> bool {
    t.starts_with("ssh-") || t.starts_with("ecdsa-sha2-") || t.starts_with("sk-") || t.ends_with("@openssh.com")
}

/// Splits a line on unquoted whitespace (options may contain `"…"` with spaces).
fn split_fields(line: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in line.char_indices() {
        if start.is_none() && !c.is_whitespace() {
            start = Some(i);
        }
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if let Some(s) = start.take() {
                    out.push(&line[s..i]);
                }
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(&line[s..]);
    }
    out
}

/// Parses authorized_keys text into (line, key), skipping comments and blank lines.
pub fn parse_authorized_keys(text: &str) -> Vec<(u32, KeyLine)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields = split_fields(line);
        // The key type is the first field, or the second when the first is the options list.
        let at = match fields.first() {
            Some(f) if is_key_type(f) => 0,
            _ => 1,
        };
        let parsed = match (fields.get(at), fields.get(at + 1)) {
            (Some(t), Some(b64)) if is_key_type(t) => base64_decode(b64).map(|blob| KeyLine {
                key_type: (*t).to_owned(),
                fingerprint: Some(format!("SHA256:{}", base64_encode_unpadded(&sha256(&blob)))),
                comment: fields.get(at + 2..).filter(|c| !c.is_empty()).map(|c| c.join(" ")),
            }),
            _ => None,
        };
        out.push((
            n,
            parsed.unwrap_or(KeyLine {
                key_type: "unparsed".into(),
                fingerprint: None,
                comment: None,
            }),
        ));
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 (RFC 4648 §4) with optional `=` padding; `None` on any other byte.
pub fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let s = s.trim_end_matches('=');
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in s.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Standard base64 without padding, as ssh-keygen prints SHA256 fingerprints.
pub fn base64_encode_unpadded(data: &[u8]) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [chunk[0], *chunk.get(1).unwrap_or(&0), *chunk.get(2).unwrap_or(&0)];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

/// SHA-256 (FIPS 180-4), for key fingerprints only: 100 lines are cheaper than a dependency tree.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
        0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
        0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
        0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
        0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
        0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
        0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
    ];
    let mut msg = data.to_vec();
    let bit_len = (data.len() as u64).wrapping_mul(8);
    msg.push(0x80);
    while msg.len() % 64 != 56 {
        msg.push(0);
    }
    msg.extend_from_slice(&bit_len.to_be_bytes());
    for block in msg.chunks_exact(64) {
        let mut w = [0u32; 64];
        for (i, word) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut hh] = h;
        for i in 0..64 {
            let s1 = e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25);
            let ch = (e & f) ^ (!e & g);
            let t1 = hh
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22);
            let maj = (a & b) ^ (a & c) ^ (b & c);
            let t2 = s0.wrapping_add(maj);
            hh = g;
            g = f;
            f = e;
            e = d.wrapping_add(t1);
            d = c;
            c = b;
            b = a;
            a = t1.wrapping_add(t2);
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e, f, g, hh]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[i * 4..i * 4 + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn sha256_matches_the_fips_180_test_vectors() {
        assert_eq!(
            hex(&sha256(b"")),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha256(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        );
    }

    #[test]
    fn base64_round_trips_and_refuses_other_bytes() {
        assert_eq!(base64_decode("Zm9vYmFy").unwrap(), b"foobar");
        assert_eq!(base64_decode("Zm9vYg==").unwrap(), b"foob");
        assert_eq!(base64_encode_unpadded(b"foob"), "Zm9vYg");
        assert!(base64_decode("not base64!").is_none());
    }

    // A throwaway key; `ssh-keygen -lf` prints
    // 256 SHA256:FT3yYmWLi+zhPubsoWu27mFI7j0mw+kJNegB0ozXgLo test (ED25519)
    const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG+9+LRJqToDr3TGH1tSSFielK2/ioPH5nzm04QLAbuW";

    #[test]
    fn fingerprint_matches_ssh_keygen() {
        let k = parse_authorized_keys(&format!("{ED} test\n"));
        assert_eq!(
            k[0].1.fingerprint.as_deref(),
            Some("SHA256:FT3yYmWLi+zhPubsoWu27mFI7j0mw+kJNegB0ozXgLo")
        );
    }

    #[test]
    fn options_with_quoted_spaces_come_before_the_key_type() {
        let text = format!("# comment\n\ncommand=\"echo hi there\",no-pty {ED} packer_abc def\n");
        let k = parse_authorized_keys(&text);
        assert_eq!(k.len(), 1);
        assert_eq!(k[0].0, 3);
        assert_eq!(k[0].1.key_type, "ssh-ed25519");
        assert_eq!(k[0].1.comment.as_deref(), Some("packer_abc def"));
        assert!(k[0].1.fingerprint.as_deref().unwrap().starts_with("SHA256:"));
    }

    #[test]
    fn a_line_that_is_not_a_key_is_kept_as_unparsed() {
        let k = parse_authorized_keys("garbage here\n");
        assert_eq!(k[0].1.key_type, "unparsed");
        assert_eq!(k[0].1.fingerprint, None);
    }
}
