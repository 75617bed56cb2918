//! `proxy-gateway CONFIG [--demo]`: runs the gateway of the configuration file until
//! interrupted. `--demo` also starts the example backend and auth server on the
//! configuration's `backend` and `auth` upstream addresses.

use std::path::PathBuf;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut config_path = None;
    let mut demo = false;
    for a in args.by_ref() {
        match a.as_str() {
            "--demo" => demo = true,
            "-h" | "--help" => {
                println!("usage: proxy-gateway CONFIG.toml [--demo]");
                return;
            }
            _ => config_path = Some(PathBuf::from(a)),
        }
    }
    let path = config_path.unwrap_or_else(|| PathBuf::from("examples/proxy-gateway/config.toml"));
    let config = match proxy_gateway::Config::from_file(&path) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("proxy-gateway: {e}");
            std::process::exit(2);
        }
    };
    if demo {
        for (name, start) in [
            (
                "backend",
                proxy_gateway::demo::backend as fn(&str) -> std::io::Result<_>,
            ),
            ("auth", proxy_gateway::demo::auth),
        ] {
            if let Some(addr) = config.upstreams.get(name) {
                match start(addr) {
                    Ok(s) => eprintln!("demo {name} on {}", s.addr),
                    Err(e) => eprintln!("demo {name} on {addr}: {e}"),
                }
            }
        }
    }
    match proxy_gateway::start(config) {
        Ok(g) => {
            eprintln!("proxy-gateway listening on {}", g.addr());
            g.join();
        }
        Err(e) => {
            eprintln!("proxy-gateway: {e}");
            std::process::exit(1);
        }
    }
}
