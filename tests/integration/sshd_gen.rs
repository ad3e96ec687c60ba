//! A seeded generator of whole sshd configuration trees for the generative differential test in
//! sshd_diff.rs: a main file and drop-ins (nested and relative Includes, globs that match nothing,
//! a glob that also matches a directory, Include inside Match), every keyword `sshd -T` prints
//! plus aliases and deprecated names, values of every shape (odd case, `=` separators, quotes,
//! comments, CRLF) with a share of invalid ones, Match blocks with every criterion (negation,
//! wildcards, CIDR, short-form IPv4, `=` between criterion and value), and the passwd, group and
//! services files sshd consults, plus several `-C` connection specs per tree.

use crate::util::Rng;

/// One generated tree: files relative to the root, and the `-C` specs to judge it with.
pub struct Tree {
    /// (path relative to the root, contents); directories are created as needed.
    pub files: Vec<(String, String)>,
    /// Empty directories to create (relative to the root).
    pub dirs: Vec<String>,
    /// Connection specs, each judged with `sshd -T -C spec`; plain `sshd -T` is judged too.
    pub specs: Vec<String>,
}

const USERS: &[&str] = &["alice", "bob", "carol", "dave", "root", "nosuch"];
const GROUPS: &[&str] = &["adm", "wheel", "staff", "devs", "sftp", "root", "nogroup"];
const HOSTS: &[&str] = &["h1.example.com", "H2.Example.COM", "db.internal", "localhost"];
const ADDRS: &[&str] = &[
    "10.1.2.3",
    "10.0.0.1",
    "192.168.1.5",
    "2001:db8::1",
    "127.0.0.1",
    "172.16.0.9",
];

/// passwd and group files: root's home varies (sshd expands `~` with it), users have homes and
/// primary groups, groups list members (getgrouplist) and one gid is shared by two names.
fn accounts(r: &mut Rng) -> (String, String) {
    let root_home = r.pick(&["/root", "/var/root", "/root/", "/home/admin"]);
    let mut passwd = format!("root:x:0:0:root:{root_home}:/bin/sh\n");
    passwd.push_str("sshd:x:100:65534::/run/sshd:/usr/sbin/nologin\n");
    passwd.push_str("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    let gids = [
        (1000, "staff"),
        (1001, "devs"),
        (4, "adm"),
        (10, "wheel"),
        (1002, "sftp"),
    ];
    for (i, u) in ["alice", "bob", "carol", "dave"].iter().enumerate() {
        if r.one_in(8) {
            continue;
        }
        let gid = gids[r.below(gids.len())].0;
        let home = r.pick(&["/home/", "/srv/", "/u/"]);
        passwd.push_str(&format!("{u}:x:{}:{gid}::{home}{u}:/bin/sh\n", 1000 + i));
    }
    let mut group = String::from("root:x:0:\nnogroup:x:65534:\n");
    for (gid, name) in gids {
        let members: Vec<&str> = ["alice", "bob", "carol", "dave"]
            .iter()
            .copied()
            .filter(|_| r.one_in(3))
            .collect();
        group.push_str(&format!("{name}:x:{gid}:{}\n", members.join(",")));
    }
    if r.one_in(3) {
        // A second name for an existing gid: getgrgid answers with the first.
        group.push_str(&format!(
            "alias{}:x:1000:{}\n",
            r.below(9),
            r.pick(&["alice", "bob", ""])
        ));
    }
    (passwd, group)
}

/// The services file the tree's sshd resolves port names with.
const SERVICES: &str = "# services\nssh\t\t22/tcp\t\t\t# SSH\nhttp\t\t80/tcp\t\twww\t\t# WWW\nhttps\t\t443/tcp\nsmtp\t\t25/tcp\t\tmail\nudponly\t\t999/udp\nalt\t\t2222/tcp\talt-ssh\n";

fn port(r: &mut Rng) -> &'static str {
    pk(
        r,
        &[
            "22",
            "2222",
            "ssh",
            "http",
            "alt-ssh",
            "!!0",
            "!!65536",
            "!!nosuchsvc",
            "!!udponly",
            "443",
            "+22",
            "022",
        ],
    )
}

