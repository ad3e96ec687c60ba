//! What differs between the OpenSSH builds an image may ship, as data: one row per release of
//! compiled-in algorithm defaults (myproposal.h at the release's tag in openssh-portable:
//! KEX_SERVER_KEX, KEX_DEFAULT_PK_ALG, KEX_SERVER_ENCRYPT, KEX_SERVER_MAC, SSH_ALLOWED_CA_SIGALGS,
//! with OpenSSL, ECC and SHA-2 compiled in), the scalar defaults that changed between releases or
//! that a distribution's build changes ([`DEFAULT_CHANGES`], servconf.c
//! `fill_default_server_options`), what a build has but does not print ([`UNPRINTED`]) and the
//! distribution patches that change the algorithm defaults ([`PATCHES`]). The keyword table of
//! each release is `keywords::KEYWORDS` (each entry with its range of releases). The next release
//! is a row here, entries there, copies of its myproposal.h and servconf.c under
//! fixtures/openssh-source/ (the tests hold the rows to them) and a differential run.
//!
//! The release is picked from the openssh-server package of the image: the newest row not newer
//! than the package's upstream version (an unknown 9.3p1 uses 9.2p1's row and says so). Without a
//! package version the model is the Debian 12 build of 9.2p1, whose sshd -T the differential tests
//! compare with. Not modelled per release: the algorithms a build supports (9.2p1's lists
//! validate `+`/`-`/`^` lists, extended by the release's defaults).

/// One OpenSSH release's compiled-in default algorithm lists (myproposal.h).
#[derive(Debug, PartialEq)]
pub(super) struct Release {
    /// Upstream version, `8.4p1`.
    pub version: &'static str,
    /// KEX_SERVER_KEX.
    pub kex: &'static str,
    /// KEX_DEFAULT_PK_ALG: HostKeyAlgorithms, PubkeyAcceptedAlgorithms, HostbasedAcceptedAlgorithms.
    pub host_key_algorithms: &'static str,
    /// KEX_SERVER_ENCRYPT.
    pub ciphers: &'static str,
    /// KEX_SERVER_MAC.
    pub macs: &'static str,
    /// SSH_ALLOWED_CA_SIGALGS (None: the release has no CASignatureAlgorithms; 9.2p1's is used).
    pub ca_signature_algorithms: Option<&'static str>,
    /// Algorithms of the 9.2p1 build the release no longer supports (10.0p1 has no DSA: `+ssh-dss`
    /// is refused, as Debian 13's sshd refuses it).
    pub unsupported: &'static [&'static str],
    /// misc.c `parse_ipqos` reads a number with strtonum (decimal only: `IPQoS 0x10` is refused)
    /// from 9.8p1 on, with `strtol(…, 0)` before.
    pub ipqos_decimal: bool,
}

/// The releases, oldest first.
pub(super) static RELEASES: &[Release] = &[
    Release {
        version: "7.4p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1",
        host_key_algorithms: "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: None,
    },
    Release {
        version: "8.0p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256,diffie-hellman-group14-sha1",
        host_key_algorithms: "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,ssh-ed25519,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
        ),
    },
    Release {
        version: "8.4p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,ssh-ed25519,sk-ssh-ed25519@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "8.7p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-rsa-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256,ssh-rsa",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "8.9p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,sntrup761x25519-sha512@openssh.com,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "9.2p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "9.6p1",
        unsupported: &[],
        ipqos_decimal: false,
        kex: "sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "9.9p1",
        unsupported: &[],
        ipqos_decimal: true,
        kex: "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,mlkem768x25519-sha256,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ciphers: "chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
    Release {
        version: "10.0p1",
        unsupported: &["ssh-dss", "ssh-dss-cert-v01@openssh.com"],
        ipqos_decimal: true,
        kex: "mlkem768x25519-sha256,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521",
        host_key_algorithms: "ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,rsa-sha2-512-cert-v01@openssh.com,rsa-sha2-256-cert-v01@openssh.com,ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ciphers: "chacha20-poly1305@openssh.com,aes128-gcm@openssh.com,aes256-gcm@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr",
        macs: "umac-64-etm@openssh.com,umac-128-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-sha1-etm@openssh.com,umac-64@openssh.com,umac-128@openssh.com,hmac-sha2-256,hmac-sha2-512,hmac-sha1",
        ca_signature_algorithms: Some(
            "ssh-ed25519,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ssh-ed25519@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,rsa-sha2-512,rsa-sha2-256",
        ),
    },
];

