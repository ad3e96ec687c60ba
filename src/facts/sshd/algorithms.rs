//! The algorithms the modelled sshd build supports (`ssh -Q` of the Debian 12 build of OpenSSH
//! 9.2p1, extended per release by the release's own defaults, see `render.rs`) and misc.c's IPQoS
//! names: the tables both the keyword parser and the printer read.

/// `ssh -Q cipher` of the Debian 12 build (cipher_alg_list).
pub(super) const ALL_CIPHERS: &str = "3des-cbc,aes128-cbc,aes192-cbc,aes256-cbc,aes128-ctr,aes192-ctr,aes256-ctr,aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com";
/// `ssh -Q mac`.
pub(super) const ALL_MACS: &str = "hmac-sha1,hmac-sha1-96,hmac-sha2-256,hmac-sha2-512,hmac-md5,hmac-md5-96,umac-64@openssh.com,umac-128@openssh.com,hmac-sha1-etm@openssh.com,hmac-sha1-96-etm@openssh.com,hmac-sha2-256-etm@openssh.com,hmac-sha2-512-etm@openssh.com,hmac-md5-etm@openssh.com,hmac-md5-96-etm@openssh.com,umac-64-etm@openssh.com,umac-128-etm@openssh.com";
/// `ssh -Q kex`.
pub(super) const ALL_KEX: &str = "diffie-hellman-group1-sha1,diffie-hellman-group14-sha1,diffie-hellman-group14-sha256,diffie-hellman-group16-sha512,diffie-hellman-group18-sha512,diffie-hellman-group-exchange-sha1,diffie-hellman-group-exchange-sha256,ecdh-sha2-nistp256,ecdh-sha2-nistp384,ecdh-sha2-nistp521,curve25519-sha256,curve25519-sha256@libssh.org,sntrup761x25519-sha512,sntrup761x25519-sha512@openssh.com";
/// `ssh -Q key-sig` (sshkey_alg_list(0, 0, 1)).
pub(super) const ALL_KEYS: &str = "ssh-ed25519,ssh-ed25519-cert-v01@openssh.com,sk-ssh-ed25519@openssh.com,sk-ssh-ed25519-cert-v01@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp256-cert-v01@openssh.com,ecdsa-sha2-nistp384,ecdsa-sha2-nistp384-cert-v01@openssh.com,ecdsa-sha2-nistp521,ecdsa-sha2-nistp521-cert-v01@openssh.com,sk-ecdsa-sha2-nistp256@openssh.com,sk-ecdsa-sha2-nistp256-cert-v01@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-dss-cert-v01@openssh.com,ssh-rsa,ssh-rsa-cert-v01@openssh.com,rsa-sha2-256,rsa-sha2-256-cert-v01@openssh.com,rsa-sha2-512,rsa-sha2-512-cert-v01@openssh.com";
/// `ssh -Q sig` (sshkey_alg_list(0, 1, 1)).
pub(super) const ALL_SIGS: &str = "ssh-ed25519,sk-ssh-ed25519@openssh.com,ecdsa-sha2-nistp256,ecdsa-sha2-nistp384,ecdsa-sha2-nistp521,sk-ecdsa-sha2-nistp256@openssh.com,webauthn-sk-ecdsa-sha2-nistp256@openssh.com,ssh-dss,ssh-rsa,rsa-sha2-256,rsa-sha2-512";
/// Every GSSAPI key exchange name the patch knows.
pub(super) const GSS_KEX_NAMES: &str = "gss-gex-sha1-,gss-group1-sha1-,gss-group14-sha1-,gss-group14-sha256-,gss-group16-sha512-,gss-nistp256-sha256-,gss-curve25519-sha256-";

/// IPQoS names (misc.c `ipqos[]`), in table order; `iptos2str` prints the first name of a value.
pub(super) const IPQOS: &[(&str, i32)] = &[
    ("none", i32::MAX),
    ("af11", 0x28),
    ("af12", 0x30),
    ("af13", 0x38),
    ("af21", 0x48),
    ("af22", 0x50),
    ("af23", 0x58),
    ("af31", 0x68),
    ("af32", 0x70),
    ("af33", 0x78),
    ("af41", 0x88),
    ("af42", 0x90),
    ("af43", 0x98),
    ("cs0", 0x00),
    ("cs1", 0x20),
    ("cs2", 0x40),
    ("cs3", 0x60),
    ("cs4", 0x80),
    ("cs5", 0xa0),
    ("cs6", 0xc0),
    ("cs7", 0xe0),
    ("ef", 0xb8),
    // defines.h of 9.2p1 gives IPTOS_DSCP_LE 0x04 (IPTOS_RELIABILITY's value), and glibc does
    // not define it: `IPQoS reliability` prints as `le`.
    ("le", 0x04),
    ("lowdelay", 0x10),
    ("throughput", 0x08),
    ("reliability", 0x04),
];