fn path(r: &mut Rng) -> String {
    pk(
        r,
        &[
            "/etc/issue.net",
            "issue.net",
            "rel/dir/file",
            "~/ca.pub",
            "~",
            "~/",
            "~//x",
            "~alice/keys",
            "~alice",
            "~bob/",
            "!!~nosuch/x",
            "none",
            "NONE",
            "/etc/ssh/x y",
            "./x",
            "/",
        ],
    )
    .to_owned()
}

fn ipqos_word(r: &mut Rng) -> &'static str {
    pk(
        r,
        &[
            "lowdelay",
            "throughput",
            "reliability",
            "AF21",
            "cs1",
            "ef",
            "le",
            "none",
            "16",
            "010",
            "0x10",
            "0X1f",
            "255",
            "!!256",
            "!!0",
            "!!-1",
            "!!0x",
            "!!08",
            "!!af99",
        ],
    )
}

/// Picks from `xs`; an entry marked `!!` (one sshd refuses) is taken once in forty picks of it.
fn pk<'a>(r: &mut Rng, xs: &[&'a str]) -> &'a str {
    for _ in 0..8 {
        let x = r.pick(xs);
        match x.strip_prefix("!!") {
            None => return x,
            Some(bad) if r.one_in(40) => return bad,
            Some(_) => {}
        }
    }
    xs.iter().copied().find(|x| !x.starts_with("!!")).unwrap_or("yes")
}