/// A distribution's change to a release's defaults.
#[derive(Debug)]
pub(super) struct Patch {
    /// The distribution, as [`distribution`] names it.
    pub distribution: &'static str,
    /// The upstream release patched.
    pub version: &'static str,
    /// The default key exchange list of the patched build.
    pub kex: &'static str,
}

/// Distribution patches that change the defaults.
pub(super) static PATCHES: &[Patch] = &[
    // Debian 12's 1:9.2p1-2+deb12u* offers the sntrup761x25519-sha512 name of 9.9p1 first (its
    // sshd -T, which the differential tests compare with).
    Patch {
        distribution: "Debian",
        version: "9.2p1",
        kex: "sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,curve25519-sha256,curve25519-sha256@libssh.org,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,diffie-hellman-group-exchange-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group14-sha256",
    },
];

/// A compiled-in default of one option that is not the base table's (`render.rs` DEFAULTS, which
/// are upstream's of the newest release) for some releases or builds: servconf.c
/// `fill_default_server_options` at the release's tag (fixtures/openssh-source/<release>/servconf.c),
/// or a distribution's patch or build paths. The first row that applies wins.
#[derive(Debug)]
pub(super) struct DefaultChange {
    /// The option, as `sshd -T` of 9.2p1 names it.
    pub opt: &'static str,
    /// The value as `sshd -T` prints it.
    pub value: &'static str,
    /// The first release it applies to ("": every older one).
    pub since: &'static str,
    /// The first release it no longer applies to ("": every newer one).
    pub until: &'static str,
    /// The distributions whose build has it (None: every build).
    pub distributions: Option<&'static [&'static str]>,
}

const DEB: Option<&[&str]> = Some(&["Debian", "Ubuntu"]);
const RH: Option<&[&str]> = Some(&["RHEL", "Fedora", "Amazon Linux", "Alibaba Cloud Linux"]);
const ALPINE: Option<&[&str]> = Some(&["Alpine"]);

macro_rules! change {
    ($opt:literal, $value:literal, $since:literal .. $until:literal, $d:expr) => {
        DefaultChange {
            opt: $opt,
            value: $value,
            since: $since,
            until: $until,
            distributions: $d,
        }
    };
}

/// The compiled-in defaults that differ by release or build.
pub(super) static DEFAULT_CHANGES: &[DefaultChange] = &[
    // Before 8.7p1 kbd_interactive_authentication defaults to 0, and ChallengeResponseAuthentication
    // (yes) turns it on after the defaults are filled ([`IMPLIED`]).
    change!("kbdinteractiveauthentication", "no", "".."8.7p1", None),
    change!("gssapistrictacceptorcheck", "no", "".."7.5p1", None),
    // Debian's revert-ipqos-defaults.patch keeps the pre-7.8p1 IPQoS defaults; Debian 13's 10.0p1
    // build uses EF for interactive traffic (its sshd -T, `make e2e-roots`).
    change!("ipqos", "ef cs1", "10.0p1".."", Some(&["Debian"])),
    change!("ipqos", "lowdelay throughput", "".."10.0p1", DEB),
    change!("ipqos", "lowdelay throughput", "".."7.8p1", None),
    // The helper programs of 9.8p1 and later live in the distribution's libexec directory.
    // dump_cfg_strarray_oneline prints `channeltimeout none` when it is unset from 9.3p1 on.
    change!("channeltimeout", "none", "9.3p1".."", None),
    change!("sshdsessionpath", "/usr/libexec/openssh/sshd-session", "".."", RH),
    change!("sshdsessionpath", "/usr/lib/ssh/sshd-session", "".."", ALPINE),
    change!("sshdauthpath", "/usr/libexec/openssh/sshd-auth", "".."", RH),
    change!("sshdauthpath", "/usr/lib/ssh/sshd-auth", "".."", ALPINE),
];

/// Options a build has but `sshd -T` does not print: (option, first release that prints it ("":
/// none), the distributions whose builds do not print it (None: every build; "" is a build of
/// unknown origin, upstream's). dump_config prints PermitOpen from 7.6p1 on, and
/// GSSAPIStrictAcceptorCheck only with the GSSAPI key-exchange patch (Debian 12's sshd -T prints
/// it); Debian's DebianBanner is printed from its 10.0p1 build on (Debian 13's sshd -T; Debian
/// 12's 9.2p1 does not print it).
pub(super) const UNPRINTED: &[(&str, &str, Option<&[&str]>)] = &[
    ("permitopen", "7.6p1", None),
    ("gssapistrictacceptorcheck", "", Some(&["Alpine", ""])),
    ("debianbanner", "10.0p1", DEB),
];

