use imagegate::facts::*;
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let fs = imagegate::rootfs::RootFs::open(std::path::Path::new(&args[1])).unwrap();
    let ctx = Context { live: args.get(2).map(|s| s == "live").unwrap_or(false), as_of: "2026-11-22".parse().unwrap() };
    let f = collect(&fs, &ctx);
    let v = serde_json::json!({
        "sysctl": serde_json::to_value(&f.sysctl).unwrap(),
        "mac": serde_json::to_value(&f.mac).unwrap(),
        "accounts": serde_json::to_value(&f.accounts).unwrap(),
        "services": serde_json::to_value(&f.services).unwrap(),
        "auto_updates": serde_json::to_value(&f.auto_updates).unwrap(),
        "lifecycle": serde_json::to_value(&f.lifecycle).unwrap(),
    });
    println!("{}", serde_json::to_string_pretty(&v).unwrap());
}