/// A value for `kw` (lowercase), valid most of the time.
fn value(r: &mut Rng, kw: &str) -> String {
    let flag = || ["yes", "no", "YES", "No", "!!maybe", "!!true"];
    match kw {
        "permitrootlogin" => pk(
            r,
            &[
                "yes",
                "no",
                "prohibit-password",
                "without-password",
                "forced-commands-only",
                "Yes",
                "maybe",
            ],
        )
        .into(),
        "ignorerhosts" => pk(r, &["yes", "no", "shosts-only", "Shosts-Only", "!!x"]).into(),
        "compression" => pk(r, &["yes", "no", "delayed", "DELAYED", "!!zlib"]).into(),
        "gatewayports" => pk(r, &["yes", "no", "clientspecified", "!!maybe"]).into(),
        "allowtcpforwarding" | "allowstreamlocalforwarding" => {
            pk(r, &["yes", "no", "all", "local", "remote", "!!Remote", "!!both"]).into()
        }
        "addressfamily" => pk(r, &["any", "inet", "any", "INET", "!!inet4"]).into(),
        "logingracetime" | "clientaliveinterval" => pk(
            r,
            &[
                "30",
                "2m",
                "1h30m",
                "!!0",
                "1W",
                "!!5x",
                "!!-1",
                "90s",
                "!!2147483648",
                "1d",
            ],
        )
        .into(),
        "maxauthtries" | "maxsessions" | "clientalivecountmax" | "x11displayoffset" | "requiredrsasize" => pk(
            r,
            &["!!0", "3", "6", "!!10", "!!-1", "!!abc", "!!2147483648", "2048", "!!+4"],
        )
        .into(),
        "banner" | "trustedusercakeys" | "revokedkeys" | "pidfile" | "modulifile" | "xauthlocation"
        | "hostcertificate" => path(r),
        "hostkeyagent" => {
            if r.one_in(4) {
                "SSH_AUTH_SOCK".into()
            } else {
                path(r)
            }
        }
        "securitykeyprovider" => {
            if r.one_in(3) {
                pk(r, &["internal", "INTERNAL"]).into()
            } else {
                path(r)
            }
        }
        "hostkey" | "hostdsakey" => {
            if r.one_in(3) {
                pk(r, &["none", "NONE", "ssh_host_ed25519_key"]).into()
            } else {
                path(r)
            }
        }
        "authorizedprincipalsfile" => pk(
            r,
            &[
                "none",
                "~/principals",
                "/etc/ssh/principals/%u",
                "~alice/p",
                "!!~nosuch/p",
                ".ssh/p",
            ],
        )
        .into(),
        "authorizedkeysfile" => {
            let n = 1 + r.below(3);
            (0..n)
                .map(|_| {
                    pk(
                        r,
                        &[
                            ".ssh/authorized_keys",
                            "%h/.ssh/keys",
                            "~/.ssh/x",
                            "none",
                            "/etc/ssh/keys/%u",
                            "~alice/k",
                            "!!~nosuch/k",
                        ],
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        "chrootdirectory" => pk(r, &["none", "/srv/%u", "%h", "!!rel"]).into(),
        "port" => port(r).into(),
        "listenaddress" => {
            let h = pk(r, &["127.0.0.1", "0.0.0.0", "[::1]", "::1", "10.0.0.1"]);
            if r.one_in(2) {
                if h == "::1" {
                    h.into()
                } else {
                    format!("{h}:{}", port(r))
                }
            } else {
                h.into()
            }
        }
        "permitopen" | "permitlisten" => {
            let n = 1 + r.below(3);
            let one = |r: &mut Rng| -> String {
                match r.below(8) {
                    0 => "any".into(),
                    1 => "none".into(),
                    2 => format!("localhost:{}", port(r)),
                    3 => format!("*:{}", port(r)),
                    4 => format!("[::1]:{}", port(r)),
                    5 => "host:*".into(),
                    6 => port(r).into(),
                    _ => format!("127.0.0.1:{}", port(r)),
                }
            };
            (0..n).map(|_| one(r)).collect::<Vec<_>>().join(" ")
        }
        "ipqos" => {
            if r.one_in(2) {
                ipqos_word(r).into()
            } else {
                format!("{} {}", ipqos_word(r), ipqos_word(r))
            }
        }
        "rekeylimit" => pk(
            r,
            &[
                "1G",
                "1.5G",
                "512M 1h",
                "default none",
                "10",
                "0",
                "2K 30m",
                "1.5",
                "1.5Gx",
                "64",
                "1.25k",
                "0.5M",
                "1G none",
                "3E",
                "9E",
                "-1G",
                "1.5b",
            ],
        )
        .into(),
        "persourcenetblocksize" => pk(r, &["24", "24:64", "32:128", "!!33", "!!0", "16:48", "!!8:"]).into(),
        "persourcemaxstartups" => pk(r, &["none", "5", "!!-1", "NONE"]).into(),
        "maxstartups" => pk(r, &["!!10", "10:30:60", "!!5:50", "!!20:0:30", "!!3:50:10"]).into(),
        "ciphers" => pk(
            r,
            &[
                "+aes128-cbc",
                "-chacha20-poly1305@openssh.com",
                "^aes256-gcm@openssh.com",
                "aes128-ctr,aes256-ctr",
                "aes*",
                "-*",
                "-aes*,chacha*",
                "!!nonsense",
                "+3des-cbc",
            ],
        )
        .into(),
        "macs" => pk(
            r,
            &[
                "+hmac-sha1",
                "-*sha1*",
                "^hmac-sha2-512",
                "hmac-sha2-256,hmac-sha2-512",
                "-*",
                "!!bogus",
            ],
        )
        .into(),
        "kexalgorithms" => pk(
            r,
            &[
                "+diffie-hellman-group1-sha1",
                "-sntrup*",
                "-*",
                "^curve25519-sha256",
                "curve25519-sha256",
                "!!bogus",
            ],
        )
        .into(),
        "hostkeyalgorithms"
        | "pubkeyacceptedalgorithms"
        | "pubkeyacceptedkeytypes"
        | "hostbasedacceptedalgorithms"
        | "hostbasedacceptedkeytypes"
        | "casignaturealgorithms" => pk(
            r,
            &[
                "+ssh-rsa",
                "-ssh-rsa*",
                "rsa-sha2-*",
                "ssh-ed25519",
                "^ssh-ed25519",
                "!!nonsense",
                "-*",
                "+ssh-dss",
            ],
        )
        .into(),
        "gssapikexalgorithms" => pk(r, &["gss-group14-sha256-", "gss-gex-sha1-,gss-group1-sha1-", "!!bogus"]).into(),
        "allowusers" | "denyusers" => {
            let n = 1 + r.below(3);
            (0..n)
                .map(|_| {
                    pk(
                        r,
                        &[
                            "alice",
                            "bob@10.0.0.0/8",
                            "!!*@10.0.0.0/40",
                            "a*",
                            "!bob",
                            "root@192.168.*",
                            "carol@10.1",
                        ],
                    )
                })
                .collect::<Vec<_>>()
                .join(" ")
        }
        "allowgroups" | "denygroups" => {
            let n = 1 + r.below(3);
            (0..n).map(|_| pk(r, GROUPS)).collect::<Vec<_>>().join(" ")
        }
        "acceptenv" => pk(r, &["LANG LC_*", "!!BAD=x", "XMODIFIERS", "*"]).into(),
        "setenv" => pk(r, &["A=1 B=2", "A=1 A=2", "!!NOEQ", "X=\"a b\"", "!!A="]).into(),
        "authenticationmethods" => pk(
            r,
            &[
                "publickey",
                "publickey,password",
                "any",
                "publickey any",
                "password keyboard-interactive:pam",
                "publickey,keyboard-interactive",
                "!!bogus",
            ],
        )
        .into(),
        "authorizedkeyscommand" | "authorizedprincipalscommand" => {
            pk(r, &["/usr/bin/true %u", "none", "!!relative", "/bin/echo # c"]).into()
        }
        "authorizedkeyscommanduser" | "authorizedprincipalscommanduser" => pk(r, &["nobody", "none"]).into(),
        "loglevel" => pk(r, &["INFO", "QUIET", "DEBUG1", "verbose", "!!bogus", "debug3"]).into(),
        "syslogfacility" => pk(r, &["AUTH", "local0", "AUTHPRIV", "!!bogus"]).into(),
        "logverbose" => pk(r, &["kex.c:*:1000", "none", "!!a b"]).into(),
        "channeltimeout" => pk(
            r,
            &["session=5m", "global=1h x11-connection=30", "none", "!!bad", "!!a=5x"],
        )
        .into(),
        "unusedconnectiontimeout" => pk(r, &["none", "!!0", "5m", "!!bad", "NONE"]).into(),
        "subsystem" => pk(
            r,
            &[
                "sftp /usr/lib/openssh/sftp-server",
                "sftp internal-sftp",
                "x",
                "backup /bin/true -a",
                "SFTP internal-sftp",
            ],
        )
        .into(),
        "forcecommand" => pk(r, &["internal-sftp", "/bin/echo hi # c", "none"]).into(),
        "versionaddendum" => pk(r, &["none", "hello world", "x # c"]).into(),
        "permittunnel" => pk(r, &["yes", "no", "point-to-point", "ethernet", "!!Yes"]).into(),
        "permituserenvironment" => pk(r, &["yes", "no", "LANG,LC_*"]).into(),
        "pubkeyauthoptions" => pk(
            r,
            &["none", "touch-required", "verify-required touch-required", "!!bogus"],
        )
        .into(),
        "streamlocalbindmask" => pk(r, &["0177", "077", "0777", "!!1000", "!!8", "!!0"]).into(),
        "fingerprinthash" => pk(r, &["sha256", "MD5", "!!bogus"]).into(),
        "protocol"
        | "useprivilegeseparation"
        | "rsaauthentication"
        | "rhostsrsaauthentication"
        | "uselogin"
        | "keyregenerationinterval"
        | "serverkeybits"
        | "authorizedkeysfile2"
        | "checkmail"
        | "pamauthenticationviakbdint" => pk(r, &["2", "yes", "sandbox", "3600", "!!x y"]).into(),
        "rdomain" => "%D".into(),
        _ => pk(r, &flag()).into(),
    }
}

/// Keywords for the global section: every keyword sshd -T prints, aliases and deprecated names.
const GLOBAL_KW: &[&str] = &[
    "Port",
    "ListenAddress",
    "AddressFamily",
    "HostKey",
    "HostDSAKey",
    "HostCertificate",
    "HostKeyAgent",
    "PidFile",
    "ModuliFile",
    "LoginGraceTime",
    "PermitRootLogin",
    "SyslogFacility",
    "LogLevel",
    "LogVerbose",
    "HostbasedAuthentication",
    "HostbasedUsesNameFromPacketOnly",
    "HostbasedAcceptedAlgorithms",
    "HostbasedAcceptedKeyTypes",
    "HostKeyAlgorithms",
    "PubkeyAuthentication",
    "PubkeyAcceptedAlgorithms",
    "PubkeyAcceptedKeyTypes",
    "PubkeyAuthOptions",
    "DSAAuthentication",
    "KerberosAuthentication",
    "KerberosOrLocalPasswd",
    "KerberosTicketCleanup",
    "GSSAPIAuthentication",
    "GSSAPICleanupCredentials",
    "GSSAPICleanupCreds",
    "GSSAPIStrictAcceptorCheck",
    "GSSAPIKeyExchange",
    "GSSAPIStoreCredentialsOnRekey",
    "GSSAPIKexAlgorithms",
    "PasswordAuthentication",
    "KbdInteractiveAuthentication",
    "ChallengeResponseAuthentication",
    "SkeyAuthentication",
    "PrintMotd",
    "PrintLastLog",
    "IgnoreRhosts",
    "IgnoreUserKnownHosts",
    "X11Forwarding",
    "X11DisplayOffset",
    "X11UseLocalhost",
    "XAuthLocation",
    "StrictModes",
    "PermitEmptyPasswords",
    "PermitUserEnvironment",
    "Compression",
    "RekeyLimit",
    "TCPKeepAlive",
    "KeepAlive",
    "AllowTcpForwarding",
    "AllowAgentForwarding",
    "AllowUsers",
    "DenyUsers",
    "AllowGroups",
    "DenyGroups",
    "Ciphers",
    "MACs",
    "GatewayPorts",
    "Subsystem",
    "MaxStartups",
    "PerSourceMaxStartups",
    "PerSourceNetBlockSize",
    "MaxAuthTries",
    "MaxSessions",
    "Banner",
    "UseDNS",
    "ClientAliveInterval",
    "ClientAliveCountMax",
    "AuthorizedKeysFile",
    "AcceptEnv",
    "SetEnv",
    "PermitTunnel",
    "PermitTTY",
    "PermitUserRC",
    "PermitOpen",
    "PermitListen",
    "ForceCommand",
    "ChrootDirectory",
    "RevokedKeys",
    "TrustedUserCAKeys",
    "AuthorizedPrincipalsFile",
    "KexAlgorithms",
    "IPQoS",
    "AuthorizedKeysCommand",
    "AuthorizedKeysCommandUser",
    "AuthorizedPrincipalsCommand",
    "AuthorizedPrincipalsCommandUser",
    "VersionAddendum",
    "AuthenticationMethods",
    "StreamLocalBindMask",
    "StreamLocalBindUnlink",
    "AllowStreamLocalForwarding",
    "FingerprintHash",
    "DisableForwarding",
    "ExposeAuthInfo",
    "CASignatureAlgorithms",
    "SecurityKeyProvider",
    "RequiredRSASize",
    "ChannelTimeout",
    "UnusedConnectionTimeout",
    "UsePAM",
    "UseDNS",
    "DebianBanner",
    "Protocol",
    "UsePrivilegeSeparation",
    "RSAAuthentication",
    "RhostsRSAAuthentication",
    "UseLogin",
    "KeyRegenerationInterval",
    "ServerKeyBits",
    "AuthorizedKeysFile2",
    "CheckMail",
];

/// Keywords allowed in a Match block (and a few that are not, which sshd refuses there).
const MATCH_KW: &[&str] = &[
    "PasswordAuthentication",
    "KbdInteractiveAuthentication",
    "PermitRootLogin",
    "PubkeyAuthentication",
    "AllowTcpForwarding",
    "X11Forwarding",
    "Banner",
    "MaxAuthTries",
    "MaxSessions",
    "ForceCommand",
    "ChrootDirectory",
    "AuthorizedKeysFile",
    "AuthorizedPrincipalsFile",
    "IPQoS",
    "RekeyLimit",
    "PermitOpen",
    "PermitListen",
    "AllowUsers",
    "DenyGroups",
    "AcceptEnv",
    "SetEnv",
    "AuthenticationMethods",
    "TrustedUserCAKeys",
    "RevokedKeys",
    "LogLevel",
    "PermitTTY",
    "GatewayPorts",
    "ClientAliveInterval",
    "PubkeyAcceptedAlgorithms",
    "StreamLocalBindMask",
    "PermitTunnel",
    "DisableForwarding",
    "AuthorizedKeysCommand",
    "AuthorizedKeysCommandUser",
    "ChallengeResponseAuthentication",
    "UnusedConnectionTimeout",
    "ChannelTimeout",
    "HostbasedAuthentication",
    "IgnoreRhosts",
];
const MATCH_FORBIDDEN: &[&str] = &["Port", "Ciphers", "UsePAM", "HostKey", "Subsystem"];

/// Writes `kw` oddly: as given, lowercase, uppercase or mixed.
fn odd_case(r: &mut Rng, kw: &str) -> String {
    match r.below(8) {
        0 => kw.to_ascii_lowercase(),
        1 => kw.to_ascii_uppercase(),
        2 => kw
            .chars()
            .enumerate()
            .map(|(i, c)| {
                if i % 2 == 0 {
                    c.to_ascii_uppercase()
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect(),
        _ => kw.to_owned(),
    }
}

/// One directive line in one of sshd's accepted spellings (and some it refuses).
fn line(r: &mut Rng, kw: &str) -> String {
    let v = value(r, &kw.to_ascii_lowercase());
    let sep = r.pick(&[" ", " ", " ", "\t", "=", " = ", "  ", "= "]);
    let v = if !v.contains(' ') && !v.contains('"') && r.one_in(8) {
        format!("\"{v}\"")
    } else {
        v
    };
    let mut l = format!("{}{}{sep}{v}", r.pick(&["", "", "", "  ", "\t"]), odd_case(r, kw));
    if r.one_in(12) {
        l.push_str(" # comment");
    }
    if r.one_in(150) {
        l.push_str(" extra");
    }
    l
}

fn criterion(r: &mut Rng) -> String {
    let (name, arg): (&str, String) = match r.below(20) {
        0..=4 => (
            "User",
            pk(
                r,
                &[
                    "alice",
                    "a*",
                    "!bob,*",
                    "alice,bob",
                    "root",
                    "?ob",
                    "*,!carol",
                    "nosuch",
                ],
            )
            .into(),
        ),
        5..=9 => (
            "Group",
            pk(
                r,
                &[
                    "adm",
                    "wheel",
                    "!staff,*",
                    "staff,devs",
                    "alias*",
                    "sftp",
                    "nogroup",
                    "root",
                ],
            )
            .into(),
        ),
        10..=11 => (
            "Host",
            pk(
                r,
                &[
                    "*.example.com",
                    "h1.example.com",
                    "db.*",
                    "!localhost,*",
                    "H2.EXAMPLE.COM",
                ],
            )
            .into(),
        ),
        12..=16 => (
            "Address",
            pk(
                r,
                &[
                    "10.0.0.0/8",
                    "10.1",
                    "10.1.2",
                    "192.168.1.*",
                    "!10.2.0.0/16,*",
                    "2001:db8::/32",
                    "!!10.0.0.1/8",
                    "127.1",
                    "0x7f.1",
                    "012.1.2.3",
                    "172.16.0.0/12,!172.16.0.9",
                    "!!10.0.0.0/33",
                ],
            )
            .into(),
        ),
        17 | 18 => (
            "LocalAddress",
            pk(r, &["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "::1"]).into(),
        ),
        _ => (
            "LocalPort",
            pk(r, &["22", "2222", "ssh", "http", "!!nosuch", "!!0"]).into(),
        ),
    };
    let name = odd_case(r, name);
    let sep = pk(r, &[" ", " ", " ", "=", "\t"]);
    format!("{name}{sep}{arg}")
}

fn match_line(r: &mut Rng) -> String {
    let crit = if r.one_in(6) {
        r.pick(&["all", "All", "all # everyone"]).to_owned()
    } else {
        let n = 1 + r.below(2);
        (0..n).map(|_| criterion(r)).collect::<Vec<_>>().join(" ")
    };
    format!("{} {crit}", r.pick(&["Match", "match", "MATCH"]))
}

fn lines(r: &mut Rng, n: usize, in_match: bool) -> Vec<String> {
    (0..n)
        .map(|_| {
            if r.one_in(150) {
                return r
                    .pick(&["Bogus yes", "PasswordAuthentication", "# just a comment", "", "   "])
                    .to_owned();
            }
            let kw = if in_match {
                if r.one_in(80) {
                    r.pick(MATCH_FORBIDDEN)
                } else {
                    r.pick(MATCH_KW)
                }
            } else {
                r.pick(GLOBAL_KW)
            };
            let l = line(r, kw);
            if in_match { format!("    {l}") } else { l }
        })
        .collect()
}

fn join(r: &mut Rng, ls: &[String]) -> String {
    let crlf = r.one_in(10);
    let mut s = String::new();
    for l in ls {
        s.push_str(l);
        s.push_str(if crlf { "\r\n" } else { "\n" });
    }
    s
}

/// A body of a file: global lines, then zero to three Match blocks, some with an Include.
fn body(r: &mut Rng, globals: usize, matches: usize, include_in_match: Option<&str>) -> Vec<String> {
    let mut ls = lines(r, globals, false);
    for i in 0..matches {
        ls.push(match_line(r));
        let n = 1 + r.below(4);
        ls.extend(lines(r, n, true));
        if i == 0
            && let Some(inc) = include_in_match
        {
            ls.push(format!("    Include {inc}"));
        }
    }
    ls
}

fn spec(r: &mut Rng) -> String {
    let mut parts = Vec::new();
    if !r.one_in(8) {
        parts.push(format!("user={}", r.pick(USERS)));
    }
    if !r.one_in(4) {
        parts.push(format!("host={}", r.pick(HOSTS)));
    }
    if !r.one_in(4) {
        parts.push(format!("addr={}", r.pick(ADDRS)));
    }
    if r.one_in(2) {
        parts.push(format!("laddr={}", r.pick(&["127.0.0.1", "10.0.0.5", "::1"])));
    }
    if !r.one_in(3) {
        parts.push(format!("lport={}", r.pick(&["22", "2222", "80"])));
    }
    if parts.is_empty() {
        parts.push("user=alice".into());
    }
    parts.join(",")
}

/// A whole tree from `r`.
pub fn tree(r: &mut Rng) -> Tree {
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    let (passwd, group) = accounts(r);
    files.push(("etc/passwd".to_owned(), passwd));
    files.push(("etc/group".to_owned(), group));
    files.push(("etc/services".to_owned(), SERVICES.to_owned()));
    let mut main = Vec::new();
    // Includes first, as Debian's sshd_config does, in one of several spellings.
    let include = r.pick(&[
        "Include /etc/ssh/sshd_config.d/*.conf",
        "Include sshd_config.d/*.conf",
        "include sshd_config.d/*",
        "Include=/etc/ssh/sshd_config.d/*.conf nomatch/*.conf",
        "Include \"sshd_config.d/*.conf\"",
        "",
    ]);
    main.push(include.to_owned());
    let n_dropins = r.below(4);
    for i in 0..n_dropins {
        let nested = r.one_in(4);
        let (g, m) = (1 + r.below(5), usize::from(r.one_in(4)));
        let mut b = body(r, g, m, None);
        if nested {
            b.insert(
                0,
                r.pick(&["Include inc/*.conf", "Include /etc/ssh/inc/a.conf", "Include inc/none*"])
                    .to_owned(),
            );
        }
        let text = join(r, &b);
        files.push((
            format!("etc/ssh/sshd_config.d/{:02}-gen.conf", 10 * i + r.below(10)),
            text,
        ));
    }
    if r.one_in(5) {
        // A directory the glob also lists.
        dirs.push("etc/ssh/sshd_config.d/sub.conf".into());
    }
    if r.one_in(3) {
        let g = 1 + r.below(3);
        let b = body(r, g, 0, None);
        let text = join(r, &b);
        files.push(("etc/ssh/inc/a.conf".into(), text));
    }
    let matches = r.below(4);
    let inc = if r.one_in(4) { Some("inc/*.conf") } else { None };
    let g = 3 + r.below(9);
    let b = body(r, g, matches, inc);
    main.extend(b);
    // HostKey lines replace the default list: keep a loadable key in it, as sshd needs one.
    let sets_hostkey = |l: &str| {
        let l = l.trim_start().to_ascii_lowercase();
        ["hostkey", "hostdsakey"].iter().any(|k| {
            l.strip_prefix(k)
                .is_some_and(|rest| !rest.starts_with(|c: char| c.is_ascii_alphabetic()))
        })
    };
    if main.iter().any(|l| sets_hostkey(l)) || files.iter().any(|(_, t)| t.lines().any(sets_hostkey)) {
        main.insert(0, "HostKey /etc/ssh/ssh_host_ed25519_key".into());
    }
    let text = join(r, &main);
    files.push(("etc/ssh/sshd_config".into(), text));
    let specs = (0..4).map(|_| spec(r)).collect();
    Tree { files, dirs, specs }
}