/// Options a yes turns on after the defaults are filled (sshd.c before 8.7p1: "challenge-response
/// is implemented via keyboard interactive"): (option, the option it turns on). Applies where the
/// build has both options.
pub(super) const IMPLIED: &[(&str, &str)] = &[("challengeresponseauthentication", "kbdinteractiveauthentication")];

impl Defaults {
    /// The algorithms of a list the build supports: `all` (9.2p1's) less those the release
    /// dropped, plus the names of the release's defaults that 9.2p1 does not have
    /// (mlkem768x25519-sha256 of 9.9p1).
    pub(super) fn supported(&self, all: &str, defaults: &str) -> String {
        let mut out: Vec<&str> = all
            .split(',')
            .filter(|a| !a.is_empty() && !self.release.unsupported.contains(a))
            .collect();
        for n in defaults.split(',') {
            if !n.is_empty() && !out.contains(&n) {
                out.push(n);
            }
        }
        out.join(",")
    }

    /// Whether the build has `opt` but `sshd -T` does not print it ([`UNPRINTED`]).
    pub(super) fn unprinted(&self, opt: &str) -> bool {
        let v = parse_version(self.release.version);
        UNPRINTED.iter().any(|(o, since, ds)| {
            *o == opt
                && (since.is_empty() || v < parse_version(since))
                && ds.is_none_or(|ds| ds.contains(&self.distribution.unwrap_or("")))
        })
    }

    /// The compiled-in default of `opt` for this build where [`DEFAULT_CHANGES`] has one.
    pub(super) fn changed_default(&self, opt: &str) -> Option<&'static str> {
        let v = parse_version(self.release.version);
        let after = |bound: &str| parse_version(bound) <= v;
        DEFAULT_CHANGES
            .iter()
            .find(|c| {
                c.opt == opt
                    && (c.since.is_empty() || after(c.since))
                    && (c.until.is_empty() || !after(c.until))
                    && c.distributions
                        .is_none_or(|ds| self.distribution.is_some_and(|d| ds.contains(&d)))
            })
            .map(|c| c.value)
    }
}

/// The defaults in force for one image: the release row, the distribution's patch if any, and
/// the words a finding shows for them.
#[derive(Debug)]
pub(super) struct Defaults {
    /// The release row used.
    pub release: &'static Release,
    /// KEX_SERVER_KEX after the distribution's patch.
    pub kex: &'static str,
    /// "compiled-in default (OpenSSH 9.2p1)", "compiled-in default, OpenSSH 8.9p1 (Ubuntu)", or
    /// with the nearest older release for a version not in the table.
    pub note: String,
    /// The version the fact reports ("9.2p1").
    pub version: String,
    /// The distribution whose build it is (its patches and paths), None for an unknown one
    /// (upstream's).
    pub distribution: Option<&'static str>,
}

/// `X.YpZ` (also Alpine's `X.Y_pZ`) as numbers.
pub(super) fn parse_version(v: &str) -> Option<(u32, u32, u32)> {
    let v = v.replace("_p", "p");
    let (xy, p) = v.split_once('p')?;
    let (x, y) = xy.split_once('.')?;
    let p: String = p.chars().take_while(char::is_ascii_digit).collect();
    Some((x.parse().ok()?, y.parse().ok()?, p.parse().unwrap_or(0)))
}

/// The distribution a package version names (`1:8.9p1-3ubuntu0.10` → Ubuntu, `+deb11u3` →
/// Debian, `.el9` → RHEL, `.fc42` → Fedora, `.amzn2023` → Amazon Linux, `-r2` → Alpine).
pub(super) fn distribution(package_version: &str) -> Option<&'static str> {
    let v = package_version;
    if v.contains("ubuntu") {
        Some("Ubuntu")
    } else if v.contains("deb") || v.starts_with("1:") {
        Some("Debian")
    } else if v.contains(".el") {
        Some("RHEL")
    } else if v.contains(".fc") {
        Some("Fedora")
    } else if v.contains("amzn") {
        Some("Amazon Linux")
    } else if v.contains(".al8") || v.contains(".alnx") {
        Some("Alibaba Cloud Linux")
    } else if v.contains("_p") && v.contains("-r") {
        Some("Alpine")
    } else {
        None
    }
}

/// The model without a package version: Debian 12's 9.2p1 (what sshd -T on the test machine is).
const UNVERSIONED: &str = "9.2p1";

/// The defaults for the openssh-server package version `package` (the full version string of the
/// package database, or None when it is unknown).
pub(super) fn select(package: Option<&str>) -> Defaults {
    let Some(pkg) = package else {
        let release = release_row(UNVERSIONED);
        return Defaults {
            release,
            kex: patched_kex(release, Some("Debian")),
            note: format!("compiled-in default (OpenSSH {UNVERSIONED})"),
            version: UNVERSIONED.into(),
            distribution: Some("Debian"),
        };
    };
    let upstream = upstream(pkg);
    let distro = distribution(pkg);
    let wanted = parse_version(&upstream);
    let exact = RELEASES
        .iter()
        .find(|r| parse_version(r.version) == wanted && wanted.is_some());
    let older = || {
        RELEASES
            .iter()
            .rev()
            .find(|r| wanted.is_some_and(|w| parse_version(r.version).is_some_and(|v| v <= w)))
    };
    let (release, how) = match (exact, older()) {
        (Some(r), _) => (r, String::new()),
        (None, Some(r)) => (
            r,
            format!(
                "; {upstream} is not modelled, the nearest older release {} is used",
                r.version
            ),
        ),
        (None, None) => {
            let r = RELEASES.first().unwrap_or_else(|| release_row(UNVERSIONED));
            (
                r,
                format!(
                    "; {upstream} is older than every modelled release, {} is used",
                    r.version
                ),
            )
        }
    };
    let who = distro.map_or_else(String::new, |d| format!(" ({d})"));
    Defaults {
        release,
        kex: patched_kex(release, distro),
        note: format!("compiled-in default, OpenSSH {}{who}{how}", release.version),
        version: release.version.into(),
        distribution: distro,
    }
}

/// The upstream version of a package version (`1:9.2p1-2+deb12u5` → `9.2p1`, `9.9_p1-r2` →
/// `9.9p1`).
pub(super) fn upstream(package_version: &str) -> String {
    let v = package_version.split_once(':').map_or(package_version, |(_, v)| v);
    v.split('-').next().unwrap_or(v).replace("_p", "p")
}

fn release_row(version: &str) -> &'static Release {
    RELEASES
        .iter()
        .find(|r| r.version == version)
        .or_else(|| RELEASES.last())
        .unwrap_or(&FALLBACK)
}

/// Never used while [`RELEASES`] is not empty (the test below holds it so).
static FALLBACK: Release = Release {
    version: "",
    kex: "",
    host_key_algorithms: "",
    ciphers: "",
    macs: "",
    ca_signature_algorithms: None,
    unsupported: &[],
    ipqos_decimal: false,
};

fn patched_kex(release: &'static Release, distro: Option<&str>) -> &'static str {
    PATCHES
        .iter()
        .find(|p| p.version == release.version && Some(p.distribution) == distro)
        .map_or(release.kex, |p| p.kex)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first `#define` of each macro in `text` (the OpenSSL, ECC and SHA-2 branches of
    /// myproposal.h come first), expanded: string literals concatenated, macro names replaced.
    fn macros(text: &str) -> std::collections::HashMap<String, String> {
        let mut no_comments = String::new();
        let mut rest = text;
        while let Some(i) = rest.find("/*") {
            no_comments.push_str(&rest[..i]);
            rest = rest[i..].find("*/").map_or("", |j| &rest[i + j + 2..]);
        }
        no_comments.push_str(rest);
        let joined = no_comments.replace("\\\n", " ");
        let mut defs: Vec<(String, String)> = Vec::new();
        for line in joined.lines() {
            let t = line.trim_start().trim_start_matches('#').trim_start();
            if let Some(d) = t.strip_prefix("define") {
                let d = d.trim_start();
                let name: String = d.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !defs.iter().any(|(n, _)| *n == name) {
                    defs.push((name.clone(), d[name.len()..].trim().to_owned()));
                }
            }
        }
        fn expand(defs: &[(String, String)], name: &str) -> Option<String> {
            let body = &defs.iter().find(|(n, _)| n == name)?.1;
            let mut out = String::new();
            let mut chars = body.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '"' {
                    for c in chars.by_ref() {
                        if c == '"' {
                            break;
                        }
                        out.push(c);
                    }
                } else if c == ',' {
                    break;
                } else if c.is_alphabetic() || c == '_' {
                    let mut ident = String::from(c);
                    while let Some(&n) = chars.peek() {
                        if n.is_alphanumeric() || n == '_' {
                            ident.push(n);
                            chars.next();
                        } else {
                            break;
                        }
                    }
                    out.push_str(&expand(defs, &ident)?);
                }
            }
            Some(out)
        }
        defs.iter()
            .filter_map(|(n, _)| expand(&defs, n).map(|v| (n.clone(), v)))
            .collect()
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn every_release_row_is_its_myproposal_h() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/openssh-source");
        let mut seen = 0;
        for r in RELEASES {
            let text = std::fs::read_to_string(dir.join(r.version).join("myproposal.h")).unwrap();
            let m = macros(&text);
            assert_eq!(
                m.get("KEX_SERVER_KEX").map(String::as_str),
                Some(r.kex),
                "{}",
                r.version
            );
            assert_eq!(
                m.get("KEX_DEFAULT_PK_ALG").map(String::as_str),
                Some(r.host_key_algorithms),
                "{}",
                r.version
            );
            assert_eq!(
                m.get("KEX_SERVER_ENCRYPT").map(String::as_str),
                Some(r.ciphers),
                "{}",
                r.version
            );
            assert_eq!(
                m.get("KEX_SERVER_MAC").map(String::as_str),
                Some(r.macs),
                "{}",
                r.version
            );
            assert_eq!(
                m.get("SSH_ALLOWED_CA_SIGALGS").map(String::as_str),
                r.ca_signature_algorithms,
                "{}",
                r.version
            );
            seen += 1;
        }
        // Every release the seeds' images ship.
        for v in [
            "7.4p1", "8.0p1", "8.4p1", "8.7p1", "8.9p1", "9.2p1", "9.6p1", "9.9p1", "10.0p1",
        ] {
            assert!(RELEASES.iter().any(|r| r.version == v), "{v} missing");
        }
        assert_eq!(seen, RELEASES.len());
        let order: Vec<_> = RELEASES.iter().map(|r| parse_version(r.version)).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "releases out of order");
    }

    #[test]
    fn the_package_version_picks_the_row_and_says_whose_defaults() {
        let d = select(Some("1:8.4p1-5+deb11u3"));
        assert_eq!(d.release.version, "8.4p1");
        assert!(
            d.release.host_key_algorithms.contains("ssh-rsa,") || d.release.host_key_algorithms.ends_with("ssh-rsa")
        );
        assert_eq!(d.note, "compiled-in default, OpenSSH 8.4p1 (Debian)");
        let d = select(Some("1:8.9p1-3ubuntu0.10"));
        assert_eq!(d.note, "compiled-in default, OpenSSH 8.9p1 (Ubuntu)");
        assert!(!d.release.host_key_algorithms.split(',').any(|a| a == "ssh-rsa"));
        let d = select(Some("1:10.0p1-7"));
        assert!(d.kex.starts_with("mlkem768x25519-sha256,"));
        assert!(!d.kex.contains("diffie-hellman"));
        let d = select(Some("9.3p2-1.fc38"));
        assert_eq!(d.release.version, "9.2p1");
        assert_eq!(
            d.note,
            "compiled-in default, OpenSSH 9.2p1 (Fedora); 9.3p2 is not modelled, the nearest older release 9.2p1 is used"
        );
        assert!(
            !d.kex.starts_with("sntrup761x25519-sha512,"),
            "Debian's patch on Fedora"
        );
        let d = select(Some("1:9.2p1-2+deb12u5"));
        assert!(
            d.kex
                .starts_with("sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com,")
        );
        let d = select(Some("9.9_p1-r2"));
        assert_eq!(d.note, "compiled-in default, OpenSSH 9.9p1 (Alpine)");
        let d = select(Some("6.6p1-1"));
        assert!(
            d.note.contains("older than every modelled release, 7.4p1 is used"),
            "{}",
            d.note
        );
        assert_eq!(select(None).note, "compiled-in default (OpenSSH 9.2p1)");
    }
}
